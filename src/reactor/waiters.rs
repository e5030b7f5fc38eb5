//! The waiters of one direction of one fd: fibers parked in a blocking
//! operation, in FIFO order (race 9), and the one async task that polls
//! the fd (`IoSource::poll_io`, the `tokio-io` / `futures-io` traits), as
//! tokio's streams keep one reader and one writer task per direction.
//!
//! Both kinds sit under the same waiter lock of the poll descriptor, so an
//! edge orders against a task's registration exactly as against a fiber's
//! (race 1): the edge finds the waker stored, or the registration's
//! re-check sees the token ready. An edge wakes the task (under the lock,
//! `poll_desc::wake_task`) and the first fiber: a waker is cheap to wake
//! and cannot tell whether its task still waits, so it never holds an
//! edge back from a fiber, and a woken task that finds nothing to read
//! registers again.
//!
//! No context switch, no lock of its own: the poll descriptor's lock
//! guards it, and loom checks it through `PollDesc`.

use std::collections::VecDeque;
use std::task::Waker;

use crate::fiber::park::Reason;
use crate::fiber::waiter::Waiter;

/// The waiters of one direction (see the module docs).
#[derive(Debug, Default)]
pub(super) struct Waiters {
    fibers: VecDeque<Waiter>,
    task: Option<Waker>,
}

/// A waiter taken out of the queue, to wake once the lock is released.
#[derive(Debug)]
pub(super) enum Taken {
    Fiber(Waiter),
    Task(Waker),
}

impl Taken {
    /// Wakes it; `false` if it was a fiber whose wait had already ended
    /// (timed out, cancelled), so that the edge should go to the next one.
    /// A task's wake always counts: its task polls again.
    #[inline]
    pub(super) fn wake(self) -> bool {
        match self {
            Taken::Fiber(w) => w.wake(Reason::Notified),
            Taken::Task(w) => {
                w.wake();
                true
            }
        }
    }
}

impl Waiters {
    /// How many wait (some fibers' waits may have ended already).
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.fibers.len() + usize::from(self.task.is_some())
    }

    /// Queues a fiber last, dropping on the way the fibers whose wait
    /// already ended (an idle socket read with a timeout again and again
    /// must not grow its queue).
    #[inline]
    pub(super) fn push_fiber(&mut self, waiter: Waiter) {
        if !self.fibers.is_empty() {
            self.fibers.retain(Waiter::is_pending);
        }
        self.fibers.push_back(waiter);
    }

    /// Makes `waker` the task to wake at the next edge; returns the waker
    /// it replaces, for the caller to drop outside the lock. The same task
    /// polling again keeps its stored waker (no clone).
    #[inline]
    pub(super) fn set_task(&mut self, waker: &Waker) -> Option<Waker> {
        match &self.task {
            Some(old) if old.will_wake(waker) => None,
            _ => self.task.replace(waker.clone()),
        }
    }

    /// For an edge: the first fiber (the task is taken apart, by
    /// [`take_task`](Self::take_task), when [`has_task`](Self::has_task)
    /// says one waits).
    #[inline]
    pub(super) fn take_fiber(&mut self) -> Option<Waiter> {
        self.fibers.pop_front()
    }

    /// Whether a task waits.
    #[inline]
    pub(super) fn has_task(&self) -> bool {
        self.task.is_some()
    }

    /// For an edge: the waiting task, if any.
    #[inline]
    pub(super) fn take_task(&mut self) -> Option<Waker> {
        self.task.take()
    }

    /// For a readiness handed on: the first fiber, or else the task.
    #[inline]
    pub(super) fn take_next(&mut self) -> Option<Taken> {
        match self.fibers.pop_front() {
            Some(w) => Some(Taken::Fiber(w)),
            None => self.task.take().map(Taken::Task),
        }
    }

    /// For a close: every waiter, fibers first.
    #[inline]
    pub(super) fn take_all(&mut self) -> impl Iterator<Item = Taken> + use<> {
        let fibers = std::mem::take(&mut self.fibers);
        let task = self.task.take();
        fibers.into_iter().map(Taken::Fiber).chain(task.map(Taken::Task))
    }
}
