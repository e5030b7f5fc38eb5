//! [`JoinHandle`]: waiting for a fiber's result from a fiber or a thread,
//! through the fiber's `JoinSlot` (`fiber/join_slot.rs`); cancelling it.

use std::fmt;
use std::marker::PhantomData;

use super::current::Fiber;
use crate::fiber::WaitOn;
use crate::fiber::task::Task;
use crate::loom::sync::Arc;

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
        Self { task, _result: PhantomData }
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
    /// fiber live on. If the fiber's runtime shut down before it finished,
    /// `Err` holds a `&'static str` saying so — as it does when the
    /// *joiner's* runtime shuts down while it waits (the joined fiber may
    /// then still finish; its result is lost).
    ///
    /// ```
    /// let h = fiberio::spawn(|| -> u32 { panic!("boom") });
    /// let err = h.join().unwrap_err();
    /// assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn join(self) -> std::thread::Result<T> {
        self.task.join.wait_result(WaitOn::Join { fiber: self.task.id() }).map(|any| {
            match any.downcast::<T>() {
                Ok(value) => *value,
                // The body that produced `any` was built for this `T`.
                Err(_) => unreachable!("a fiber's result has the JoinHandle's type"),
            }
        })
    }

    /// Cancels the fiber: it stops at its next blocking point (IO, sleep,
    /// a lock, a channel, a join, `yield_now`), or before it starts if it
    /// has not, by unwinding; its destructors run, locks it holds are
    /// released without being poisoned, and [`join`](Self::join) returns
    /// `Err` holding [`Cancelled`](crate::Cancelled). A fiber that
    /// finishes first keeps its result. A fiber that never blocks again is
    /// never stopped.
    ///
    /// ```
    /// use std::time::Duration;
    /// let h = fiberio::spawn(|| loop {
    ///     fiberio::sleep(Duration::from_millis(1));
    /// });
    /// h.cancel();
    /// assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
    /// ```
    pub fn cancel(&self) {
        crate::fiber::cancel::cancel(&self.task);
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
        f.debug_struct("JoinHandle").field("task", &self.task).finish()
    }
}
