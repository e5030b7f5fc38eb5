//! Cancellation: [`JoinHandle::cancel`](crate::JoinHandle::cancel) stops a
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
//!
//! A cancellation is never delivered while the fiber's thread unwinds
//! (a destructor that blocks during a panic, or during the cancellation's
//! own unwind): a second unwind out of a destructor aborts the process. It
//! stays pending instead ([`masked`]), delivered at the first blocking
//! point after the unwind. std's "panicking" state is per thread, so a
//! fiber whose worker has another fiber suspended mid-unwind sees its
//! cancellations deferred the same way until that one is done.

use std::cell::Cell;
use std::fmt;

use super::carrier::{current_task, with_running};
use super::task::Task;

/// The panic payload of a cancelled fiber, returned by
/// [`JoinHandle::join`](crate::JoinHandle::join) as `Err`.
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
        task.schedule();
    }
}

/// The libc hook caught a cancellation unwind at its C boundary (it
/// cannot unwind through a C frame): leaves the cancellation pending
/// again, for the fiber's next blocking point.
#[cfg(feature = "hook")]
pub(crate) fn repend() {
    with_running(|task| cancel(task));
}

/// Unwinds the running fiber with the [`Cancelled`] payload. Call it after
/// undoing the registration of the wait that reported `Reason::Cancelled`.
pub(crate) fn unwind() -> ! {
    crate::loom::cancel_unwind_begins();
    if with_running(|task| task.set_cancel_unwinding(true)).is_some() {
        MAY_BE_STALE.with(|m| m.set(true));
    }
    std::panic::resume_unwind(Box::new(Cancelled))
}

/// At a cancellation point that is not a wait (`yield_now`, a fiber's
/// start): unwinds if a cancellation is pending for `task` — unless the
/// thread is unwinding already (see the module docs).
pub(crate) fn check(task: &Task) {
    if crate::loom::panicking() {
        return;
    }
    task.set_cancel_unwinding(false);
    if task.park.take_cancel() {
        unwind();
    }
}

/// Runs `park` (a wait of the current fiber) with its cancellation masked
/// if the thread is unwinding, so the wait never ends as cancelled then.
pub(crate) fn masked<R>(park: impl FnOnce() -> R) -> R {
    let task = crate::loom::panicking().then(current_task).flatten();
    let Some(task) = task else {
        unwind_ended();
        return park();
    };
    task.park.set_cancel_masked(true);
    let result = park();
    task.park.set_cancel_masked(false);
    result
}

crate::loom::carrier_local! {
    /// Whether a fiber of this thread has begun a cancellation unwind since
    /// the last [`unwind_ended`] check: only then can a fiber's
    /// `cancel_unwinding` flag be stale (the unwind was caught).
    static MAY_BE_STALE: Cell<bool> = const { Cell::new(false) };
}

/// Called where a fiber takes a lock or blocks: a fiber that does so while
/// its thread is not unwinding has ended any cancellation unwind it began
/// (it caught it), so a real panic of its must poison again. Costs one
/// thread-local read unless a cancellation unwound on this thread since
/// the last check.
#[inline]
pub(crate) fn unwind_ended() {
    if MAY_BE_STALE.with(Cell::get) {
        unwind_ended_slow();
    }
}

#[cold]
fn unwind_ended_slow() {
    if !crate::loom::panicking() {
        MAY_BE_STALE.with(|m| m.set(false));
        with_running(|task| task.set_cancel_unwinding(false));
    }
}

/// Whether the current thread unwinds because its fiber was cancelled, or
/// because runtime shutdown unwinds it, rather than because of a panic:
/// fiberio's lock guards do not poison then (neither is a failure of the
/// critical section's code).
pub(crate) fn unwinding() -> bool {
    crate::loom::panicking()
        && (with_running(|t| t.cancel_unwinding()).unwrap_or(false) || super::carrier::carrier_unwinding())
}
