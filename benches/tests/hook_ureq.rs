//! With the `hook` feature, `ureq` (std sockets inside) on 10 fibers of
//! one worker: the requests overlap, as the measurement wanted
//! (3.0 s one at a time before).
#![cfg(feature = "hook")]

#[path = "../../tests/util/mod.rs"]
mod util;

use util::{OVERLAPPED, answer_http, on_one_worker, read_http_head, slow_server, verdict};

#[test]
fn ten_ureq_requests_to_a_slow_server_overlap_on_one_worker() {
    let _w = util::Watchdog::new("ten_ureq_requests_overlap", 60);
    let addr = slow_server(10, read_http_head, answer_http);
    let (bodies, took) = on_one_worker(10, move |i| {
        let url = format!("http://localhost:{}/item/{i}", addr.port());
        ureq::get(&url).call().unwrap().body_mut().read_to_string().unwrap()
    });
    assert!(bodies.iter().all(|b| b == verdict(true)), "{bodies:?}");
    eprintln!("10 ureq requests, 300 ms each, on one worker: {took:?}");
    assert!(took < OVERLAPPED, "took {took:?}");
}
