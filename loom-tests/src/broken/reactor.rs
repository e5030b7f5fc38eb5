//! Broken poll descriptors (`src/reactor/poll_desc.rs`), one defect each:
//! three wrap the runtime's own and change one step; one is a copy of its
//! close and waiter queue in the wrong order.

use std::collections::VecDeque;

use fiberio::__loom::{Dir, PollDesc, REASON_NOTIFIED, Readiness, Snapshot, Waiter};
use loom::sync::Mutex;

/// The poll descriptor with the generation check dropped from the event
/// path: an event registered for a closed fd is delivered to whatever fd
/// reuses its number (race 6).
#[derive(Debug, Default)]
pub struct DispatchIgnoresGeneration(pub PollDesc);

impl DispatchIgnoresGeneration {
    /// BROKEN: delivers whatever generation the event carries.
    pub fn deliver(&self, _generation: u32, dir: Dir, hup: bool) {
        self.0.deliver(self.0.generation(), dir, hup)
    }
}

/// The poll descriptor with the generation checked *before* the delivery
/// instead of with it — fiberio's `dispatch` before this change: the fd can
/// be closed and reused between the check and the delivery (race 6).
#[derive(Debug, Default)]
pub struct DispatchChecksGenerationEarly(pub PollDesc);

impl DispatchChecksGenerationEarly {
    /// BROKEN: check, then deliver to whichever generation is current.
    pub fn deliver(&self, generation: u32, dir: Dir, hup: bool) {
        if self.0.generation() == generation {
            self.0.deliver(self.0.generation(), dir, hup)
        }
    }
}

/// The poll descriptor without the hand-over of readiness after a
/// successful call: one edge for two pending connections wakes one
/// acceptor, and the other stays parked with the token set (race 9).
#[derive(Debug, Default)]
pub struct PdNoPassOn(pub PollDesc);

impl PdNoPassOn {
    /// BROKEN: does nothing.
    pub fn pass_on(&self, _dir: Dir) {}
}

/// One direction of a poll descriptor whose close wakes the queued
/// waiters *before* marking the token closed: a fiber that registers in
/// between finds the token open, queues itself, and nobody is left to wake
/// it (race 5).
#[derive(Debug, Default)]
pub struct PdWakesBeforeClosing {
    token: Readiness,
    waiters: Mutex<VecDeque<Waiter>>,
}

impl PdWakesBeforeClosing {
    /// Snapshots the token.
    pub fn snapshot(&self) -> Snapshot {
        self.token.snapshot()
    }
    /// The syscall found nothing since `seen`.
    pub fn clear(&self, seen: Snapshot) -> bool {
        self.token.clear(seen)
    }
    /// As the real `register_waiter`: the re-check under the waiter lock.
    pub fn register_waiter(&self, waiter: Waiter) {
        let mut queue = self.waiters.lock().unwrap();
        if self.token.snapshot().is_ready() {
            drop(queue);
            waiter.wake(REASON_NOTIFIED);
        } else {
            queue.push_back(waiter);
        }
    }
    /// BROKEN: wakes the waiters, then closes the token.
    pub fn close(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap());
        for w in waiters {
            w.wake(REASON_NOTIFIED);
        }
        self.token.close();
    }
}
