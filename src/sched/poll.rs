//! The IO-dispatcher half of a worker's loop: non-blocking and blocking
//! polls of its poller (`reactor::Poller`, which wakes the fibers whose fds
//! became ready), firing its timers, and going to sleep.
//!
//! A worker polls with timeout 0 when it runs out of fibers and every
//! [`POLL_INTERVAL`] fiber runs under load; it blocks in `epoll_wait`, up
//! to its next timer, only after announcing sleep and re-checking for work
//! (`idle.rs`). The idle non-blocking poll pays off under load, where it
//! finds events instead of sleeping; with a single busy connection it
//! finds nothing before every sleep, a wasted syscall per request. So it
//! adapts: after an idle poll that found nothing the worker goes straight
//! to its (announced, re-checked) blocking poll, and polls first again
//! once a poll returns more than one event. Every poll also drains the
//! inbox and fires due timers, so one pass picks up everything that woke
//! fibers of this worker.

use std::time::{Duration, Instant};

use super::worker::Worker;
use crate::fiber::park::Reason;

/// Fiber runs between two non-blocking polls under load (tokio uses 61
/// for the same purpose; a prime avoids lock-step with periodic fibers).
pub(crate) const POLL_INTERVAL: u32 = 61;
/// How long a worker stays idle before it trims the stacks it used: a
/// worker that sleeps between requests does not pay the `madvise` calls
/// (about 1 µs each, `cargo bench -p fiberio-benches --bench stack_pool`) on its latency path.
pub(crate) const IDLE_BEFORE_TRIM: Duration = Duration::from_millis(20);
/// Events taken from epoll per call.
pub(super) const EVENTS_PER_POLL: usize = 256;

impl Worker {
    /// Polls the poller (blocking up to `timeout`, `None` = no limit),
    /// drains the inbox and fires due timers. Returns whether anything
    /// happened: an event arrived or a fiber became runnable.
    pub(super) fn poll(&self, timeout: Option<Duration>) -> bool {
        let counters = &self.shared.counters;
        let poller = &self.shared.poller;
        let nonblocking = timeout == Some(Duration::ZERO);
        if !nonblocking {
            counters.polls_blocking.bump();
        } else if poller.has_sources() {
            counters.polls_nonblocking.bump();
        }
        // The worker's own poller: open until the end of its shutdown.
        let n = poller
            .poll(&mut self.events.borrow_mut(), timeout)
            .unwrap_or_else(|e| panic!("fiberio: epoll_wait failed on worker {}: {e}", self.shared.index));
        counters.events.add(n as u64);
        if n > 1 {
            self.idle_poll.set(true);
        }
        let runnable = self.gather();
        n > 0 || runnable
    }

    /// The part of a poll that needs no syscall: drains the inbox, fires
    /// due timers; returns whether a fiber is runnable or waits to start.
    pub(super) fn gather(&self) -> bool {
        self.shared.inbox.drain_into(&mut self.run_queue.borrow_mut());
        self.fire_timers();
        if self.shared.dumps.is_pending() {
            self.answer_dumps();
        }
        !self.run_queue.borrow().is_empty() || self.shared.unstarted.len() > 0
    }

    /// Wakes the waiters of every timer that is due.
    fn fire_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = Instant::now();
        loop {
            // Release the borrow before waking: the wake pushes to the run queue.
            let Some(waiter) = self.timers.borrow_mut().pop_expired(now) else {
                break;
            };
            self.shared.counters.timers_fired.bump();
            waiter.wake(Reason::TimedOut);
        }
    }

    /// Announces sleep, re-checks for work, and blocks in `epoll_wait`
    /// until the next timer if there is none (races 7 and 8).
    pub(super) fn sleep(&self) {
        let workers = self.rt.workers();
        if workers.prepare_sleep(&self.shared) {
            // Still announced throughout: a notifier writes the eventfd, so
            // the second wait below returns at once if work came meanwhile.
            // Block again only after a first wait that saw nothing at all
            // (a shutdown wake, say, leaves nothing runnable but must not
            // be slept through).
            let woken = self.stacks.borrow().needs_trim()
                && self
                    .poll(Some(self.sleep_timeout().map_or(IDLE_BEFORE_TRIM, |t| t.min(IDLE_BEFORE_TRIM))));
            if !woken {
                self.stacks.borrow_mut().trim_idle();
                self.poll(self.sleep_timeout());
            }
        }
        if workers.end_sleep(&self.shared) {
            // Woken by another thread: the next idle moment spins first.
            self.spin_pays.set(true);
        }
    }

    /// How long a sleeping worker may block: until its next timer.
    fn sleep_timeout(&self) -> Option<Duration> {
        self.timers.borrow().next_deadline().map(|d| d.saturating_duration_since(Instant::now()))
    }
}
