//! The one place that names `std::sync` or `loom`.
//!
//! Every atomic, `Arc`, internal lock, `UnsafeCell` and thread handle in
//! fiberio is imported from here. Normally these are std's; under
//! `RUSTFLAGS="--cfg loom"` they are loom's, so the loom models in
//! `loom-tests/` explore the very protocol code the runtime runs
//! (STYLE.md convention 3).
//!
//! `UnsafeCell` has loom's closure-based API in both modes (`with`,
//! `with_mut`), so code written against it compiles either way.

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
pub(crate) use loom::{cell, sync};

/// loom's threads, with park and unpark of their own.
///
/// A thread's park token is a `loom::sync::Notify` (which, like `park`,
/// may wake spuriously): loom's own `unpark` also makes a thread runnable
/// that is blocked on a lock or a join, which loom's locks and joins then
/// reject with an internal assertion — and a waker does unpark a thread
/// that already saw its wake and went on to take a lock. `park_timeout`,
/// which loom lacks, yields to the model checker: a legal spurious wakeup
/// (every caller re-checks its condition and its deadline in a loop).
#[cfg(loom)]
pub(crate) mod thread {
    pub(crate) use loom::thread::yield_now;

    // A std `Arc`: the token lives in a loom thread-local, which a model
    // that panics drops after its execution is gone, when dropping a loom
    // `Arc` would touch the execution and abort; `Notify` has no `Drop`.
    use std::sync::Arc;

    use loom::sync::Notify;

    /// A handle to unpark a thread.
    #[derive(Debug, Clone)]
    pub(crate) struct Thread(Arc<Notify>);

    impl Thread {
        /// Wakes the thread's `park`, or makes its next one return at once.
        pub(crate) fn unpark(&self) {
            self.0.notify();
        }
    }

    loom::thread_local! {
        static TOKEN: Thread = Thread(Arc::new(Notify::new()));
    }

    /// The calling thread's handle.
    pub(crate) fn current() -> Thread {
        TOKEN.with(Thread::clone)
    }

    /// Blocks until the thread is unparked (or spuriously).
    pub(crate) fn park() {
        TOKEN.with(|t| t.0.wait());
    }

    pub(crate) fn park_timeout(_: std::time::Duration) {
        yield_now();
    }
}

/// Atomics for `static` items: loom's cannot be built in a `const`
/// context, and what they guard (id blocks, key indices) is no protocol of
/// interest to the models, so they stay std's in both modes.
pub(crate) mod static_atomic {
    pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
}
