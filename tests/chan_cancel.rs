//! Cancellation of a fiber blocked in a channel operation — `recv`, a
//! `send` on a full or rendezvous channel, a select: `join` reports
//! `fiberio::Cancelled`, no value is lost or duplicated (a value granted
//! at the moment of the cancel stays in the channel; a cancelled sender's
//! value is dropped, not delivered), and the channel keeps working.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fiberio::sync::{Select, mpmc, mpsc};

fn runtime() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

fn assert_cancelled<T: std::fmt::Debug>(r: std::thread::Result<T>) {
    let payload = r.expect_err("the fiber was cancelled");
    assert!(payload.is::<fiberio::Cancelled>(), "the payload is fiberio::Cancelled");
}

/// Gives a just-spawned fiber time to block (the tests hold either way: a
/// cancel that comes first is delivered at the fiber's first wait).
fn settle() {
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn cancel_a_blocked_recv() {
    let rt = runtime();
    let (tx, rx) = mpmc::channel::<u32>();
    let blocked = {
        let rx = rx.clone();
        rt.spawn(move || rx.recv())
    };
    settle();
    blocked.cancel();
    assert_cancelled(blocked.join());
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1), "the value went to a live receiver");

    // mpsc: the receiver is dropped as the fiber unwinds: a disconnect.
    let (tx, rx) = mpsc::channel::<u32>();
    let blocked = rt.spawn(move || rx.recv());
    settle();
    blocked.cancel();
    assert_cancelled(blocked.join());
    assert_eq!(tx.send(2), Err(mpsc::SendError(2)));
}

/// Counts drops of the values a cancelled sender held.
#[derive(Debug)]
struct Counted(u32, Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
    }
}

#[test]
fn cancel_a_blocked_send() {
    let rt = runtime();
    for cap in [0, 1] {
        let dropped = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::sync_channel(cap);
        if cap == 1 {
            tx.send(Counted(1, dropped.clone())).unwrap();
        }
        let blocked = {
            let (tx, dropped) = (tx.clone(), dropped.clone());
            rt.spawn(move || tx.send(Counted(2, dropped)).map_err(|_| ()))
        };
        settle();
        blocked.cancel();
        assert_cancelled(blocked.join());
        assert_eq!(dropped.load(SeqCst), 1, "the cancelled send's value was dropped (capacity {cap})");
        if cap == 1 {
            assert_eq!(rx.recv().unwrap().0, 1);
        }
        assert!(rx.try_recv().is_err(), "the cancelled value is not in the channel");
        // The channel still works, both ways.
        let h = rt.spawn(move || tx.send(Counted(3, Arc::new(AtomicUsize::new(0)))).is_ok());
        assert_eq!(rx.recv().unwrap().0, 3);
        assert!(h.join().unwrap());
    }
}

#[test]
fn cancel_a_blocked_select() {
    let rt = runtime();
    let (tx1, rx1) = mpmc::channel::<u32>();
    let (tx2, rx2) = mpsc::sync_channel::<u32>(0);
    let (rx1b, rx2_shared) = (rx1.clone(), Arc::new(Mutex::new(Some(rx2))));
    let r2 = rx2_shared.clone();
    let blocked = rt.spawn(move || {
        let rx2 = r2.lock().unwrap().take().unwrap();
        let mut sel = Select::new();
        sel.recv(&rx1b);
        sel.recv(&rx2);
        let _ = sel.select_timeout(Duration::from_secs(60));
        unreachable!("cancelled");
    });
    settle();
    blocked.cancel();
    assert_cancelled(blocked.join());
    // rx2 was dropped by the unwinding fiber; rx1 is still served.
    assert_eq!(tx2.send(5), Err(mpsc::SendError(5)));
    tx1.send(6).unwrap();
    assert_eq!(rx1.recv_timeout(Duration::from_secs(10)), Ok(6));
    let mut sel = Select::new();
    let i = sel.recv(&rx1);
    tx1.send(7).unwrap();
    let op = sel.select();
    assert_eq!(op.index(), i);
    assert_eq!(op.recv(&rx1), Ok(7));
}

/// Waits 0, 50 or 500 µs: the cancel below then lands before the fiber's
/// wait, during its registration, or while it is parked.
fn stagger(i: u32) {
    match i % 3 {
        0 => {}
        1 => std::thread::sleep(Duration::from_micros(50)),
        _ => std::thread::sleep(Duration::from_micros(500)),
    }
}

/// Runs `act` on a helper thread and `blocked.cancel()` here, at once.
fn race_with_cancel<T: Send + 'static>(blocked: &fiberio::JoinHandle<T>, act: impl FnOnce() + Send) {
    let go = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            go.wait();
            act();
        });
        go.wait();
        blocked.cancel();
    });
}

/// A value sent at the moment its receiver is cancelled is received by
/// that receiver or stays in the channel — never lost, never twice.
#[test]
fn a_value_granted_to_a_cancelled_receiver_stays_in_the_channel() {
    let rt = runtime();
    let (tx, rx) = mpmc::channel::<u32>();
    let mut got = Vec::new();
    for i in 0..300 {
        let blocked = {
            let rx = rx.clone();
            rt.spawn(move || if i % 2 == 0 { rx.recv().ok() } else { select_one(&rx) })
        };
        stagger(i);
        race_with_cancel(&blocked, || tx.send(i).unwrap());
        if let Ok(Some(v)) = blocked.join() {
            got.push(v);
        }
        got.extend(rx.try_iter());
    }
    assert_eq!(got, (0..300).collect::<Vec<_>>());
}

/// A send racing its own cancellation: the value ends up in the channel
/// or dropped with the fiber, exactly one of the two.
#[test]
fn a_send_racing_its_cancel_delivers_or_drops_exactly_once() {
    let rt = runtime();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::sync_channel::<Counted>(0);
    let mut received = HashSet::new();
    for i in 0..300 {
        let blocked = {
            // Made here: a fiber cancelled before it starts drops it too.
            let (tx, v) = (tx.clone(), Counted(i, dropped.clone()));
            rt.spawn(move || tx.send(v).is_ok())
        };
        stagger(i);
        let got = Mutex::new(None);
        race_with_cancel(&blocked, || *got.lock().unwrap() = rx.try_recv().ok());
        let _ = blocked.join();
        for v in got.into_inner().unwrap().into_iter().chain(rx.try_iter()) {
            assert!(received.insert(v.0), "{} received twice", v.0);
            std::mem::forget(v);
        }
    }
    assert_eq!(received.len() + dropped.load(SeqCst), 300);
}

/// A receive through a one-arm select.
fn select_one(rx: &mpmc::Receiver<u32>) -> Option<u32> {
    let mut sel = Select::new();
    sel.recv(rx);
    sel.select().recv(rx).ok()
}
