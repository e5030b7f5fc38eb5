//! Which worker runs on this thread: the scheduler's own question (a local
//! spawn, a local wake). "Which fiber runs?" is the fiber layer's
//! (`fiber/carrier.rs`).
//!
//! A worker thread stores a pointer to its [`Worker`] in a thread-local for
//! as long as the worker runs; it is null on every other thread.

use std::cell::Cell;

use super::worker::Worker;

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
