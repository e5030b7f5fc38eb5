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
pub(crate) use loom::cell;

/// loom's synchronisation types, except `Arc`: a reference count is no
/// protocol fiberio's models check, and a loom `Arc` dropped while loom
/// cleans up after a found deadlock panics inside that cleanup, aborting
/// the process instead of reporting the bug.
#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::*;
    pub(crate) use std::sync::Arc;
}

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
    // Explicit items below shadow loom's `Thread`, `current` and `park`.
    pub(crate) use loom::thread::*;

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

    /// Time is not modelled: a sleep is a yield to the model checker.
    pub(crate) fn sleep(_: std::time::Duration) {
        loom::thread::yield_now();
    }
}

/// Atomics for `static` items — loom's cannot be built in a `const`
/// context — and for statistics read across threads (the IO-budget
/// counter the stall watchdog reads): what they hold (id blocks, key
/// indices, counts for a message) is no protocol of interest to the
/// models, so they stay std's in both modes.
pub(crate) mod static_atomic {
    #[cfg(feature = "hook")]
    pub(crate) use core::sync::atomic::AtomicBool;
    pub(crate) use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
}

/// Runs `$f` with a per-thread value of type `$ty`, built by `$init` on
/// the thread's first use (std's `thread_local!`). Under loom, a fresh
/// value per use instead: loom objects kept in a thread-local would
/// outlive a model that ends by a panic (a found bug).
macro_rules! with_thread_cached {
    ($ty:ty, $init:expr, $f:expr) => {{
        #[cfg(not(loom))]
        {
            ::std::thread_local! { static CACHED: $ty = $init; }
            CACHED.with($f)
        }
        #[cfg(loom)]
        {
            ($f)(&$init)
        }
    }};
}
pub(crate) use with_thread_cached;

/// `$std` normally, `$loom` under `--cfg loom`: the one switch for the
/// few code paths (not types) that the user loom mode replaces.
macro_rules! loom_or_std {
    (loom: $loom:expr, std: $std:expr $(,)?) => {{
        #[cfg(loom)]
        {
            $loom
        }
        #[cfg(not(loom))]
        {
            $std
        }
    }};
}
pub(crate) use loom_or_std;

