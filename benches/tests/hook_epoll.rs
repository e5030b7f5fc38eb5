//! With the `hook` feature, `epoll_wait` on a fiber parks only the fiber:
//! a library's private event loop (here a tokio current-thread runtime,
//! as the `postgres` sync client runs one) waits while another fiber on
//! the same worker makes the event it waits for.
//!
//! tokio keeps its "inside a runtime" flag per OS thread, so two fibers of
//! one worker cannot both be inside tokio runtimes at once (tokio panics):
//! such libraries are for `fiberio::unblock` when they are many.
#![cfg(feature = "hook")]

#[path = "../../tests/util/mod.rs"]
mod util;

use std::io::Write;
use std::net::TcpListener;

#[test]
fn a_tokio_runtime_on_a_fiber_waits_while_its_worker_runs_the_peer() {
    let _w = util::Watchdog::new("a_tokio_runtime_on_a_fiber_waits", 60);
    let rt = util::one_worker();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Runs first: connects and waits in tokio's epoll_wait for the reply.
    let client = rt.spawn(move || {
        let tokio_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        tokio_rt.block_on(async move {
            let s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut got = Vec::new();
            while got.len() < 5 {
                s.readable().await.unwrap();
                let mut buf = [0; 5];
                match s.try_read(&mut buf) {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            got
        })
    });
    // Runs on the same worker only if the client's wait parked it.
    let server = rt.spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"hello").unwrap();
    });
    server.join().unwrap();
    assert_eq!(client.join().unwrap(), b"hello");
}

#[test]
fn a_tokio_sleep_on_a_fiber_lets_other_fibers_run() {
    let _w = util::Watchdog::new("a_tokio_sleep_on_a_fiber", 60);
    let rt = util::one_worker();
    let sleeper = rt.spawn(move || {
        let (tx, rx) = std::sync::mpsc::channel();
        // Queued on this worker: it runs only once this fiber parks.
        let sender = fiberio::spawn(move || tx.send(()).unwrap());
        let tokio_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        tokio_rt.block_on(async { tokio::time::sleep(util::SLOW).await });
        let ran = rx.try_recv().is_ok();
        sender.join().unwrap();
        ran
    });
    assert!(sleeper.join().unwrap(), "the other fiber ran while tokio slept");
}
