//! The wake-up of a fiber (or thread) blocked in `future::block_on`: a
//! `Waker` that may be woken from any thread, any number of times, at any
//! moment around the park (race 13 of DESIGN.md section 3).
//!
//! [`Signal`] holds a `notified` flag and the waiter of the current wait,
//! if any. Blocking reads, as everywhere in fiberio: register the waiter
//! under the lock → re-check the flag (taking it) → park. A wake sets the
//! flag *before* it takes the waiter under the same lock, so either the
//! wake finds the waiter, or the registration that follows it finds the
//! flag: no wake is lost. Extra wakes coalesce into the one flag; a wake
//! of a waiter whose wait has already ended loses in the park protocol
//! (`fiber/park.rs`) and does nothing. A wake that arrives while the
//! future is being polled leaves the flag set, so the next wait ends at
//! once and the future is polled again, as a `Waker` requires.
//!
//! No context switch here; the wait is `fiber::wait`'s, so loom checks
//! exactly this code.

use std::task::Wake;

use crate::fiber::park::Reason;
use crate::fiber::waiter::Waiter;
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// What a `block_on` waker wakes (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Signal {
    /// A wake came that no wait has taken yet.
    notified: AtomicBool,
    /// The waiter of the open wait (or of an ended one, whose wake loses).
    waiter: Mutex<Option<Waiter>>,
}

impl Signal {
    /// A signal with no wake pending.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The blocked side, inside its wait: hands over `waiter`, then takes a
    /// wake that came meanwhile (ending the wait at once).
    pub(crate) fn register(&self, waiter: Waiter) {
        *crate::loom::lock(&self.waiter) = Some(waiter.clone());
        if on(Mutation::SignalNoRecheck) {
            return;
        }
        if self.notified.swap(false, SeqCst) {
            waiter.wake(Reason::Notified);
        }
    }

    /// The blocked side, after its wait and before it polls again: clears
    /// the flag. Every wake before this is seen by that poll; every wake
    /// after it sets the flag again, for the next wait.
    pub(crate) fn clear(&self) -> bool {
        self.notified.swap(false, SeqCst)
    }

    /// Any thread: wakes the blocked side (see the module docs).
    pub(crate) fn notify(&self) {
        self.notified.store(true, SeqCst);
        let waiter = crate::loom::lock(&self.waiter).take();
        if let Some(waiter) = waiter {
            waiter.wake(Reason::Notified);
        }
    }
}

impl Wake for Signal {
    fn wake(self: std::sync::Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.notify();
    }
}
