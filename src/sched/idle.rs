//! Worker sleep/notify: a remote wake costs a syscall only when the target
//! worker sleeps, and never gets lost (DESIGN.md decision 9; races 7, 8).
//!
//! Each worker has a [`SleepState`]. Before blocking in `epoll_wait` the
//! worker *announces* ([`SleepState::prepare_sleep`]: it counts itself in
//! the runtime's sleeper count, then announces) and re-checks everything
//! that could give it work — its inbox, the unstarted queues, the shutdown
//! flag. A thread that gives it work first publishes the work (inbox push,
//! queue push, shutdown flag), then calls [`SleepState::notify`]; only the
//! notifier whose CAS moves `SLEEPING → NOTIFIED` writes the eventfd, so
//! concurrent wakes of one sleep cost one write. A spawner that queued a
//! fiber any worker may steal wakes one sleeper with [`notify_one`].
//!
//! Why nothing is lost — a store-buffering (Dekker) pattern, made safe by
//! two `SeqCst` fences:
//!
//! ```text
//! worker                            notifier
//! state = SLEEPING      (A)         publish work: inbox, queue, flag (C)
//! fence(SeqCst)         (X)         fence(SeqCst)                    (Y)
//! re-check the work     (B)         load state; CAS if SLEEPING      (D)
//! ```
//!
//! All `SeqCst` fences lie in one total order S. If X precedes Y, the
//! load D observes A or a later value of `state` (the fence rule of C++20
//! [atomics.order]: A sequenced before X, Y before D, X before Y in S):
//! the notifier sees `SLEEPING` and writes the eventfd, which is in the
//! worker's epoll, level-triggered, so `epoll_wait` returns at once. If Y precedes X, the
//! re-check B observes the publication C the same way and the worker does
//! not block. (If D reads `AWAKE` written by a later `wake_up`, the
//! worker's *next* announce fence comes after Y, so its next re-check
//! sees C.) The fences are what make this hold; `SeqCst` on the accesses
//! alone would in C++20 too, but loom models only fences and
//! read-modify-writes as sequentially consistent, not `SeqCst` loads and
//! stores, and it does report the lost wake without the fences
//! (`loom-tests/tests/sleep.rs`). Making `announce` a `swap` would not do:
//! a notifier whose CAS fails writes nothing the worker could synchronise
//! with.
//!
//! The cost on x86-64: announce is a plain store and a full fence (about an
//! `xchg`); notify is a full fence and a plain load, and its CAS runs only
//! when the worker sleeps, so notifying a busy worker never writes its
//! cache line.
//!
//! Race 8 needs no fence of its own: the sleeper counts itself in the
//! sleeper count and announces *before* its re-check takes each unstarted
//! queue's lock, and the spawner pushes under that lock before it reads
//! the count and the states, so the lock's release/acquire orders them
//! (`queue.rs`).
//!
//! No context switch and no syscall here: the worker and the notifier do
//! those, so loom checks exactly this code (STYLE.md convention 4).

use crate::loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering::*, fence};

const AWAKE: u8 = 0;
const SLEEPING: u8 = 1;
const NOTIFIED: u8 = 2;

/// Whether a worker is running, about to block, or already being woken.
#[derive(Debug)]
pub(crate) struct SleepState {
    state: AtomicU8,
}

impl SleepState {
    pub(crate) fn new() -> Self {
        Self { state: AtomicU8::new(AWAKE) }
    }

    /// Worker: announces that it is about to block. It must re-check for
    /// work afterwards, and call [`wake_up`](Self::wake_up) in any case.
    pub(crate) fn announce(&self) {
        self.state.store(SLEEPING, Relaxed);
        // X of the module docs: orders the announce before the re-check.
        fence(SeqCst);
    }

    /// Worker: back to running (after the re-check found work, or after
    /// `epoll_wait` returned). Returns whether a notifier wrote the eventfd.
    pub(crate) fn wake_up(&self) -> bool {
        self.state.swap(AWAKE, AcqRel) == NOTIFIED
    }

    /// Notifier, after publishing work: `true` if the caller must write the
    /// worker's eventfd (it was sleeping and nobody else has written).
    pub(crate) fn notify(&self) -> bool {
        // Y of the module docs: orders the publication before the load.
        fence(SeqCst);
        // Only the CAS decides who writes the eventfd (coalescing); the
        // load spares a busy worker's cache line.
        self.state.load(Relaxed) == SLEEPING
            && self.state.compare_exchange(SLEEPING, NOTIFIED, AcqRel, Relaxed).is_ok()
    }

    /// Worker, out of work: counts itself in `sleepers` (the runtime's
    /// count, race 8), announces, then runs `recheck` (inbox, unstarted
    /// queues, shutdown). Returns `true` if the worker may block: the
    /// re-check found nothing. Call [`end_sleep`](Self::end_sleep) in any
    /// case.
    pub(crate) fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        sleepers.fetch_add(1, SeqCst);
        self.announce();
        !recheck()
    }

    /// Worker: the sleep is over (work found, or `epoll_wait` returned).
    /// Returns whether a notifier wrote the eventfd.
    pub(crate) fn end_sleep(&self, sleepers: &AtomicUsize) -> bool {
        let notified = self.wake_up();
        sleepers.fetch_sub(1, SeqCst);
        notified
    }

    /// Whether the worker has announced a sleep nobody has interrupted yet.
    #[cfg(test)]
    pub(crate) fn is_sleeping(&self) -> bool {
        self.state.load(Relaxed) == SLEEPING
    }
}

/// Spawner, after queueing a fiber any worker may steal: notifies the
/// first sleeping worker, if any sleeps, and returns its index — the caller
/// writes that worker's eventfd.
pub(crate) fn notify_one<'a>(
    sleepers: &AtomicUsize,
    workers: impl IntoIterator<Item = &'a SleepState>,
) -> Option<usize> {
    if sleepers.load(SeqCst) == 0 {
        return None;
    }
    workers.into_iter().position(SleepState::notify)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn notify_only_a_sleeping_worker_and_only_once() {
        let s = SleepState::new();
        assert!(!s.notify(), "an awake worker needs no eventfd write");
        s.announce();
        assert!(s.is_sleeping());
        assert!(s.notify());
        assert!(!s.notify(), "wakes of one sleep are coalesced");
        assert!(s.wake_up(), "the worker learns it was notified");
        assert!(!s.wake_up());
    }

    #[test]
    fn notify_one_skips_awake_workers_and_nobody_when_none_sleeps() {
        let sleepers = AtomicUsize::new(0);
        let ws = [SleepState::new(), SleepState::new()];
        assert_eq!(notify_one(&sleepers, &ws), None);
        assert!(ws[1].prepare_sleep(&sleepers, || false));
        assert_eq!(notify_one(&sleepers, &ws), Some(1));
        assert_eq!(notify_one(&sleepers, &ws), None, "already notified");
        assert!(ws[1].end_sleep(&sleepers));
        assert_eq!(sleepers.load(SeqCst), 0);
    }
}
