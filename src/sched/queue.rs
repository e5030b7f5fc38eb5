//! Unstarted fibers: the only thing that moves between workers.
//!
//! A fiber that has not started is just a `Send` closure, a stack and its
//! `Task`, so an idle worker may take it from a busy one (DESIGN.md
//! decision 1: balancing happens before a fiber starts). Each worker owns an
//! [`UnstartedQueue`]; it pops from the front, thieves take half from the
//! back. `len` mirrors the length as a relaxed hint, so the owner and
//! thieves skip the lock when it reads 0.
//!
//! Race 8 (a fiber spawned while a worker goes to sleep) is defended with
//! the lock, not the hint: the sleeper counts itself in the sleeper count
//! and announces (`idle.rs`), then checks every queue under its lock
//! ([`UnstartedQueue::is_empty_locked`]); the spawner pushes under the lock
//! and then reads the sleeper count and the sleep states. If the sleeper's
//! lock comes after the push, it sees the fiber; otherwise its count and
//! announce happen before the spawner's lock (unlock → lock is a release →
//! acquire pair), and the spawner sees a sleeper to wake.
//!
//! The queue is generic over what it holds only so the loom models
//! (`loom-tests/`) can run this very code with plain numbers for fibers.
//!
//! Once the worker shuts down it closes its queue ([`close_unstarted`]): a
//! push after that is refused and handed back, so the spawner can complete
//! the fiber with a shutdown error instead of leaving its joiner waiting
//! forever. A close and a push are ordered by the queue's lock: the fiber
//! is either in what `close` returns, or refused.
//!
//! [`push_local`] is a worker's own spawn (its `runnext` slot first); the
//! spawner's wake of a sleeper and stealing are in `idle.rs`
//! (`Workers::submit`, `Workers::steal`), where the loom models run them.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;

use crate::fiber::task::{Output, Task};
use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
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
        f.debug_struct("Unstarted").field("task", &self.task).finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Inner<T> {
    fibers: VecDeque<T>,
    closed: bool,
}

/// One worker's queue of unstarted fibers (see the module docs).
#[derive(Debug)]
pub(crate) struct UnstartedQueue<T = Unstarted> {
    inner: Mutex<Inner<T>>,
    len: AtomicUsize,
}

impl<T> UnstartedQueue<T> {
    pub(crate) fn new() -> Self {
        Self { inner: Mutex::new(Inner { fibers: VecDeque::new(), closed: false }), len: AtomicUsize::new(0) }
    }

    /// Appends a fiber. Returns the length before the push, or the fiber
    /// back if the queue is closed.
    pub(crate) fn push(&self, fiber: T) -> Result<usize, T> {
        let mut inner = crate::loom::lock(&self.inner);
        if inner.closed {
            return Err(fiber);
        }
        let before = inner.fibers.len();
        inner.fibers.push_back(fiber);
        self.len.store(before + 1, Relaxed);
        Ok(before)
    }

    /// Owner: takes the oldest fiber.
    pub(crate) fn pop(&self) -> Option<T> {
        if self.len() == 0 {
            return None;
        }
        let mut inner = crate::loom::lock(&self.inner);
        let fiber = inner.fibers.pop_front();
        self.len.store(inner.fibers.len(), Relaxed);
        fiber
    }

    /// Thief: takes half (rounded up) of the queued fibers, newest first.
    pub(crate) fn steal_half(&self) -> Vec<T> {
        if self.len() == 0 {
            return Vec::new();
        }
        let mut inner = crate::loom::lock(&self.inner);
        let n = inner.fibers.len().div_ceil(2);
        let at = inner.fibers.len() - n;
        let stolen = inner.fibers.split_off(at).into_iter().collect();
        self.len.store(inner.fibers.len(), Relaxed);
        stolen
    }

    /// Appends stolen fibers; hands them back if the queue is closed.
    pub(crate) fn push_batch(&self, fibers: Vec<T>) -> Result<(), Vec<T>> {
        let mut inner = crate::loom::lock(&self.inner);
        if inner.closed {
            return Err(fibers);
        }
        inner.fibers.extend(fibers);
        self.len.store(inner.fibers.len(), Relaxed);
        Ok(())
    }

    /// Calls `f` on each queued fiber, oldest first, under the lock (the
    /// fiber dump).
    pub(crate) fn for_each(&self, f: impl FnMut(&T)) {
        crate::loom::lock(&self.inner).fibers.iter().for_each(f);
    }

    /// The number of queued fibers: a hint, possibly stale.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Whether the queue is empty, checked under its lock (race 8).
    pub(crate) fn is_empty_locked(&self) -> bool {
        crate::loom::lock(&self.inner).fibers.is_empty()
    }

    /// Refuses further pushes and returns what is queued.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut inner = crate::loom::lock(&self.inner);
        if mutation::on(Mutation::QueueCloseLeavesOpen) {
            // BROKEN: the queued fibers are taken but the queue stays open;
            // a later push is neither run nor completed.
        } else {
            inner.closed = true;
        }
        self.len.store(0, Relaxed);
        std::mem::take(&mut inner.fibers)
    }
}

/// A worker's own spawn: the new fiber takes the `runnext` slot if it is
/// free, else goes to the worker's shared queue behind the one waiting
/// there. Returns whether it spilled into the queue (work an idle worker
/// could steal), or the fiber back if the queue is closed.
#[inline(always)]
pub(crate) fn push_local<T>(
    runnext: &Cell<Option<T>>,
    queue: &UnstartedQueue<T>,
    fiber: T,
) -> Result<bool, T> {
    match runnext.take() {
        None => {
            runnext.set(Some(fiber));
            Ok(false)
        }
        Some(waiting) => {
            runnext.set(Some(waiting));
            queue.push(fiber)?;
            Ok(true)
        }
    }
}

/// Worker, shutting down: closes its unstarted queue — a push from now on
/// is refused, and its spawner completes the fiber (`Workers::submit`) —
/// and completes every fiber that never started with `abandon`: first
/// the one in its `runnext` slot, then the queued ones.
pub(crate) fn close_unstarted<T>(
    runnext: &Cell<Option<T>>,
    queue: &UnstartedQueue<T>,
    mut abandon: impl FnMut(T),
) {
    if let Some(fiber) = runnext.take() {
        abandon(fiber);
    }
    queue.close().into_iter().for_each(abandon);
}
