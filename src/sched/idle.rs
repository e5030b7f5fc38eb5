//! Worker sleep/notify: a remote wake costs a syscall only when the target
//! worker sleeps, and never gets lost (DESIGN.md decision 9; races 7, 8).
//!
//! Each worker has a [`SleepState`]. Before blocking in `epoll_wait` the
//! worker *announces* ([`SleepState::announce`]) and then re-checks
//! everything that could give it work — its inbox, the unstarted queues,
//! the shutdown flag. A thread that gives it work first publishes the work
//! (inbox push, queue push), then calls [`SleepState::notify`]; only the
//! notifier whose CAS moves `SLEEPING → NOTIFIED` writes the eventfd, so
//! concurrent wakes of one sleep cost one write.
//!
//! Why nothing is lost: the announce store, the re-check loads, the work
//! publication and the notify CAS are all `SeqCst`. In their single total
//! order either the re-check comes after the publication (the worker sees
//! the work and does not sleep) or the notify comes after the announce
//! (the notifier sees `SLEEPING` and writes the eventfd, which is in the
//! worker's epoll, level-triggered, so `epoll_wait` returns at once).
//!
//! No context switch and no syscall here: the worker and the notifier do
//! those, so loom checks exactly this code (STYLE.md convention 4).

use crate::loom::sync::atomic::{AtomicU8, Ordering::SeqCst};

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
        self.state.store(SLEEPING, SeqCst);
    }

    /// Worker: back to running (after the re-check found work, or after
    /// `epoll_wait` returned). Returns whether a notifier wrote the eventfd.
    pub(crate) fn wake_up(&self) -> bool {
        self.state.swap(AWAKE, SeqCst) == NOTIFIED
    }

    /// Notifier, after publishing work: `true` if the caller must write the
    /// worker's eventfd (it was sleeping and nobody else has written).
    pub(crate) fn notify(&self) -> bool {
        self.state.compare_exchange(SLEEPING, NOTIFIED, SeqCst, SeqCst).is_ok()
    }

    /// Whether the worker has announced a sleep nobody has interrupted yet.
    #[cfg(test)]
    pub(crate) fn is_sleeping(&self) -> bool {
        self.state.load(SeqCst) == SLEEPING
    }
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
}
