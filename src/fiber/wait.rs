//! Waiting: the one way anything in fiberio blocks.
//!
//! [`wait`] blocks the caller — the current fiber if there is one, else the
//! current OS thread (DESIGN.md decision 11) — until a [`Waiter`] handed to
//! its `register` callback is woken, or a deadline passes. Every blocking
//! operation (join, sleep, locks, channels, IO, the helper pool) is built
//! on it, so the two-phase park and the exactly-one-wakeup rule of
//! `park.rs` hold for all.
//!
//! The order inside a blocking operation is always: fast path → open a
//! wait → register the waiter → re-check the condition (inside `register`,
//! waking the waiter itself if it already holds) → park.
//!
//! A cancellation ([`JoinHandle::cancel`](crate::JoinHandle::cancel)) that
//! ends a wait unwinds the fiber right here, after the caller's `undo`
//! ([`wait_undo`]), so callers match only the outcomes they handle:
//! [`Woken`].

use std::time::Instant;

use super::carrier;
use super::park::{Reason, Wake};
use super::wait_on::WaitOn;
use super::waiter::{ThreadParker, Waiter};
use crate::loom::sync::Arc;
use crate::loom::thread;

/// How a wait ended, when not by a cancellation (which unwinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Woken by what it waited for (a join, a lock, a channel, IO).
    Notified,
    /// Its deadline passed.
    TimedOut,
    /// The runtime is shutting down: the fiber cannot park.
    Shutdown,
}

impl Reason {
    /// The outcome as callers see it; a cancellation runs `undo` (the
    /// caller taking back its registration or a grant it cannot use), then
    /// unwinds the fiber.
    pub(crate) fn or_unwind(self, undo: impl FnOnce()) -> Woken {
        match self {
            Reason::Notified => Woken::Notified,
            Reason::TimedOut => Woken::TimedOut,
            Reason::Shutdown => Woken::Shutdown,
            Reason::Cancelled => {
                undo();
                super::cancel::unwind()
            }
        }
    }
}

/// Blocks the current fiber, or else the current thread, until a waiter
/// given to `register` is woken or `deadline` passes. A cancellation
/// unwinds (nothing to undo: a waiter left queued loses every later wake).
///
/// `register` must hand the waiter to whatever will wake it, then re-check
/// the condition and wake the waiter itself if it already holds.
#[inline]
pub(crate) fn wait(deadline: Option<Instant>, on: WaitOn, register: impl FnOnce(Waiter)) -> Woken {
    wait_reason(deadline, on, register).or_unwind(|| {})
}

/// [`wait`], running `undo` before a cancellation unwinds.
pub(crate) fn wait_undo(
    deadline: Option<Instant>,
    on: WaitOn,
    register: impl FnOnce(Waiter),
    undo: impl FnOnce(),
) -> Woken {
    wait_reason(deadline, on, register).or_unwind(undo)
}

/// [`wait`], returning a cancellation as [`Reason::Cancelled`] instead of
/// unwinding: for a caller that must first learn what the wait got it
/// (`wait_list::wait_on`); it then calls [`Reason::or_unwind`].
#[inline]
pub(crate) fn wait_reason(deadline: Option<Instant>, on: WaitOn, register: impl FnOnce(Waiter)) -> Reason {
    if carrier::in_fiber() {
        super::cancel::masked(|| carrier::park(deadline, on, register))
    } else if carrier::carrier_closing() {
        // A destructor the worker runs on its own stack during shutdown
        // (a never-started fiber's closure): blocking the worker thread
        // could wait on a fiber only this worker can unwind.
        Reason::Shutdown
    } else {
        wait_thread(deadline, register)
    }
}

/// The thread path of [`wait`], also taken by a fiber that must block its
/// thread (`block_on`'s soundness wait, a lock during shutdown).
pub(crate) fn wait_thread(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    crate::loom::with_thread_cached!(Arc<ThreadParker>, ThreadParker::for_current_thread(), |parker| {
        wait_with(parker, deadline, register)
    })
}

fn wait_with(parker: &Arc<ThreadParker>, deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    let park = parker.park_state();
    let seq = match park.begin() {
        Ok(seq) => seq,
        Err(reason) => return reason,
    };
    register(ThreadParker::waiter(parker, seq));
    loop {
        if let Some(reason) = park.reason(seq) {
            return reason;
        }
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let now = Instant::now();
                if crate::loom::deadline_passed(now, deadline) {
                    // Race the other wakers for the win, like a timer would.
                    if park.wake(seq, Reason::TimedOut) != Wake::Lost {
                        return Reason::TimedOut;
                    }
                    continue;
                }
                thread::park_timeout(deadline - now);
            }
        }
    }
}
