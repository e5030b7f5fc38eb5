//! What a cancellation means beyond one wait: a finished fiber keeps its
//! result; cancelling twice is harmless — even when the second one lands
//! while the first one's unwind blocks in a destructor; a cancellation
//! arriving while a *panic* unwinds through a blocking destructor does not
//! abort the process (the panic's payload reaches `join`); and a fiber
//! that catches the cancellation carries on and blocks normally after.

mod util;

use std::panic::catch_unwind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use fiberio::Cancelled;
use fiberio::sync::Mutex;
use util::{PATIENCE, Watchdog, one_worker};

#[test]
fn a_finished_fiber_keeps_its_result() {
    let _w = Watchdog::new("a_finished_fiber_keeps_its_result", 60);
    one_worker().block_on(|| {
        let h = fiberio::spawn(|| 42);
        util::wait_until(PATIENCE, "the fiber finishes", || h.is_finished());
        h.cancel();
        h.cancel();
        assert_eq!(h.join().unwrap(), 42);
    });
}

#[test]
fn cancelling_twice_is_harmless() {
    let _w = Watchdog::new("cancelling_twice_is_harmless", 60);
    one_worker().block_on(|| {
        let h = fiberio::spawn(|| fiberio::sleep(Duration::from_secs(3600)));
        fiberio::yield_now();
        h.cancel();
        h.cancel();
        assert!(h.join().unwrap_err().is::<Cancelled>());
    });
}

/// A local whose drop locks `lock` (which may block), recording that it
/// started.
struct LocksOnDrop(Arc<Mutex<u32>>, Arc<AtomicBool>);

impl Drop for LocksOnDrop {
    fn drop(&mut self) {
        self.1.store(true, SeqCst);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }
}

#[test]
fn a_second_cancel_during_a_blocking_destructor_is_harmless() {
    let _w = Watchdog::new("a_second_cancel_during_a_blocking_destructor", 60);
    one_worker().block_on(|| {
        let m = Arc::new(Mutex::new(0));
        let in_drop = Arc::new(AtomicBool::new(false));
        let local = LocksOnDrop(m.clone(), in_drop.clone());
        let held = m.lock().unwrap();
        let h = fiberio::spawn(move || {
            let _local = local;
            fiberio::sleep(Duration::from_secs(3600));
        });
        fiberio::yield_now(); // parks in sleep
        h.cancel();
        fiberio::yield_now(); // unwinds into the destructor, parks on `m`
        assert!(in_drop.load(SeqCst) && !h.is_finished());
        h.cancel(); // must not start a second unwind inside the destructor
        drop(held);
        assert!(h.join().unwrap_err().is::<Cancelled>());
        // (Not checked: whether `m` is poisoned. std's "panicking" flag is
        // per thread, so our own guard, dropped while the other fiber was
        // suspended mid-unwind, may count as dropped during a panic.)
        assert_eq!(*m.lock().unwrap_or_else(|e| e.into_inner()), 1, "the destructor ran to its end");
    });
}

#[test]
fn a_cancel_during_a_panics_blocking_destructor_keeps_the_panic() {
    let _w = Watchdog::new("a_cancel_during_a_panics_blocking_destructor", 60);
    one_worker().block_on(|| {
        let m = Arc::new(Mutex::new(0));
        let in_drop = Arc::new(AtomicBool::new(false));
        let local = LocksOnDrop(m.clone(), in_drop.clone());
        let held = m.lock().unwrap();
        let h = fiberio::spawn(move || {
            let _local = local;
            panic!("boom");
        });
        fiberio::yield_now(); // panics, parks on `m` in the destructor
        assert!(in_drop.load(SeqCst) && !h.is_finished());
        h.cancel();
        drop(held);
        let err = h.join().unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"), "the panic, not the cancellation");
        assert_eq!(*m.lock().unwrap_or_else(|e| e.into_inner()), 1);
    });
}

#[test]
fn a_caught_cancellation_carries_on() {
    let _w = Watchdog::new("a_caught_cancellation_carries_on", 60);
    one_worker().block_on(|| {
        let m = Arc::new(Mutex::new(0));
        let locking = Arc::new(AtomicBool::new(false));
        let (m2, l) = (m.clone(), locking.clone());
        let h = fiberio::spawn(move || {
            let caught = catch_unwind(|| fiberio::sleep(Duration::from_secs(3600)));
            assert!(caught.unwrap_err().is::<Cancelled>());
            // Blocks normally afterwards: a sleep, a contended lock, a join.
            fiberio::sleep(Duration::from_millis(1));
            l.store(true, SeqCst);
            *m2.lock().unwrap() += 1;
            fiberio::spawn(|| 5).join().unwrap()
        });
        fiberio::yield_now(); // parks in sleep
        let g = m.lock().unwrap();
        h.cancel();
        // One worker: once this fiber runs again after the flag, the other
        // is suspended, and its only wait after the flag is the lock.
        util::wait_until(PATIENCE, "the fiber reaches the contended lock", || locking.load(SeqCst));
        assert!(!h.is_finished(), "the fiber waits for `m`");
        drop(g);
        assert_eq!(h.join().unwrap(), 5);
        assert_eq!(*m.lock().unwrap(), 1);
    });
}
