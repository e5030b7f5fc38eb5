//! Which worker and which fiber this thread is running, and the operations
//! the rest of the crate performs on "the current fiber".
//!
//! A worker thread stores a pointer to its [`Worker`] in a thread-local for
//! as long as the worker runs; it is null on every other thread. The
//! worker's own `cur_task` says whether a fiber is running right now.

use std::cell::Cell;
use std::time::Instant;

use super::fibers::Request;
use super::worker::Worker;
use crate::fiber::LocalMap;
use crate::fiber::park::Reason;
use crate::fiber::task::Task;
use crate::fiber::waiter::Waiter;
use crate::loom::sync::Arc;

thread_local! {
    static WORKER: Cell<*const Worker> = const { Cell::new(std::ptr::null()) };
}

/// Makes `worker` this thread's worker while `f` runs.
pub(crate) fn enter_worker<R>(worker: &Worker, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            WORKER.with(|w| w.set(std::ptr::null()));
        }
    }
    WORKER.with(|w| w.set(worker));
    let _reset = Reset;
    f()
}

/// This thread's worker, if it is one.
///
/// The reference is valid for as long as the caller runs on this thread
/// inside `enter_worker` — which includes every fiber, since a worker
/// unwinds all its fibers before `enter_worker` returns.
pub(crate) fn worker<'a>() -> Option<&'a Worker> {
    let ptr = WORKER.with(|w| w.get());
    // SAFETY: non-null only inside `enter_worker`, whose `worker` borrow
    // outlives everything that runs on this thread meanwhile (see above).
    unsafe { ptr.as_ref() }
}

/// The worker and running fiber's task, if a fiber runs on this thread.
fn fiber<'a>() -> Option<(&'a Worker, &'a Arc<Task>)> {
    let worker = worker()?;
    worker.current_task().map(|task| (worker, task))
}

/// Whether this code runs on a fiber.
pub(crate) fn in_fiber() -> bool {
    fiber().is_some()
}

/// The running fiber's task.
pub(crate) fn current_task() -> Option<Arc<Task>> {
    fiber().map(|(_, task)| task.clone())
}

/// Runs `f` on the running fiber's local map; `None` off a fiber.
pub(crate) fn with_current_locals<R>(f: impl FnOnce(&mut LocalMap) -> R) -> Option<R> {
    let (_, task) = fiber()?;
    // SAFETY: only the running fiber reaches its map, and `f` gets it for
    // the duration of one call that does not re-enter `with_current_locals`
    // (callers run user code, such as `init` or drops, outside of `f`).
    Some(f(unsafe { &mut *task.locals() }))
}

/// Yields the running fiber (a cancellation point); `false` off a fiber.
pub(crate) fn yield_fiber() -> bool {
    let Some((worker, task)) = fiber() else {
        return false;
    };
    crate::fiber::cancel::check(task);
    if !worker.unwinding.get() {
        worker.suspend(Request::Yield);
    }
    true
}

/// The fiber path of `waiter::wait`: open a wait, register, arm the
/// deadline, suspend; the worker commits the park on its own stack.
/// Must be called on a fiber.
pub(crate) fn park_fiber(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    let (worker, task) = fiber().expect("park_fiber on a fiber");
    // Keep our own reference: the slab may grow while we are parked.
    let task = task.clone();
    let seq = match task.park.begin() {
        Ok(seq) => seq,
        Err(reason) => return reason,
    };
    register(Waiter::fiber(task.clone(), seq));
    let timer = deadline.map(|d| worker.timers.borrow_mut().insert(d, Waiter::fiber(task.clone(), seq)));
    worker.suspend(Request::Park(seq));
    let reason = task.park.reason(seq).expect("a parked fiber resumes only once woken");
    if let Some(key) = timer.filter(|_| reason != Reason::TimedOut) {
        worker.timers.borrow_mut().cancel(key);
    }
    reason
}

/// Makes a fiber whose committed park was just won runnable on its worker:
/// directly on the local run queue when that worker is this thread,
/// through its inbox otherwise.
pub(crate) fn schedule(task: &Task) {
    task.with_home(|home| match worker() {
        Some(w) if Arc::ptr_eq(&w.shared, &home.worker) => w.run_queue.borrow_mut().push_back(home.slot),
        _ => home.worker.wake_remote(home.slot),
    });
}

/// The shared half of the running fiber's worker, if a fiber runs here.
pub(crate) fn current_worker_shared<'a>() -> Option<&'a Arc<super::WorkerShared>> {
    fiber().map(|(worker, _)| &worker.shared)
}

/// Whether this thread is a worker that has begun shutting down.
pub(crate) fn worker_shutting_down() -> bool {
    worker().is_some_and(|w| w.is_closed())
}
