//! The running fiber: [`current`], [`Fiber`], [`FiberId`], [`yield_now`].

use std::fmt;

use crate::fiber::carrier;
pub use crate::fiber::task::FiberId;
use crate::fiber::task::Task;
use crate::loom::sync::Arc;

/// A handle to a fiber: its id and name. Cheap to clone, `Send + Sync`.
///
/// ```
/// let h = fiberio::Builder::new().name("worker-7".into()).spawn(|| {
///     fiberio::current().expect("runs in a fiber").name().map(String::from)
/// }).unwrap();
/// assert_eq!(h.join().unwrap().as_deref(), Some("worker-7"));
/// ```
#[derive(Clone)]
pub struct Fiber {
    task: Arc<Task>,
}

impl Fiber {
    pub(crate) fn from_task(task: Arc<Task>) -> Self {
        Self { task }
    }

    /// The fiber's id.
    pub fn id(&self) -> FiberId {
        self.task.fiber_id()
    }

    /// The fiber's name, if [`Builder::name`](crate::Builder::name) gave it one.
    pub fn name(&self) -> Option<&str> {
        self.task.name()
    }
}

impl fmt::Debug for Fiber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fiber").field("id", &self.id()).field("name", &self.name()).finish()
    }
}

/// The fiber running this code, or `None` on a plain OS thread.
///
/// ```
/// assert!(fiberio::current().is_none());
/// let id = fiberio::spawn(|| fiberio::current().unwrap().id()).join().unwrap();
/// assert!(id.as_u64().get() > 0);
/// ```
pub fn current() -> Option<Fiber> {
    carrier::current_task().map(Fiber::from_task)
}

/// Lets the worker run other fibers, then continues. On a plain OS thread
/// this is `std::thread::yield_now`. It is a cancellation point
/// ([`JoinHandle::cancel`](crate::JoinHandle::cancel)).
///
/// ```
/// let h = fiberio::spawn(|| {
///     for _ in 0..3 {
///         fiberio::yield_now();
///     }
///     "done"
/// });
/// assert_eq!(h.join().unwrap(), "done");
/// ```
pub fn yield_now() {
    if !carrier::yield_running() {
        crate::loom::thread::yield_now();
    }
}
