//! The remote inbox: fibers of this worker woken from other threads.
//!
//! A fiber woken on its own worker goes straight to the local run queue;
//! woken anywhere else, its slot index goes here and the worker moves it
//! to the run queue on its next poll (DESIGN.md decision 2: a fiber runs
//! only on its own worker). A `pending` flag lets the worker skip the lock
//! when the inbox is empty, which is almost always.
//!
//! `pending` is written under the lock and read `SeqCst`: together with
//! `SleepState` this is the publication half of the lost-wakeup defence
//! (see `idle.rs`).

use std::collections::VecDeque;

use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};

/// Slot indices of this worker's fibers woken by other threads.
#[derive(Debug)]
pub(crate) struct Inbox {
    slots: Mutex<Vec<u32>>,
    pending: AtomicBool,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Self { slots: Mutex::new(Vec::new()), pending: AtomicBool::new(false) }
    }

    /// Any thread: hands a woken fiber to the worker. The caller must then
    /// notify the worker (`idle::wake_remote` does both).
    pub(crate) fn push(&self, slot: u32) {
        let mut slots = crate::loom::lock(&self.slots);
        slots.push(slot);
        self.pending.store(true, SeqCst);
    }

    /// Whether anything waits in the inbox.
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.load(SeqCst)
    }

    /// Worker: moves everything from the inbox to `run_queue`; returns how many.
    pub(crate) fn drain_into(&self, run_queue: &mut VecDeque<u32>) -> usize {
        if !self.is_pending() {
            return 0;
        }
        if mutation::on(Mutation::InboxClearAfterUnlock) {
            // BROKEN: a push between the unlock and the clear is hidden
            // from the worker's next sleep re-check.
            let n = {
                let mut slots = crate::loom::lock(&self.slots);
                let n = slots.len();
                run_queue.extend(slots.drain(..));
                n
            };
            self.pending.store(false, SeqCst);
            return n;
        }
        let mut slots = crate::loom::lock(&self.slots);
        self.pending.store(false, SeqCst);
        let n = slots.len();
        run_queue.extend(slots.drain(..));
        n
    }
}
