//! Spinning before sleep: an idle worker watches its inbox for a moment
//! before it announces sleep (Go's spinning Ms), so a fiber woken from
//! another worker — a lock handed over, a channel message — runs without
//! an eventfd write by the waker and an `epoll_wait` return here.
//!
//! A remote wake of a *sleeping* worker costs a syscall on each side and a
//! scheduler wake-up of the thread (tens of µs on a VM); a wake of an
//! *awake* worker costs an inbox push and a fence (`idle.rs`: notifying a
//! worker that has not announced sleep writes nothing). A spinning worker
//! is awake, so cross-worker hand-offs that follow each other closely —
//! a contended lock, a ping-pong — stay in user space.
//!
//! The bounds that keep idle CPU idle:
//! - a spin lasts at most [`SPIN_FOR`], and ends at the worker's next
//!   timer; it ends at once when the inbox, an unstarted queue or the
//!   shutdown flag has something;
//! - at most half the workers spin at once, or two in a smaller runtime
//!   ([`Spinners`]);
//! - a worker spins only while spinning pays: after a sleep that a remote
//!   wake ended, or a spin that found work. A spin that finds nothing turns
//!   it off, so a worker whose fibers wait on IO or timers (woken by epoll,
//!   not by other workers) never spins, and a runtime with nothing to do
//!   spins once per wake, then sleeps.
//!
//! IO readiness is not polled while spinning: an fd that becomes ready
//! during a spin is seen when the spin ends, at most [`SPIN_FOR`] later.

use std::time::{Duration, Instant};

use super::worker::Worker;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The longest spin.
pub(crate) const SPIN_FOR: Duration = Duration::from_micros(20);
/// Inbox checks between two looks at the clock and the other queues.
const CHECKS_PER_SLICE: u32 = 32;

/// How many workers of a runtime spin now, and how many may.
#[derive(Debug)]
pub(crate) struct Spinners {
    now: AtomicUsize,
    /// Fixed at start; changed only by `fiberio::__bench::set_max_spinners`.
    max: AtomicUsize,
}

impl Spinners {
    /// For a runtime of `workers` workers: half of them may spin, and at
    /// least two (or all, if fewer). A hand-off between two workers has two
    /// sides, and both go idle at once: the sender's worker as its fiber
    /// parks for the answer, while the receiver's still watches for the
    /// message. With one spinner the other side sleeps, and every answer
    /// pays the eventfd write and wake-up this module avoids (measured on
    /// 2 workers, in one run: a cross-worker channel round trip of 9.0 µs
    /// with no spinner, 7.4 µs with one, 3.4 µs with two: `cargo bench -p
    /// fiberio-benches --bench channel -- spinners`).
    pub(crate) fn new(workers: usize) -> Self {
        Self { now: AtomicUsize::new(0), max: AtomicUsize::new((workers / 2).max(2).min(workers)) }
    }

    /// For benchmarks: how many workers may spin at once (0: none).
    pub(crate) fn set_max(&self, max: usize) {
        self.max.store(max, Relaxed);
    }

    /// Counts the caller in if fewer than the maximum spin; the turn ends
    /// when the returned guard drops.
    fn begin(&self) -> Option<SpinTurn<'_>> {
        let max = self.max.load(Relaxed);
        let mut now = self.now.load(Relaxed);
        while now < max {
            match self.now.compare_exchange_weak(now, now + 1, Relaxed, Relaxed) {
                Ok(_) => return Some(SpinTurn(self)),
                Err(actual) => now = actual,
            }
        }
        None
    }
}

/// One worker's turn to spin.
struct SpinTurn<'a>(&'a Spinners);

impl Drop for SpinTurn<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Relaxed);
    }
}

impl Worker {
    /// Out of work, before sleeping: spins for a moment if spinning pays
    /// and a spinning turn is free. Returns whether work came meanwhile
    /// (the caller's loop picks it up: the inbox is drained by its poll).
    pub(super) fn spin(&self) -> bool {
        if !self.spin_pays.get() {
            return false;
        }
        let Some(_turn) = self.rt.spinners.begin() else {
            return false;
        };
        self.shared.counters.spins.bump();
        let start = Instant::now();
        let mut until = start + SPIN_FOR;
        if let Some(timer) = self.timers.borrow().next_deadline() {
            until = until.min(timer);
        }
        loop {
            for _ in 0..CHECKS_PER_SLICE {
                if self.shared.inbox.is_pending() {
                    return true;
                }
                std::hint::spin_loop();
            }
            if self.rt.is_shutdown() || self.rt.workers.iter().any(|w| w.unstarted.len() > 0) {
                return true;
            }
            // Give the core away between slices: on a machine with more
            // runnable threads than cores, the fiber this spin waits for may
            // need this very core.
            std::thread::yield_now();
            if Instant::now() >= until {
                // A due timer is work; an empty spin says spinning does not pay.
                let timer_due = until < start + SPIN_FOR;
                self.spin_pays.set(timer_due);
                return timer_due;
            }
        }
    }
}
