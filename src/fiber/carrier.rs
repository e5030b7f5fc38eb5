//! The running fiber, and the worker that carries it, as the rest of the
//! crate sees them.
//!
//! "Am I on a fiber? Which one?" is answered here, not by the scheduler
//! (STYLE.md 13): a worker thread names itself this thread's [`Carrier`]
//! for as long as it runs ([`enter_carrier`]), and marks the fiber it
//! resumes as the running one, and clears it when the fiber suspends
//! ([`set_running`]). Everything above — waits, time, IO, the helper pool,
//! fiber-locals — asks [`in_fiber`], [`with_running`] or [`current_task`].
//!
//! The [`Carrier`] trait is what the fiber layer needs of a worker: suspend
//! the running fiber for a two-phase park or a yield, and say whether it
//! is shutting down. The scheduler implements it; the fiber layer never
//! names the scheduler.

use std::cell::Cell;
use std::time::Instant;

use super::park::Seq;
use super::task::Task;
use super::waiter::Waiter;
use crate::loom::sync::Arc;

/// What the fiber layer needs of the worker thread that runs fibers
/// (implemented by `sched::Worker`).
pub(crate) trait Carrier {
    /// Suspends the running fiber; its worker commits wait `seq` on its
    /// own stack (two-phase park, race 2) and resumes the fiber once the
    /// wait is woken — at once if a wake won before the commit. With a
    /// `timer`, a timer armed first wakes its waiter with `TimedOut` at
    /// the deadline, and is disarmed when the fiber resumes.
    fn park(&self, seq: Seq, timer: Option<(Instant, Waiter)>);

    /// Suspends the running fiber and runs it again after the others that
    /// are runnable (no-op while shutdown unwinds fibers).
    fn yield_now(&self);

    /// Whether shutdown has begun: a wait must not block the thread then.
    fn is_closing(&self) -> bool;
}

crate::loom::carrier_local! {
    /// The worker running on this thread, if it is one.
    static CARRIER: Cell<Option<*const dyn Carrier>> = const { Cell::new(None) };
    /// The running fiber's task; null on a worker's own stack and off workers.
    static RUNNING: Cell<*const Arc<Task>> = const { Cell::new(std::ptr::null()) };
}

/// Makes `carrier` this thread's carrier while `f` runs (a worker, for
/// its whole life). Every fiber it runs must be over before this returns.
pub(crate) fn enter_carrier<R>(carrier: &dyn Carrier, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            // Under loom, a model torn down after a found bug: leave its
            // thread-locals alone (the user loom mode's carriers).
            if crate::loom::cells_unreachable() {
                return;
            }
            CARRIER.with(|c| c.set(None));
            RUNNING.with(|r| r.set(std::ptr::null()));
        }
    }
    // SAFETY: only the lifetime is erased; the pointer is cleared by
    // `Reset` before the borrow of `carrier` ends, and only dereferenced on
    // this thread meanwhile (`carrier()`).
    let ptr: *const (dyn Carrier + 'static) = unsafe { std::mem::transmute(carrier) };
    CARRIER.with(|c| c.set(Some(ptr)));
    let _reset = Reset;
    f()
}

/// The carrier, called by the worker as it resumes a fiber (`task`) and as
/// the fiber suspends or ends (null). `task` must stay valid until the next
/// call: the worker's fiber slot holds it for the run.
#[inline]
pub(crate) fn set_running(task: *const Arc<Task>) {
    RUNNING.with(|r| r.set(task));
}

/// This thread's carrier, if it is a worker.
fn carrier<'a>() -> Option<&'a dyn Carrier> {
    // SAFETY: set only inside `enter_carrier`, whose borrow outlives
    // everything that runs on this thread meanwhile.
    CARRIER.with(Cell::get).map(|ptr| unsafe { &*ptr })
}

/// Whether this code runs on a fiber.
#[inline]
pub(crate) fn in_fiber() -> bool {
    !RUNNING.with(Cell::get).is_null()
}

/// Runs `f` with the running fiber's task; `None` off a fiber.
#[inline]
pub(crate) fn with_running<R>(f: impl FnOnce(&Arc<Task>) -> R) -> Option<R> {
    let ptr = RUNNING.with(Cell::get);
    // SAFETY: non-null `RUNNING` is the running fiber's task, held by its
    // worker's slot for the whole run (`set_running`).
    unsafe { ptr.as_ref() }.map(f)
}

/// The running fiber's task.
pub(crate) fn current_task() -> Option<Arc<Task>> {
    with_running(Arc::clone)
}

/// The fiber half of a wait: opens it, registers, asks the carrier to
/// park (arming the deadline), and returns why the wait ended. Must run on
/// a fiber.
pub(crate) fn park(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> super::park::Reason {
    // Our own reference: the worker's slab may grow while we are parked.
    let task = current_task().expect("park on a fiber");
    let carrier = carrier().expect("fibers run on carriers");
    let seq = match task.park.begin() {
        Ok(seq) => seq,
        Err(reason) => return reason,
    };
    register(Waiter::fiber(task.clone(), seq));
    carrier.park(seq, deadline.map(|d| (d, Waiter::fiber(task.clone(), seq))));
    task.park.reason(seq).expect("a parked fiber resumes only once woken")
}

/// Yields the running fiber (a cancellation point); `false` off a fiber.
pub(crate) fn yield_running() -> bool {
    let Some(carrier) = carrier().filter(|_| in_fiber()) else {
        return false;
    };
    with_running(|task| super::cancel::check(task));
    carrier.yield_now();
    true
}

/// Whether this thread is a worker that has begun shutting down.
pub(crate) fn carrier_closing() -> bool {
    carrier().is_some_and(|c| c.is_closing())
}
