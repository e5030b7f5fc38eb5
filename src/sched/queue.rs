//! Unstarted fibers: the only thing that moves between workers.
//!
//! A fiber that has not started is just a `Send` closure, a stack and its
//! `Task`, so an idle worker may take it from a busy one (DESIGN.md
//! decision 1: balancing happens before a fiber starts). Each worker owns an
//! [`UnstartedQueue`]; it pops from the front, thieves take half from the
//! back. `len` mirrors the length for lock-free peeking by idle workers
//! (race 8: an announcing worker re-checks every queue's `len`).
//!
//! Once the worker shuts down it closes its queue: a push after that is
//! refused and handed back, so the spawner can complete the fiber with a
//! shutdown error instead of leaving its joiner waiting forever.

use std::collections::VecDeque;
use std::fmt;

use crate::fiber::task::{Output, Task};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::stack::FiberStack;

/// A fiber that has not run yet.
pub(crate) struct Unstarted {
    pub(crate) task: Arc<Task>,
    pub(crate) stack: FiberStack,
    pub(crate) body: Box<dyn FnOnce() -> Output + Send>,
}

impl fmt::Debug for Unstarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unstarted")
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Inner {
    fibers: VecDeque<Unstarted>,
    closed: bool,
}

/// One worker's queue of unstarted fibers (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct UnstartedQueue {
    inner: Mutex<Inner>,
    len: AtomicUsize,
}

impl UnstartedQueue {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends a fiber. Returns the length before the push, or the fiber
    /// back if the queue is closed.
    pub(crate) fn push(&self, fiber: Unstarted) -> Result<usize, Unstarted> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.closed {
            return Err(fiber);
        }
        let before = inner.fibers.len();
        inner.fibers.push_back(fiber);
        self.len.store(before + 1, SeqCst);
        Ok(before)
    }

    /// Owner: takes the oldest fiber.
    pub(crate) fn pop(&self) -> Option<Unstarted> {
        if self.len() == 0 {
            return None;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let fiber = inner.fibers.pop_front();
        self.len.store(inner.fibers.len(), SeqCst);
        fiber
    }

    /// Thief: takes half (rounded up) of the queued fibers, newest first.
    pub(crate) fn steal_half(&self) -> Vec<Unstarted> {
        if self.len() == 0 {
            return Vec::new();
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let n = inner.fibers.len().div_ceil(2);
        let at = inner.fibers.len() - n;
        let stolen = inner.fibers.split_off(at).into_iter().collect();
        self.len.store(inner.fibers.len(), SeqCst);
        stolen
    }

    /// Appends stolen fibers; hands them back if the queue is closed.
    pub(crate) fn push_batch(&self, fibers: Vec<Unstarted>) -> Result<(), Vec<Unstarted>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.closed {
            return Err(fibers);
        }
        inner.fibers.extend(fibers);
        self.len.store(inner.fibers.len(), SeqCst);
        Ok(())
    }

    /// The number of queued fibers (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.len.load(SeqCst)
    }

    /// Refuses further pushes and returns what is queued.
    pub(crate) fn close(&self) -> VecDeque<Unstarted> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.closed = true;
        self.len.store(0, SeqCst);
        std::mem::take(&mut inner.fibers)
    }
}
