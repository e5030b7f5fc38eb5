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

/// loom's threads, plus `park_timeout`, which loom lacks: under loom a
/// timed park yields to the model checker, a legal spurious wakeup (every
/// caller re-checks its condition and its deadline in a loop).
#[cfg(loom)]
pub(crate) mod thread {
    pub(crate) use loom::thread::*;

    pub(crate) fn park_timeout(_: std::time::Duration) {
        loom::thread::yield_now();
    }
}

/// Atomics for `static` items: loom's cannot be built in a `const`
/// context, and what they guard (id blocks, key indices) is no protocol of
/// interest to the models, so they stay std's in both modes.
pub(crate) mod static_atomic {
    pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
}

/// Locks an internal mutex. fiberio runs no user code under its internal
/// locks, so a poisoned one only means a panic elsewhere on that thread:
/// the data is consistent and the lock is taken anyway.
pub(crate) fn lock<T>(m: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
