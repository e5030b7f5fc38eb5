//! Shutdown loses no lock: a fiber that shutdown unwinds gives back what
//! it held and what was handed to it, and its unwind does not poison
//! (it is not a failure of the critical section, as a cancellation is not).
//! A `Mutex` may outlive the runtime whose fibers used it; plain threads
//! sharing it must go on locking it.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::{Mutex, mpsc};
use util::{PATIENCE, Watchdog, one_worker, two_workers, wait_until};

fn parks(rt: &fiberio::Runtime) -> u64 {
    rt.metrics().iter().map(|m| m.parks).sum()
}

/// The holder is the newest fiber, so shutdown unwinds it first: its
/// unlock wakes the older fiber queued on the lock, which shutdown then
/// unwinds too; that fiber must pass the lock on, not keep it.
#[test]
fn a_lock_handed_to_an_unwound_fiber_is_released() {
    let _w = Watchdog::new("a_lock_handed_to_an_unwound_fiber_is_released", 60);
    let lock = Arc::new(Mutex::new(0u32));
    let rt = one_worker();
    let (tx, rx) = mpsc::channel::<()>();
    let l = lock.clone();
    let older = rt.spawn(move || {
        rx.recv().unwrap();
        *l.lock().unwrap() += 1;
    });
    let l = lock.clone();
    let holder = rt.spawn(move || {
        let _g = l.lock().unwrap();
        tx.send(()).unwrap();
        fiberio::sleep(Duration::from_secs(3600));
    });
    // One worker: the older fiber parks on recv, the holder on its sleep,
    // then the older fiber on the lock.
    wait_until(PATIENCE, "both fibers parked, one queued on the lock", || parks(&rt) >= 3);
    drop(rt);
    assert!(older.join().is_err() && holder.join().is_err(), "both were unwound");
    assert!(!lock.is_poisoned(), "shutdown's unwind of the holder must not poison");
    let g = lock.try_lock().expect("the lock is free after its runtime is gone");
    assert_eq!(*g, 0);
    drop(g);
    // A plain thread takes it too.
    let l = lock.clone();
    std::thread::spawn(move || *l.lock().unwrap() += 1).join().unwrap();
    assert_eq!(*lock.lock().unwrap(), 1);
}

/// A plain thread locks in a loop while runtimes come and go, their fibers
/// contending for the same lock (holding it across parks, so shutdown
/// often unwinds a holder or a waiter). The thread must always get the
/// lock, and it is never poisoned.
#[test]
fn a_thread_keeps_locking_while_runtimes_are_dropped() {
    let _w = Watchdog::new("a_thread_keeps_locking_while_runtimes_are_dropped", 120);
    let lock = Arc::new(Mutex::new(0u64));
    let done = Arc::new(AtomicU64::new(0));
    let (l, d) = (lock.clone(), done.clone());
    let thread = std::thread::spawn(move || {
        while d.load(SeqCst) == 0 {
            *l.lock().unwrap() += 1;
        }
    });
    for round in 0..20u64 {
        let rt = if round % 2 == 0 { one_worker() } else { two_workers() };
        let taken = Arc::new(AtomicU64::new(0));
        for i in 0..6 {
            let (l, t) = (lock.clone(), taken.clone());
            rt.spawn(move || {
                loop {
                    let mut g = l.lock().unwrap();
                    *g += 1;
                    t.fetch_add(1, SeqCst);
                    if i % 2 == 0 {
                        fiberio::sleep(Duration::from_micros(50));
                    } else {
                        fiberio::yield_now();
                    }
                }
            });
        }
        let at = 1 + round * 3;
        wait_until(PATIENCE, format!("round {round}: {at} acquisitions by fibers"), || {
            taken.load(SeqCst) >= at
        });
        drop(rt);
        assert!(!lock.is_poisoned(), "round {round}: shutdown poisoned the lock");
    }
    done.store(1, SeqCst);
    thread.join().unwrap();
    assert!(lock.try_lock().is_ok(), "the lock is free at the end");
}
