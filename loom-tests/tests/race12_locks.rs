//! Race 12 of DESIGN.md section 3: the barging locks with bounded waiting
//! (`src/sync/raw_mutex.rs`, and `raw_rwlock.rs` for the `RwLock`). An unlock frees the lock and wakes the first
//! waiter to *retry*; a running locker may barge in first; a woken waiter
//! that loses its retry queues again at the front, switching the lock to
//! hand-off mode (time is not modelled: each model runs once with every
//! wait past the bound, once with none); a woken waiter learns from the word whether it was handed
//! the lock; a cancelled waiter passes on what its wake gave it (race 15).
//! Run on the real `fiberio::sync::{Mutex, RwLock}` through the user loom
//! mode.
//!
//! Each model has a broken variant switched on in the same source:
//! - a woken waiter that takes any wake for a hand-off owns the lock
//!   alongside its barging holder: loom's cell under the data reports the
//!   overlap;
//! - a cancelled retry-woken waiter that keeps the wake leaves the waiter
//!   behind it asleep forever: loom reports the deadlock (both locks).
//!
//! Bounds and times: `loom-tests/README.md`.
#![cfg(loom)]

use std::sync::Arc;

use fiberio::__loom::{self, Mutation};
use fiberio::Cancelled;
use fiberio::sync::{Mutex, RwLock};

/// The main thread holds the lock while a fiber queues, then twice
/// releases it and at once takes it again (barging past the woken fiber),
/// each time holding it across a yield. With waits past the bound, the
/// fiber's failed retry switches the lock to hand-off and main's second
/// barge must queue behind it. The fiber gets the lock every time, never
/// alongside main.
fn barging_holder() {
    loom_tests::check(Some(2), || {
        let m = Arc::new(Mutex::new(0u32));
        let mut g = m.lock().unwrap();
        let m2 = m.clone();
        let h = fiberio::spawn(move || {
            let mut g = m2.lock().unwrap();
            let seen = *g;
            fiberio::yield_now();
            *g = seen + 1;
        });
        for _ in 0..2 {
            drop(g);
            g = m.lock().unwrap();
            let seen = *g;
            fiberio::yield_now();
            *g = seen + 1;
        }
        drop(g);
        h.join().unwrap();
        assert_eq!(*m.lock().unwrap(), 3);
    });
}

/// A fiber that locks `m` once and increments it.
fn locker(m: &Arc<Mutex<u32>>) -> fiberio::JoinHandle<()> {
    let m = m.clone();
    fiberio::spawn(move || *m.lock().unwrap() += 1)
}

/// A model run with lock waits within the bound: normal mode only.
fn within_bound(model: fn()) {
    __loom::waits_pass_bound(false);
    model();
}

#[test]
fn barging_holder_never_overlaps_the_woken_waiter() {
    barging_holder();
}

#[test]
fn barging_holder_within_the_bound_never_overlaps_the_woken_waiter() {
    within_bound(barging_holder);
}

#[test]
#[should_panic(expected = "Causality violation")]
fn broken_woken_waiter_assuming_a_hand_off_overlaps_the_holder() {
    __loom::mutate(Some(Mutation::MutexWokenAssumesHandOff));
    barging_holder();
}

/// Two fibers queue behind main; main releases (waking the first to
/// retry), barges back in, cancels the first fiber, and releases again.
/// Whatever the cancellation meets — a queued waiter, a retry wake, a
/// hand-off, or a fiber that already has the lock — the second fiber gets
/// the lock and the lock ends free.
fn cancelled_retry_waiter() {
    loom_tests::check(Some(2), || {
        let m = Arc::new(Mutex::new(0u32));
        let g = m.lock().unwrap();
        let first = locker(&m);
        let second = locker(&m);
        drop(g);
        let g = m.lock().unwrap();
        first.cancel();
        drop(g);
        second.join().unwrap();
        let first_ran = match first.join() {
            Ok(()) => 1,
            Err(e) => {
                assert!(e.is::<Cancelled>(), "a fiber panicked");
                0
            }
        };
        assert_eq!(*m.try_lock().expect("the lock ends free"), 1 + first_ran);
    });
}

#[test]
fn cancelled_retry_waiter_passes_the_wake_on() {
    cancelled_retry_waiter();
}

#[test]
fn cancelled_retry_waiter_within_the_bound_passes_the_wake_on() {
    within_bound(cancelled_retry_waiter);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_cancelled_retry_waiter_keeping_the_wake_strands_the_next() {
    __loom::mutate(Some(Mutation::MutexCancelKeepsWake));
    cancelled_retry_waiter();
}

/// The `RwLock` version: main holds the write lock while a writer and a
/// reader queue; main releases (the first waiter is woken to retry),
/// barges back in for reading, cancels the writer, and releases. The
/// reader always gets in, and the lock ends free.
fn rwlock_cancelled_retry_waiter() {
    loom_tests::check(Some(2), || {
        let l = Arc::new(RwLock::new(0u32));
        let g = l.write().unwrap();
        let l2 = l.clone();
        let writer = fiberio::spawn(move || *l2.write().unwrap() += 1);
        let l2 = l.clone();
        let reader = fiberio::spawn(move || *l2.read().unwrap());
        drop(g);
        let r = l.read().unwrap();
        writer.cancel();
        drop(r);
        reader.join().unwrap();
        let wrote = match writer.join() {
            Ok(()) => 1,
            Err(e) => {
                assert!(e.is::<Cancelled>(), "a fiber panicked");
                0
            }
        };
        assert_eq!(*l.try_write().expect("the lock ends free"), wrote);
    });
}

#[test]
fn rwlock_cancelled_retry_waiter_passes_the_wake_on() {
    rwlock_cancelled_retry_waiter();
}

#[test]
fn rwlock_cancelled_retry_waiter_within_the_bound_passes_the_wake_on() {
    within_bound(rwlock_cancelled_retry_waiter);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_rwlock_cancelled_waiter_keeping_the_wake_strands_the_reader() {
    __loom::mutate(Some(Mutation::RwLockLeaveNoGrant));
    rwlock_cancelled_retry_waiter();
}

/// Two fibers queue behind main, which releases (waking the first to
/// retry) and barges back in once. With waits past the bound the first
/// waiter's failed retry switches the lock to hand-off, and the lock is
/// handed to the waiters in turn: both get it, and the lock ends free.
fn two_waiters_behind_a_barger() {
    loom_tests::check(Some(2), || {
        let m = Arc::new(Mutex::new(0u32));
        let g = m.lock().unwrap();
        let (a, b) = (locker(&m), locker(&m));
        drop(g);
        *m.lock().unwrap() += 1;
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(*m.try_lock().expect("the lock ends free"), 3);
    });
}

#[test]
fn two_waiters_behind_a_barger_are_both_served() {
    two_waiters_behind_a_barger();
}

#[test]
fn two_waiters_behind_a_barger_within_the_bound_are_both_served() {
    within_bound(two_waiters_behind_a_barger);
}
