//! Where a helper's result waits for the fiber that asked for it: a
//! oneshot under a small lock.
//!
//! ```text
//!            fiber (wait)                       helper (complete)
//!  take() ── empty ──> register(waiter)         store outcome
//!                      re-check: outcome there?  take waiter ──> wake it
//!                        yes: wake own waiter    (after the unlock)
//!                      park
//!  cancelled ────────> abandon(): waiter and any outcome out, flag set;
//!                      a later complete() hands the outcome back to the
//!                      helper, which drops it there
//! ```
//!
//! The blocking path reads fast path → register → re-check → park, and the
//! helper wakes only after releasing the lock (STYLE.md convention 5). The
//! lock is held for a few stores; no user code runs under it.

use std::io;

use crate::fiber::WaitOn;
use crate::fiber::park::Reason;
use crate::fiber::wait::{Woken, wait_thread, wait_undo};
use crate::fiber::waiter::Waiter;
use crate::loom::lock;
use crate::loom::sync::Mutex;

/// What a helper hands back: the closure's return value or panic, or the
/// error that no helper could run it.
pub(crate) type Outcome<R> = Result<std::thread::Result<R>, io::Error>;

/// A oneshot from one helper to one fiber (see the module docs).
#[derive(Debug)]
pub(crate) struct ResultSlot<R> {
    state: Mutex<SlotState<R>>,
}

#[derive(Debug)]
struct SlotState<R> {
    /// Set once by `complete`, taken once by the fiber.
    outcome: Option<Outcome<R>>,
    /// The parked fiber's waiter, while it waits.
    waiter: Option<Waiter>,
    /// The fiber stopped waiting (cancelled or unwound): the outcome is
    /// not wanted.
    abandoned: bool,
}

impl<R> ResultSlot<R> {
    pub(crate) fn new() -> Self {
        Self { state: Mutex::new(SlotState { outcome: None, waiter: None, abandoned: false }) }
    }

    /// The helper's side: publishes `outcome` and wakes the fiber. Returns
    /// the outcome back if the fiber abandoned the wait, for the helper to
    /// drop (outside the lock, guarding against a panicking drop).
    pub(crate) fn complete(&self, outcome: Outcome<R>) -> Option<Outcome<R>> {
        let mut s = lock(&self.state);
        if s.abandoned {
            return Some(outcome);
        }
        s.outcome = Some(outcome);
        let waiter = s.waiter.take();
        drop(s);
        if let Some(waiter) = waiter {
            waiter.wake(Reason::Notified);
        }
        None
    }

    /// The fiber's side: blocks until the outcome is there and takes it.
    ///
    /// A cancellation abandons the wait (the job runs on; its outcome is
    /// dropped on the helper) and unwinds the fiber. If the worker is
    /// shutting down and refuses the park, the worker thread itself blocks
    /// until the helper is done, as a lock does (`sync::wait_list`).
    pub(crate) fn wait(&self) -> Outcome<R> {
        // Any unwind out of here (cancellation, or shutdown unwinding the
        // parked fiber) leaves the slot abandoned.
        struct Abandon<'a, R>(&'a ResultSlot<R>);
        impl<R> Drop for Abandon<'_, R> {
            fn drop(&mut self) {
                drop(self.0.abandon());
            }
        }
        let guard = Abandon(self);
        loop {
            if let Some(outcome) = lock(&self.state).outcome.take() {
                std::mem::forget(guard);
                return outcome;
            }
            // Cancelled: a result that beat the cancellation is dropped
            // here, as an ordinary drop on the fiber, before the unwind.
            match wait_undo(None, WaitOn::Blocking, |waiter| self.register(waiter), || drop(self.abandon())) {
                Woken::Notified | Woken::TimedOut => {}
                Woken::Shutdown => {
                    wait_thread(None, |waiter| self.register(waiter));
                }
            }
        }
    }

    /// Publishes the waiter, or wakes it at once if the outcome is there.
    fn register(&self, waiter: Waiter) {
        let mut s = lock(&self.state);
        if s.outcome.is_some() {
            drop(s);
            waiter.wake(Reason::Notified);
        } else {
            // Replaces (and drops) the waiter of an earlier, ended wait.
            s.waiter = Some(waiter);
        }
    }

    /// Gives up the wait: takes the waiter and any outcome out (to be
    /// dropped by the caller, outside the lock) and refuses later ones.
    fn abandon(&self) -> (Option<Waiter>, Option<Outcome<R>>) {
        let mut s = lock(&self.state);
        s.abandoned = true;
        (s.waiter.take(), s.outcome.take())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn complete_then_wait_on_a_thread() {
        let slot = ResultSlot::new();
        assert!(slot.complete(Ok(Ok(7))).is_none());
        assert_eq!(slot.wait().unwrap().unwrap(), 7);
    }

    #[test]
    fn abandoned_slot_hands_the_outcome_back() {
        let slot = ResultSlot::<u8>::new();
        let (waiter, outcome) = slot.abandon();
        assert!(waiter.is_none() && outcome.is_none());
        assert_eq!(slot.complete(Ok(Ok(1))).unwrap().unwrap().unwrap(), 1);
    }

    #[test]
    fn thread_waits_for_a_late_complete() {
        let slot = std::sync::Arc::new(ResultSlot::new());
        let helper = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(5));
                slot.complete(Ok(Ok("late")))
            })
        };
        assert_eq!(slot.wait().unwrap().unwrap(), "late");
        assert!(helper.join().unwrap().is_none());
    }
}
