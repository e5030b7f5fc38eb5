//! Worker sleep/notify (`src/sched/idle.rs`), the remote inbox
//! (`src/sched/inbox.rs`) and the unstarted queue (`src/sched/queue.rs`),
//! for the loom models. Fibers are plain numbers here.

use std::collections::VecDeque;

use crate::loom::sync::atomic::AtomicUsize;
use crate::sched::{idle, inbox, queue};

/// A worker's sleep state.
#[derive(Debug)]
pub struct SleepState(idle::SleepState);

impl Default for SleepState {
    fn default() -> Self {
        Self(idle::SleepState::new())
    }
}

impl SleepState {
    /// Worker: counts itself in `sleepers`, announces, runs `recheck`;
    /// `true` if it may block in `epoll_wait`.
    pub fn prepare_sleep(&self, sleepers: &AtomicUsize, recheck: impl FnOnce() -> bool) -> bool {
        self.0.prepare_sleep(sleepers, recheck)
    }
    /// Worker: the sleep is over; whether a notifier wrote the eventfd.
    pub fn end_sleep(&self, sleepers: &AtomicUsize) -> bool {
        self.0.end_sleep(sleepers)
    }
    /// Notifier, after publishing work: `true` if it must write the eventfd.
    pub fn notify(&self) -> bool {
        self.0.notify()
    }
}

/// Spawner: notifies the first sleeping worker, if any; its index.
pub fn notify_one<'a>(
    sleepers: &AtomicUsize,
    workers: impl IntoIterator<Item = &'a SleepState>,
) -> Option<usize> {
    idle::notify_one(sleepers, workers.into_iter().map(|w| &w.0))
}

/// A worker's remote inbox.
#[derive(Debug)]
pub struct Inbox(inbox::Inbox);

impl Default for Inbox {
    fn default() -> Self {
        Self(inbox::Inbox::new())
    }
}

impl Inbox {
    /// Any thread: hands the worker a woken fiber.
    pub fn push(&self, slot: u32) {
        self.0.push(slot)
    }
    /// Whether anything waits (the worker's re-check).
    pub fn is_pending(&self) -> bool {
        self.0.is_pending()
    }
    /// Worker: takes everything.
    pub fn drain(&self) -> Vec<u32> {
        let mut q = VecDeque::new();
        self.0.drain_into(&mut q);
        q.into()
    }
}

/// A worker's queue of unstarted fibers.
#[derive(Debug)]
pub struct UnstartedQueue(queue::UnstartedQueue<u32>);

impl Default for UnstartedQueue {
    fn default() -> Self {
        Self(queue::UnstartedQueue::new())
    }
}

impl UnstartedQueue {
    /// Appends a fiber; the length before the push.
    pub fn push(&self, fiber: u32) -> usize {
        self.0.push(fiber).expect("never closed in the models")
    }
    /// Owner: the oldest fiber.
    pub fn pop(&self) -> Option<u32> {
        self.0.pop()
    }
    /// Thief: half the fibers.
    pub fn steal_half(&self) -> Vec<u32> {
        self.0.steal_half()
    }
    /// Emptiness under the lock (the sleep re-check).
    pub fn is_empty_locked(&self) -> bool {
        self.0.is_empty_locked()
    }
}
