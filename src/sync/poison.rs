//! Poisoning, as std does it: a lock whose guard is dropped while its
//! thread (here: fiber or thread) panics is marked poisoned, and later
//! lockers get a `PoisonError` they can look through.
//!
//! One difference from std: a fiber unwinding because it was *cancelled*
//! (`JoinHandle::cancel`) does not poison — its critical section was
//! stopped on purpose, at a blocking point, not by a failure.
//!
//! A limit shared with std's own locks: "panicking" is std's per-thread
//! state, and fibers share their worker's thread. While one fiber is
//! suspended in the middle of an unwind (a destructor that blocks), a
//! guard that another fiber of that worker drops counts as dropped during
//! a panic and poisons.

use crate::loom::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Whether a lock is poisoned.
#[derive(Debug)]
pub(crate) struct Flag {
    failed: AtomicBool,
}

/// What a guard remembers from its acquisition: whether its holder was
/// already unwinding (then dropping it during that unwind does not poison).
#[derive(Debug)]
pub(crate) struct Guard {
    panicking: bool,
}

impl Flag {
    crate::loom::const_fn! {
        pub(crate) fn new() -> Self {
            Self { failed: AtomicBool::new(false) }
        }
    }

    /// Called on acquisition.
    #[inline]
    pub(crate) fn guard(&self) -> Guard {
        crate::fiber::cancel::unwind_ended();
        Guard { panicking: crate::loom::panicking() }
    }

    /// Called on release: poisons if a panic started inside the critical
    /// section (a cancellation does not count).
    #[inline]
    pub(crate) fn done(&self, guard: &Guard) {
        if !guard.panicking && crate::loom::panicking() && !crate::fiber::cancel::unwinding() {
            self.failed.store(true, Relaxed);
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> bool {
        self.failed.load(Relaxed)
    }

    pub(crate) fn clear(&self) {
        self.failed.store(false, Relaxed);
    }
}

/// `Ok(value)`, or `Err(PoisonError)` around it when `flag` is set.
#[inline]
pub(crate) fn map_result<T>(flag: &Flag, value: T) -> std::sync::LockResult<T> {
    result(flag.get(), value)
}

/// `Ok(value)`, or `Err(PoisonError)` around it when `poisoned`.
#[inline]
pub(crate) fn result<T>(poisoned: bool, value: T) -> std::sync::LockResult<T> {
    if poisoned { Err(std::sync::PoisonError::new(value)) } else { Ok(value) }
}
