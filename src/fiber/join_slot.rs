//! [`JoinSlot`]: where a fiber's result waits for its joiner, in the
//! fiber's `Task` — a lock-free oneshot. The joiner's blocking path reads
//! "fast path → register → re-check → park", and the finishing fiber
//! publishes the result before it wakes the joiner (STYLE.md convention 5).
//! `JoinHandle` (`task/join.rs`) is its public face.

use super::park::Reason;
use super::task::Output;
use super::wait::{Woken, wait, wait_thread};
use super::wait_on::WaitOn;
use super::waiter::Waiter;
use crate::loom::cell::UnsafeCell;
use crate::loom::mutation::{Mutation, on};
use crate::loom::sync::atomic::{AtomicU8, Ordering::*};

/// The message of the panic payload a join returns when the runtime shut
/// down before the fiber finished.
pub(crate) const SHUTDOWN_MESSAGE: &str = "fiberio: the runtime shut down before this fiber finished";

const EMPTY: u8 = 0;
const WAITING: u8 = 1;
const DONE: u8 = 2;

/// Where a fiber's result waits for its joiner: a oneshot protocol.
///
/// ```text
/// EMPTY --register--> WAITING --complete--> DONE   (complete wakes the waiter)
///   |                    |--unregister--> EMPTY
///   +------complete---------------------> DONE
/// ```
///
/// The fiber writes `result` once and then swaps the state to `DONE`
/// (release); the joiner reads `result` only after seeing `DONE` (acquire).
/// The joiner writes `waiter` only in `EMPTY` and publishes it with the CAS
/// to `WAITING`; `complete` reads it only after swapping out `WAITING`. No
/// lock, no context switch: loom checks this code as is.
#[derive(Debug)]
pub(crate) struct JoinSlot {
    state: AtomicU8,
    result: UnsafeCell<Option<Output>>,
    waiter: UnsafeCell<Option<Waiter>>,
}

// SAFETY: `result` and `waiter` are each accessed by one side at a time, as
// handed over by the `state` transitions documented on the type.
unsafe impl Sync for JoinSlot {}

impl Drop for JoinSlot {
    fn drop(&mut self) {
        // An unjoined result is user code to drop: guard it (see
        // `drop_or_abort`). Joined results were taken: nothing runs here.
        if crate::loom::cells_unreachable() {
            return;
        }
        // `&mut self`: nobody else reaches the slot any more.
        if let Some(result) = crate::loom::take_cell(&mut self.result) {
            drop_or_abort(result);
        }
    }
}

impl JoinSlot {
    pub(crate) fn new() -> Self {
        Self { state: AtomicU8::new(EMPTY), result: UnsafeCell::new(None), waiter: UnsafeCell::new(None) }
    }

    /// The fiber's side: stores its result and wakes the joiner, if one
    /// waits. A second call (shutdown completing a fiber that completed
    /// itself) is ignored; all calls for one fiber come from its worker's
    /// thread, one after the other.
    pub(crate) fn complete(&self, result: Output) {
        if self.is_done() {
            return;
        }
        // SAFETY: only `complete` writes `result`, once, before `DONE` is
        // published; the joiner reads it only after seeing `DONE`.
        self.result.with_mut(|r| unsafe { *r = Some(result) });
        if self.state.swap(DONE, AcqRel) == WAITING {
            // SAFETY: `WAITING` means the joiner published a waiter and no
            // longer touches the slot until it sees `DONE`.
            let waiter = self.waiter.with_mut(|w| unsafe { (*w).take() });
            // Wake after the result is published (STYLE.md convention 5).
            if let Some(waiter) = waiter {
                waiter.wake(Reason::Notified);
            }
        }
    }

    /// Whether the result has been stored.
    pub(crate) fn is_done(&self) -> bool {
        self.state.load(Acquire) == DONE
    }

    /// The joiner's side: takes the result if it is there.
    pub(crate) fn try_take(&self) -> Option<Output> {
        if !self.is_done() {
            return None;
        }
        // SAFETY: `DONE` was published after the write of `result`, and the
        // (single) joiner is the only one who takes it.
        self.result.with_mut(|r| unsafe { (*r).take() })
    }

    /// The joiner's side: publishes `waiter`; `Err` gives it back if the
    /// result is already there. Any earlier waiter is replaced.
    pub(crate) fn register(&self, waiter: Waiter) -> Result<(), Waiter> {
        // Reclaim the waiter slot from an earlier registration, if any
        // (load first: a failed CAS costs a locked instruction too).
        match self.state.load(Acquire) {
            DONE => return Err(waiter),
            // A failed reclaim means the state can only have become DONE.
            WAITING if on(Mutation::JoinSlotReclaimByStore) => self.state.store(EMPTY, Release),
            WAITING if self.state.compare_exchange(WAITING, EMPTY, AcqRel, Acquire).is_err() => {
                return Err(waiter);
            }
            _ => {}
        }
        // SAFETY: in `EMPTY` the joiner owns the waiter slot.
        self.waiter.with_mut(|w| unsafe { *w = Some(waiter) });
        match self.state.compare_exchange(EMPTY, WAITING, AcqRel, Acquire) {
            Ok(_) => Ok(()),
            // SAFETY: `DONE` came first, so `complete` never read the slot.
            Err(_) => Err(self.waiter.with_mut(|w| unsafe { (*w).take() }).expect("just stored")),
        }
    }

    /// Blocks the calling OS thread — even on a fiber — until the result
    /// is stored. Only for `block_on`'s soundness after a cut-short join.
    pub(crate) fn wait_done_blocking_thread(&self) {
        while !self.is_done() {
            wait_thread(None, |waiter| {
                if let Err(waiter) = self.register(waiter) {
                    waiter.wake(Reason::Notified);
                }
            });
        }
    }

    /// Blocks the calling fiber or thread until the result is stored:
    /// fast path, register, re-check (inside `register`), park. A
    /// cancellation unwinds: nothing to undo, a later `register` replaces
    /// the waiter.
    pub(crate) fn wait_result(&self, on: WaitOn) -> Output {
        loop {
            if let Some(result) = self.try_take() {
                return result;
            }
            let woken = wait(None, on, |waiter| {
                if let Err(waiter) = self.register(waiter) {
                    waiter.wake(Reason::Notified);
                }
            });
            if woken == Woken::Shutdown {
                // The joiner's own runtime is going away: it cannot wait.
                return Err(Box::new(SHUTDOWN_MESSAGE));
            }
        }
    }
}

/// A payload for a fiber that never ran because its runtime shut down.
pub(crate) fn shutdown_output() -> Output {
    Err(Box::new(SHUTDOWN_MESSAGE))
}

/// Drops a value of the user's that nobody will see again — an unjoined
/// result, a never-started closure, a panic payload — possibly on a
/// worker's own stack, where a panic would kill the worker and strand every
/// fiber it owns. So, as std does for a thread result that panics on drop,
/// the process aborts with a message instead.
pub(crate) fn drop_or_abort<T>(value: T) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(value))).is_err() {
        eprintln!(
            "fiberio: a value dropped by a worker (a fiber's closure or unjoined result) panicked; aborting"
        );
        std::process::abort();
    }
}
