//! Race 13 of DESIGN.md section 3: a `Waker` woken from another thread,
//! any number of times, around the park of a fiber in
//! `fiberio::future::block_on` (`src/future/signal.rs`). Run on the real
//! code through the user loom mode (the fiber is a loom thread).
//!
//! The defence: a wake sets a flag, then takes the registered waiter
//! under a lock; the waiting side registers its waiter under that lock,
//! then takes the flag, waking itself if it was set. The broken variant
//! registers without that re-check: a wake that came between the poll and
//! the registration is lost, and loom reports the deadlock.
//!
//! Bounds and times: `loom-tests/README.md`.
#![cfg(loom)]

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Poll, Waker};

use fiberio::__loom::{self, Mutation};
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// A fiber blocks on a future that the main thread completes, waking it
/// once or twice (the second wake of an ended wait must do nothing); the
/// fiber always finishes.
fn woken_future(wakes: usize) {
    loom_tests::check(Some(2), move || {
        // std's Arc: loom tearing down a failed model drops it, and a loom
        // Arc's drop would touch the model after it is gone.
        let fired = Arc::new(AtomicBool::new(false));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let (f, s) = (fired.clone(), slot.clone());
        let h = fiberio::spawn(move || {
            fiberio::future::block_on(poll_fn(|cx| {
                *s.lock().unwrap() = Some(cx.waker().clone());
                if f.load(SeqCst) { Poll::Ready(()) } else { Poll::Pending }
            }))
        });
        fired.store(true, SeqCst);
        for _ in 0..wakes {
            let waker = slot.lock().unwrap().clone();
            if let Some(w) = waker {
                w.wake();
            }
        }
        h.join().unwrap();
    });
}

#[test]
fn a_wake_around_the_park_is_never_lost() {
    woken_future(1);
}

#[test]
fn a_second_wake_of_an_ended_wait_is_harmless() {
    woken_future(2);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_registration_without_recheck_loses_the_wake() {
    __loom::mutate(Some(Mutation::SignalNoRecheck));
    woken_future(1);
}
