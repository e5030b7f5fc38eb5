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

use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::fiber::park::Reason;
use crate::fiber::waiter::Waiter;
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst};

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
    pub(crate) fn clear(&self) {
        // A swap, not a store: reading a wake's `true` synchronises with it,
        // so the poll that follows sees what that wake announced.
        self.notified.swap(false, SeqCst);
    }

    /// Back to a signal with no wake pending and no waiter (`waited`:
    /// whether a waiter may have been registered), for reuse by a next
    /// `block_on` once no `Waker` of it is left.
    pub(crate) fn reset(&self, waited: bool) {
        // Relaxed: no `Waker` is left, so no other thread touches it; the
        // next user takes it from this thread's cache.
        self.notified.store(false, Relaxed);
        if waited {
            *crate::loom::lock(&self.waiter) = None;
        }
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

/// A `Waker` for `signal` that borrows the caller's reference instead of
/// taking one (as `futures::task::waker_ref`): polling a future that is
/// ready at once costs no reference count. A clone the future keeps is a
/// counted `Arc<Signal>` like any other.
pub(crate) fn waker_ref(signal: &Arc<Signal>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(Arc::as_ptr(signal).cast(), &VTABLE);
    // `VTABLE`'s functions treat the pointer as an `Arc<Signal>` made by
    // `Arc::into_raw` (`Arc::as_ptr` is the same pointer); this one owns no
    // count, which `ManuallyDrop` honours by never running its `drop`.
    // SAFETY: as above; it lives no longer than the borrow of `signal`.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
///
/// `p` comes from an `Arc<Signal>` that is alive (a `Waker` of ours).
unsafe fn clone(p: *const ()) -> RawWaker {
    // SAFETY: the caller's waker keeps the `Arc` alive; the clone owns the
    // new count, released by `wake` or `drop_waker`.
    unsafe { Arc::increment_strong_count(p.cast::<Signal>()) };
    RawWaker::new(p, &VTABLE)
}

/// # Safety
///
/// `p` is an owned count of an `Arc<Signal>` (a cloned `Waker`).
unsafe fn wake(p: *const ()) {
    // SAFETY: consumes the count this waker owns (see `clone`).
    let signal = unsafe { Arc::from_raw(p.cast::<Signal>()) };
    signal.notify();
}

/// # Safety
///
/// `p` points to a live `Signal` (the waker's `Arc` keeps it).
unsafe fn wake_by_ref(p: *const ()) {
    // SAFETY: see above; only borrowed.
    unsafe { &*p.cast::<Signal>() }.notify();
}

/// # Safety
///
/// `p` is an owned count of an `Arc<Signal>` (a cloned `Waker`).
unsafe fn drop_waker(p: *const ()) {
    // SAFETY: releases the count this waker owns (see `clone`).
    drop(unsafe { Arc::from_raw(p.cast::<Signal>()) });
}