/// `std::thread_local!` for what belongs to the thread that runs a fiber
/// — its carrier, the running fiber. Under loom, whose threads all run on
/// the test's OS thread, loom's per-thread `thread_local!` instead: each
/// loom thread standing in for a fiber (the user loom mode) is a carrier
/// of its own. Initialisers are `const` blocks.
macro_rules! carrier_local {
    ($($(#[$m:meta])* static $name:ident: $t:ty = const $init:block;)*) => {
        #[cfg(not(loom))]
        ::std::thread_local! { $($(#[$m])* static $name: $t = const $init;)* }
        #[cfg(loom)]
        ::loom::thread_local! { $($(#[$m])* static $name: $t = $init;)* }
    };
}
pub(crate) use carrier_local;

/// Declares a `const fn`, except under loom, whose primitives cannot be
/// built in a `const` context.
macro_rules! const_fn {
    ($(#[$m:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $($rest)*
    };
}
pub(crate) use const_fn;

/// Whether `deadline` has passed at `now`. Under loom time is not
/// modelled: a deadline may pass at any moment, so it always has, and a
/// timed wait races its wakers at once (loom explores both outcomes).
#[inline]
pub(crate) fn deadline_passed(now: std::time::Instant, deadline: std::time::Instant) -> bool {
    cfg!(loom) || now >= deadline
}

/// Whether a lock waiter that began waiting at `since` has waited past
/// `bound` (the locks' switch to hand-off mode, `sync/raw_mutex.rs`).
/// Under loom time is not modelled: the model chooses, with
/// [`set_waits_pass_bound`] (default: every wait has, so hand-off mode is
/// explored; `false` explores the barging of normal mode alone).
#[inline]
pub(crate) fn waited_past(since: std::time::Instant, bound: std::time::Duration) -> bool {
    #[cfg(loom)]
    {
        let _ = (since, bound);
        WAITS_PASS_BOUND.with(std::cell::Cell::get)
    }
    #[cfg(not(loom))]
    {
        std::time::Instant::now().saturating_duration_since(since) >= bound
    }
}

#[cfg(loom)]
std::thread_local! {
    // One OS thread runs all the threads of a loom model (see `mutation.rs`).
    static WAITS_PASS_BOUND: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Under loom: whether every lock wait counts as past the hand-off bound.
#[cfg(loom)]
pub(crate) fn set_waits_pass_bound(pass: bool) {
    WAITS_PASS_BOUND.with(|w| w.set(pass));
}

/// The read that starts a compare-and-swap loop on `word`: a plain load
/// normally; under loom, a compare-and-swap that leaves the value as it is
/// (`current → current`, whatever the current value), which reads the
/// latest value like the loop's own CAS will.
///
/// Why: loom's DPOR keeps one *last access* per atomic, and a thread's own
/// load, made just before its CAS, replaces there the load of another
/// thread that this CAS races with. loom then never tries the CAS loop
/// before that other load, and a defect that only shows in that order
/// survives (measured: a `Readiness::clear` that compares against the
/// current word instead of its snapshot passes the race-11 model at every
/// bound with a plain load here, and fails at once with this read). To
/// loom this read is a write, racing every earlier load of other threads.
/// Reading only the latest value loses no outcome of the loops that use
/// it: there a stale value makes the CAS fail and retry, or ends the loop
/// on a state that no later store undoes (closed, a wait already over).
#[inline(always)]
pub(crate) fn cas_loop_load(word: &sync::atomic::AtomicU64, order: sync::atomic::Ordering) -> u64 {
    #[cfg(not(loom))]
    return word.load(order);
    #[cfg(loom)]
    {
        // A value the word never holds in a model (a seq or a tick of
        // 2^56); were it there, the CAS would store it back unchanged.
        const NEVER: u64 = u64::MAX;
        match word.compare_exchange(NEVER, NEVER, order, order) {
            Ok(v) | Err(v) => v,
        }
    }
}

/// Locks an internal mutex. fiberio runs no user code under its internal
/// locks, so a poisoned one only means a panic elsewhere on that thread:
/// the data is consistent and the lock is taken anyway.
pub(crate) fn lock<T>(m: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`lock`] for a std mutex in a `static` (process-wide bookkeeping, std's
/// in every build, like [`static_atomic`]).
pub(crate) fn lock_static<T>(m: &'static std::sync::Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads an internal `RwLock`, poisoned or not (see [`lock`]).
pub(crate) fn read<T>(l: &sync::RwLock<T>) -> sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes an internal `RwLock`, poisoned or not (see [`lock`]).
pub(crate) fn write<T>(l: &sync::RwLock<T>) -> sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

pub(crate) mod mutation;

/// Takes the contents of a cell the caller holds by `&mut` — exclusive by
/// the borrow checker, so without loom's access tracking: in a `Drop`
/// reached through the last `Arc` (std's under loom, see `sync`), loom
/// cannot see the ordering the reference count gives, and would report
/// the last owner's access as racing the previous owner's.
pub(crate) fn take_cell<T: Default>(cell: &mut cell::UnsafeCell<T>) -> T {
    std::mem::replace(cell, cell::UnsafeCell::new(T::default())).into_inner()
}

/// Whether a destructor must leave loom's objects alone (cells, locks):
/// under loom, a drop during a panic may be loom tearing a model down after
/// it found a bug, when loom's objects can no longer be touched, and a
/// second panic would abort the process instead of reporting the bug.
/// Leaking is harmless there. Always `false` outside loom: every guard,
/// channel end and result slot checks it first in its `Drop`.
///
/// A cancellation unwinding a loom fiber (the user loom mode) is no
/// teardown: its destructors, and those of any loom thread that runs while
/// it is suspended mid-unwind, do their work.
pub(crate) fn cells_unreachable() -> bool {
    #[cfg(loom)]
    return std::thread::panicking() && cancel_unwinds::in_flight() == 0;
    #[cfg(not(loom))]
    false
}

/// Whether the current thread — under loom, the current loom thread — is
/// unwinding: `std::thread::panicking`, except that loom runs all its
/// threads on one OS thread, so std's per-thread answer is true for every
/// loom thread while one of them is suspended in the middle of a
/// cancellation unwind. Under loom, such an unwind counts only for the
/// loom thread it unwinds.
#[inline]
pub(crate) fn panicking() -> bool {
    #[cfg(loom)]
    return std::thread::panicking() && (cancel_unwinds::in_flight() == 0 || cancel_unwinds::mine());
    #[cfg(not(loom))]
    std::thread::panicking()
}

/// The current fiber begins a cancellation unwind (see [`panicking`]).
#[inline]
pub(crate) fn cancel_unwind_begins() {
    #[cfg(loom)]
    cancel_unwinds::begin();
}

/// The cancellation unwinds of loom fibers in flight, per model (a model
/// runs on one OS thread) and per loom thread.
#[cfg(loom)]
pub(crate) mod cancel_unwinds {
    use std::cell::Cell;

    std::thread_local! {
        static IN_FLIGHT: Cell<usize> = const { Cell::new(0) };
    }
    loom::thread_local! {
        static MINE: Cell<bool> = Cell::new(false);
    }

    pub(super) fn in_flight() -> usize {
        IN_FLIGHT.with(Cell::get)
    }

    pub(super) fn mine() -> bool {
        MINE.with(Cell::get)
    }

    pub(super) fn begin() {
        if !MINE.with(|m| m.replace(true)) {
            IN_FLIGHT.with(|n| n.set(n.get() + 1));
        }
    }

    /// The loom thread's cancellation unwind is over (caught at the fiber's
    /// root, or the fiber ended after catching it itself).
    pub(crate) fn end() {
        if MINE.with(|m| m.replace(false)) {
            IN_FLIGHT.with(|n| n.set(n.get() - 1));
        }
    }
}
