//! [`WorkerShared`]: what other threads see of a worker — its inbox,
//! unstarted queue, sleep state, poller, counters, the run in progress and
//! the dumps asked of it. It is the `fiber::task::Scheduler` a woken fiber
//! goes back through (the local run queue on the worker's own thread, the
//! inbox from anywhere else) and the `idle::Sleeper` sleep/notify sees.

use std::io;

use super::context;
use super::dump::DumpInbox;
use super::idle::{self, SleepState, Sleeper};
use super::inbox::Inbox;
use super::metrics::Counters;
use super::queue::{Unstarted, UnstartedQueue};
use super::stall::RunRecord;
use crate::fiber::task::Scheduler;
use crate::loom::sync::Arc;
use crate::reactor::Poller;

/// The part of a worker other threads use.
#[derive(Debug)]
pub(crate) struct WorkerShared {
    pub(crate) index: usize,
    pub(crate) inbox: Inbox,
    pub(crate) unstarted: UnstartedQueue,
    pub(crate) sleep: SleepState,
    /// This worker's epoll instance and wake-up eventfd; fds its fibers
    /// wait on are registered here, and other threads wake it through it.
    pub(crate) poller: Arc<Poller>,
    pub(crate) counters: Counters,
    /// The fiber run in progress, for the stall watchdog (`stall.rs`).
    pub(crate) run: RunRecord,
    /// Fiber dumps asked of this worker (`dump.rs`).
    pub(crate) dumps: DumpInbox,
}

impl WorkerShared {
    /// Creates the shared half of worker `index`: its poller, its queues
    /// and counters.
    pub(crate) fn new(index: usize) -> io::Result<Self> {
        let shared = Self {
            index,
            poller: Arc::new(Poller::new()?),
            inbox: Inbox::new(),
            unstarted: UnstartedQueue::new(),
            sleep: SleepState::new(),
            counters: Counters::default(),
            run: RunRecord::default(),
            dumps: DumpInbox::default(),
        };
        Ok(shared)
    }

    /// Any thread but the worker's own: hands it a woken fiber.
    pub(crate) fn wake_remote(&self, slot: u32) {
        self.counters.remote_wakes.bump_shared();
        idle::wake_remote(self, slot);
    }
}

/// What sleep/notify needs of a worker (`idle.rs`).
impl Sleeper for WorkerShared {
    type Fiber = Unstarted;

    fn sleep_state(&self) -> &SleepState {
        &self.sleep
    }

    fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    fn unstarted(&self) -> &UnstartedQueue {
        &self.unstarted
    }

    fn write_eventfd(&self) {
        self.counters.eventfd_writes.bump_shared();
        if let Err(e) = self.poller.wake() {
            // Only EBADF/EFAULT-class errors remain here: a broken runtime.
            panic!("fiberio: cannot wake worker {}: {e}", self.index);
        }
    }
}

impl Scheduler for WorkerShared {
    /// Directly on the local run queue when this thread is the worker,
    /// through the inbox otherwise (a fiber runs only on its own worker).
    fn schedule(&self, slot: u32) {
        match context::worker() {
            Some(w) if std::ptr::eq(&*w.shared, self) => w.run_queue.borrow_mut().push_back(slot),
            _ => self.wake_remote(slot),
        }
    }
}
