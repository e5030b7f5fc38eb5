//! `Runtime::block_on`: run a closure that may borrow from the caller on a
//! fiber, and wait for it.
//!
//! The closure's lifetime is erased to spawn it, which is sound because
//! `block_on` does not return — not even by unwinding — before the fiber
//! has finished or been dropped: its `Task` completes only after the body
//! ran or was dropped (normal return, panic, forced unwind at shutdown,
//! abandonment before start), and a drop guard waits for that completion
//! on every path out of `block_on`.

use std::panic;

use crate::fiber::task::Task;
use crate::loom::sync::Arc;
use crate::sched::RuntimeShared;
use crate::task::Builder;

/// A raw pointer that may cross to the worker: the pointee outlives the
/// fiber that writes it (module docs).
struct OutPtr<T>(*mut Option<T>);
// SAFETY: only the fiber writes through it, while `block_on` waits and
// neither reads nor moves the slot; `T: Send` is required by the caller.
unsafe impl<T: Send> Send for OutPtr<T> {}

#[track_caller]
pub(crate) fn block_on<'a, F, T>(rt: &RuntimeShared, f: F) -> T
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    let mut out: Option<T> = None;
    let ptr = OutPtr(&mut out);
    let body = move || {
        let ptr = ptr;
        let value = f();
        // SAFETY: `out` lives until `block_on` returns, which is after this
        // fiber has finished (module docs); nothing else touches it meanwhile.
        unsafe { *ptr.0 = Some(value) };
    };
    let body: Box<dyn FnOnce() + Send + 'a> = Box::new(body);
    // SAFETY: erasing `'a` is sound because the fiber is finished or
    // dropped before this function returns (module docs).
    let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
    let handle = match Builder::new().spawn_on(rt, body) {
        Ok(handle) => handle,
        Err(e) => panic!("{e}"),
    };
    let task: Arc<Task> = handle.task().clone();
    // On every way out of here — including unwinding, when shutdown unwinds
    // the fiber calling `block_on` — wait until the body is finished or
    // dropped, blocking the thread if need be, before `out` and the
    // caller's borrows die. A body on this same worker is never waited for
    // in vain: shutdown unwinds the newest fibers first, the body before
    // its caller.
    struct AwaitBody<'t>(&'t Task);
    impl Drop for AwaitBody<'_> {
        fn drop(&mut self) {
            self.0.join.wait_done_blocking_thread();
        }
    }
    let guard = AwaitBody(&task);
    let result = handle.join();
    drop(guard);
    match result {
        Ok(()) => out.take().expect("a finished block_on fiber stored its result"),
        Err(payload) => panic::resume_unwind(payload),
    }
}
