//! `JoinHandle`: waiting for a fiber's result from a fiber or a thread.
//!
//! The result travels through a [`JoinSlot`] in the fiber's `Task`. The
//! blocking path reads "register → re-check → park" under the slot's lock:
//! the joiner checks for the result and, if absent, leaves its waiter in the
//! same critical section; the finishing fiber stores the result, takes the
//! waiter, releases the lock and only then wakes it (STYLE.md convention 5).

use std::fmt;
use std::marker::PhantomData;

use super::current::Fiber;
use super::park::Reason;
use super::task::{Output, Task};
use super::waiter::{Waiter, wait, wait_thread};
use crate::loom::sync::{Arc, Mutex};

/// The message of the panic payload a join returns when the runtime shut
/// down before the fiber finished.
pub(crate) const SHUTDOWN_MESSAGE: &str =
    "fiberio: the runtime shut down before this fiber finished";

#[derive(Debug, Default)]
struct Slot {
    done: bool,
    result: Option<Output>,
    waiter: Option<Waiter>,
}

/// Where a fiber's result waits for its joiner.
#[derive(Debug, Default)]
pub(crate) struct JoinSlot {
    slot: Mutex<Slot>,
}

impl JoinSlot {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Stores the fiber's result and wakes the joiner, if one waits.
    /// Only the first call counts (a fiber completes once).
    pub(crate) fn complete(&self, result: Output) {
        let waiter = {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if slot.done {
                return;
            }
            slot.done = true;
            slot.result = Some(result);
            slot.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake(Reason::Notified);
        }
    }

    /// Whether the result has been stored.
    pub(crate) fn is_done(&self) -> bool {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).done
    }

    /// Blocks the calling OS thread — even on a fiber — until the result
    /// is stored. Only for `block_on`'s soundness after a cut-short join.
    pub(crate) fn wait_done_blocking_thread(&self) {
        loop {
            if self.is_done() {
                return;
            }
            wait_thread(None, |waiter| {
                let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
                if slot.done {
                    drop(slot);
                    waiter.wake(Reason::Notified);
                } else {
                    slot.waiter = Some(waiter);
                }
            });
        }
    }

    /// Blocks the calling fiber or thread until the result is stored.
    fn wait_result(&self) -> Output {
        loop {
            {
                let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
                if slot.done {
                    return slot.result.take().expect("a fiber's result is taken once");
                }
            }
            let reason = wait(None, |waiter| {
                let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
                if slot.done {
                    drop(slot);
                    waiter.wake(Reason::Notified);
                } else {
                    slot.waiter = Some(waiter);
                }
            });
            if reason == Reason::Shutdown {
                // The joiner's own runtime is going away: it cannot wait.
                return Err(Box::new(SHUTDOWN_MESSAGE));
            }
        }
    }
}

/// An owned permission to join a fiber: wait for it to finish and take
/// its result. Like `std::thread::JoinHandle`, dropping it detaches the
/// fiber, which runs on.
///
/// `JoinHandle` is `Send` and `Sync`: a fiber can be joined from any fiber
/// or thread.
///
/// ```
/// let h = fiberio::spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    task: Arc<Task>,
    _result: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> JoinHandle<T> {
    pub(crate) fn new(task: Arc<Task>) -> Self {
        Self {
            task,
            _result: PhantomData,
        }
    }

    /// Waits for the fiber to finish and returns its result.
    ///
    /// Called from a fiber, only that fiber parks; called from a plain OS
    /// thread, the thread blocks.
    ///
    /// # Errors
    ///
    /// If the fiber panicked, `Err` holds the panic payload, as
    /// `std::thread::JoinHandle::join` does; the worker and every other
    /// fiber live on. If the runtime shut down before the fiber finished,
    /// `Err` holds a `&'static str` saying so.
    ///
    /// ```
    /// let h = fiberio::spawn(|| -> u32 { panic!("boom") });
    /// let err = h.join().unwrap_err();
    /// assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn join(self) -> std::thread::Result<T> {
        self.task
            .join
            .wait_result()
            .map(|any| match any.downcast::<T>() {
                Ok(value) => *value,
                // The body that produced `any` was built for this `T`.
                Err(_) => unreachable!("a fiber's result has the JoinHandle's type"),
            })
    }

    /// Whether the fiber has finished (its result is ready to join).
    pub fn is_finished(&self) -> bool {
        self.task.join.is_done()
    }

    pub(crate) fn task(&self) -> &Arc<Task> {
        &self.task
    }

    /// The fiber this handle joins.
    pub fn fiber(&self) -> Fiber {
        Fiber::from_task(self.task.clone())
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &self.task)
            .finish()
    }
}

/// A payload for a fiber that never ran because its runtime shut down.
pub(crate) fn shutdown_output() -> Output {
    Err(Box::new(SHUTDOWN_MESSAGE))
}
