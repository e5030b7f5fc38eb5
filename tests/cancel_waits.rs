//! `JoinHandle::cancel` of a fiber in each non-sync kind of wait — sleep,
//! `JoinHandle::join`, a TCP read with no data, a `yield_now` loop — and
//! before it starts: `join` returns `Err(Cancelled)` and the fiber's
//! locals were dropped; what it waited on is unaffected.

mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fiberio::Cancelled;
use util::{DropFlag, PATIENCE, Watchdog, cancel_parked, one_worker, park_fiber};

#[test]
fn cancel_in_sleep() {
    let _w = Watchdog::new("cancel_in_sleep", 60);
    one_worker().block_on(|| {
        let (h, dropped) = park_fiber(|| fiberio::sleep(Duration::from_secs(3600)));
        cancel_parked(h, &dropped);
    });
}

#[test]
fn cancel_in_sleep_from_a_plain_thread_across_workers() {
    let _w = Watchdog::new("cancel_in_sleep_from_a_plain_thread", 60);
    let rt = util::two_workers();
    for worker in 0..2 {
        let dropped = Arc::new(AtomicBool::new(false));
        let (flag, started) = (DropFlag(dropped.clone()), Arc::new(AtomicBool::new(false)));
        let s = started.clone();
        let h = util::spawn_on(&rt, worker, move || {
            let _flag = flag;
            s.store(true, SeqCst);
            fiberio::sleep(Duration::from_secs(3600));
        });
        util::wait_until(PATIENCE, "the fiber runs", || started.load(SeqCst));
        // Another fiber placed on that worker runs only once ours has given
        // the worker up, which it does only by parking in its sleep.
        util::spawn_on(&rt, worker, || ()).join().unwrap();
        assert!(!h.is_finished(), "the fiber sleeps");
        h.cancel();
        let err = h.join().unwrap_err();
        assert!(err.is::<Cancelled>());
        assert!(dropped.load(SeqCst));
    }
}

#[test]
fn cancel_in_join() {
    let _w = Watchdog::new("cancel_in_join", 60);
    one_worker().block_on(|| {
        // The joined fiber waits for the test to release it, not for a
        // time: it cannot finish before its joiner is parked and cancelled.
        let (release, released) = fiberio::sync::mpsc::channel::<()>();
        let (joined, joined_dropped) = park_fiber(move || {
            released.recv().unwrap();
            7
        });
        let (h, dropped) = park_fiber(move || joined.join().unwrap());
        cancel_parked(h, &dropped);
        // The joined fiber is unaffected: it still waits, then finishes on
        // its own (its handle went with the cancelled joiner, so watch its
        // locals).
        assert!(!joined_dropped.load(SeqCst), "the joined fiber still waits");
        release.send(()).unwrap();
        util::wait_until(PATIENCE, "the joined fiber finishes", || joined_dropped.load(SeqCst));
    });
}

#[test]
fn cancel_in_tcp_read() {
    let _w = Watchdog::new("cancel_in_tcp_read", 60);
    one_worker().block_on(|| {
        let listener = fiberio::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = fiberio::net::TcpStream::connect(addr).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let reader = client.try_clone().unwrap();
        let (h, dropped) = park_fiber(move || {
            let mut reader = reader;
            let mut buf = [0; 16];
            reader.read(&mut buf).map(|_| ())
        });
        cancel_parked(h, &dropped);
        // The stream still works for others.
        server.write_all(b"ping").unwrap();
        let mut buf = [0; 4];
        (&client).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping");
    });
}

#[test]
fn cancel_in_a_yield_loop() {
    let _w = Watchdog::new("cancel_in_a_yield_loop", 60);
    one_worker().block_on(|| {
        let spins = Arc::new(AtomicUsize::new(0));
        let s = spins.clone();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let h = fiberio::spawn(move || {
            let _flag = flag;
            loop {
                s.fetch_add(1, SeqCst);
                fiberio::yield_now();
            }
        });
        util::wait_until(PATIENCE, "the fiber yields a few times", || spins.load(SeqCst) > 3);
        cancel_parked(h, &dropped);
    });
}

#[test]
fn cancel_before_the_fiber_starts() {
    let _w = Watchdog::new("cancel_before_the_fiber_starts", 60);
    one_worker().block_on(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        // Spawned from this fiber, it cannot start before we park.
        let h = fiberio::spawn(move || {
            let _flag = flag;
            r.store(true, SeqCst);
        });
        cancel_parked(h, &dropped);
        assert!(!ran.load(SeqCst), "a fiber cancelled before it starts never runs");
    });
}
