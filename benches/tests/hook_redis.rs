//! With the `hook` feature, the `redis` sync client (std sockets inside)
//! on 10 fibers of one worker, against a real `redis-server`: blocking
//! commands park only their fiber (3.3 s for 10 before, in the issue).
//!
//! Needs `redis-server` (see `tests/util/redis.rs`: fails under CI when
//! missing, skips with a message elsewhere).
#![cfg(feature = "hook")]

#[path = "../../tests/util/mod.rs"]
mod util;

use std::time::Duration;

fn connection(url: &str) -> redis::Connection {
    redis::Client::open(url).unwrap().get_connection().unwrap()
}

#[test]
fn ten_blpop_timeouts_overlap_on_one_worker() {
    let _w = util::Watchdog::new("ten_blpop_timeouts_overlap", 60);
    let Some(server) = util::Redis::start() else { return };
    let url = server.url();
    let (answers, took) = util::on_one_worker(10, move |i| {
        let mut con = connection(&url);
        let key = format!("empty-{i}");
        redis::cmd("BLPOP").arg(key).arg(util::SLOW.as_secs_f64()).query::<Option<(String, String)>>(&mut con)
    });
    assert!(answers.iter().all(|a| matches!(a, Ok(None))), "{answers:?}");
    eprintln!("10 redis BLPOPs timing out after 300 ms, on one worker: {took:?}");
    assert!(took >= util::SLOW && took < util::OVERLAPPED, "took {took:?}");
}

#[test]
fn a_pusher_fiber_runs_while_ten_fibers_block_in_blpop_on_its_worker() {
    let _w = util::Watchdog::new("a_pusher_fiber_runs", 60);
    let Some(server) = util::Redis::start() else { return };
    let rt = util::one_worker();
    let poppers: Vec<_> = (0..10)
        .map(|_| {
            let url = server.url();
            rt.spawn(move || {
                let mut con = connection(&url);
                redis::cmd("BLPOP").arg("queue").arg(20).query::<Option<(String, String)>>(&mut con)
            })
        })
        .collect();
    let url = server.url();
    let pusher = rt.spawn(move || {
        let mut con = connection(&url);
        // Wait, on this very worker, until the server sees all 10 blocked.
        loop {
            let info: String = redis::cmd("INFO").arg("clients").query(&mut con).unwrap();
            if info.contains("blocked_clients:10") {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        redis::cmd("RPUSH").arg("queue").arg((0..10).collect::<Vec<_>>()).query::<usize>(&mut con).unwrap()
    });
    assert_eq!(pusher.join().unwrap(), 10);
    let mut got: Vec<String> = poppers.into_iter().map(|h| h.join().unwrap().unwrap().unwrap().1).collect();
    got.sort();
    assert_eq!(got, (0..10).map(|i| i.to_string()).collect::<Vec<_>>());
}
