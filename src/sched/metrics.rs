//! Per-worker counters, and their public snapshot [`WorkerMetrics`].
//!
//! Most counters have one writer, the worker itself, which bumps them with
//! a relaxed load and store (no locked instruction on the hot path); the
//! few written by other threads (`remote_wakes`, `eventfd_writes`, and
//! `stalls`, by the stall watchdog) use `fetch_add`.

use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Live counters of one worker.
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $(pub(crate) $name: Counter,)*
        }

        /// A snapshot of one worker's counters since the runtime started.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct WorkerMetrics {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Counters {
            pub(crate) fn snapshot(&self) -> WorkerMetrics {
                WorkerMetrics { $($name: self.$name.get(),)* }
            }
        }
    };
}

counters! {
    /// Fibers started (first resumed) on this worker.
    started,
    /// Fibers that finished on this worker (returned or panicked).
    finished,
    /// Fiber resumes: context switches into a fiber.
    switches,
    /// Parks committed (a fiber suspended to wait).
    parks,
    /// Parks whose commit found the wake already there (resumed at once).
    park_races,
    /// `epoll_wait` calls with timeout 0.
    polls_nonblocking,
    /// `epoll_wait` calls that could block.
    polls_blocking,
    /// Events returned by `epoll_wait`.
    events,
    /// Unstarted fibers this worker stole from others.
    steals,
    /// Fibers of this worker woken from other threads (inbox pushes).
    remote_wakes,
    /// Eventfd writes made to wake this worker.
    eventfd_writes,
    /// Yields of fibers that spent their IO budget: that many IO operations
    /// completed in one run without parking (`RuntimeBuilder::io_budget`).
    io_yields,
    /// Spins: times this worker, out of work, watched its inbox for a
    /// moment before sleeping.
    spins,
    /// Timers that fired on this worker.
    timers_fired,
    /// Fiber runs the stall watchdog reported: runs that held this worker
    /// longer than the stall threshold without yielding or parking.
    stalls,
}

/// A counter; see the module docs for who writes it how.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds one; only for the counter's single writer (its worker).
    #[inline]
    pub(crate) fn bump(&self) {
        self.add(1);
    }

    /// Adds one and returns the new count; only for the single writer.
    #[inline]
    pub(crate) fn bump_get(&self) -> u64 {
        let n = self.0.load(Relaxed).wrapping_add(1);
        self.0.store(n, Relaxed);
        n
    }

    /// Adds `n`; only for the counter's single writer.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Adds one from any thread.
    #[inline]
    pub(crate) fn bump_shared(&self) {
        self.0.fetch_add(1, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}
