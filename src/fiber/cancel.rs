//! Cancellation: [`JoinHandle::cancel`](super::JoinHandle::cancel) stops a
//! fiber at its next blocking point by unwinding it.
//!
//! The mechanism: `cancel` ends the fiber's open wait with
//! `Reason::Cancelled` through the park protocol (one atomic transition
//! against IO, timers and notifies, DESIGN.md decision 7), or leaves a
//! cancellation pending that the fiber's next wait, `yield_now` or start
//! consumes. The blocking operation that sees `Cancelled` first undoes its
//! own registration (a waiter leaves its queue, a lock it was handed is
//! released), then calls [`unwind`], which unwinds the fiber's stack with a
//! [`Cancelled`] payload. Destructors run as for a panic; the payload
//! reaches `join`.
//!
//! Why unwinding, not an error: an `io::ErrorKind::Interrupted` error is
//! retried by std's own loops (`read_exact`, `write_all`), and a lock or a
//! channel has no error to return; an unwind stops the fiber wherever it
//! blocks and runs every destructor on the way, so no lock stays held. The
//! unwind is not a panic: the panic hook does not run, and fiberio's locks
//! are not poisoned by it ([`unwinding`]).
//!
//! A cancellation is delivered once. A fiber that catches the unwind
//! (`catch_unwind`) carries on, and blocks normally afterwards.

use std::fmt;

use super::task::Task;
use crate::sched;

/// The panic payload of a cancelled fiber, returned by
/// [`JoinHandle::join`](super::JoinHandle::join) as `Err`.
///
/// ```
/// use std::time::Duration;
/// let h = fiberio::spawn(|| fiberio::sleep(Duration::from_secs(3600)));
/// h.cancel();
/// let err = h.join().unwrap_err();
/// assert!(err.is::<fiberio::Cancelled>());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the fiber was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// Requests the cancellation of the fiber of `task` (see the module docs).
pub(crate) fn cancel(task: &Task) {
    if task.park.cancel() == super::park::Wake::WonParked {
        sched::schedule(task);
    }
}

/// Unwinds the running fiber with the [`Cancelled`] payload. Call it after
/// undoing the registration of the wait that reported `Reason::Cancelled`.
pub(crate) fn unwind() -> ! {
    if let Some(task) = sched::current_task() {
        task.set_cancel_unwinding();
    }
    std::panic::resume_unwind(Box::new(Cancelled))
}

/// At a cancellation point that is not a wait (`yield_now`, a fiber's
/// start): unwinds if a cancellation is pending for `task`.
pub(crate) fn check(task: &Task) {
    if task.park.take_cancel() {
        unwind();
    }
}

/// Whether the current thread unwinds because its fiber was cancelled,
/// rather than because of a panic: fiberio's lock guards do not poison
/// then.
pub(crate) fn unwinding() -> bool {
    std::thread::panicking() && sched::current_task().is_some_and(|t| t.cancel_unwinding())
}
