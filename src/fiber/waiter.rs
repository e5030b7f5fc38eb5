//! Waiters: the handle that ends one wait of one fiber or thread.
//!
//! A [`Waiter`] is what a blocking operation hands to whatever may end its
//! wait (a waiter list, a readiness token, a timer, a join slot); `wait.rs`
//! opens the wait and parks. Waking goes through the fiber's or thread's
//! park state (`park.rs`), so exactly one wake wins; a won wake against a
//! parked fiber makes it runnable on its own worker (`Task::schedule`), and
//! against a parked thread unparks it.
//!
//! Under a lock, a waker *claims* the wake ([`Waiter::claim`]) and runs the
//! resulting [`Wakeup`] after releasing the lock (STYLE.md convention 5).

use super::park::{ParkState, Reason, Seq, Wake};
use super::task::Task;
use crate::loom::sync::Arc;
use crate::loom::thread::{self, Thread};

/// A handle that ends one particular wait of one fiber or thread.
///
/// Clones end the same wait: a select queues one on each channel, and
/// whichever is woken first wins; the others' wakes lose (decision 7).
#[derive(Debug, Clone)]
pub(crate) struct Waiter {
    target: Target,
    seq: Seq,
}

#[derive(Debug, Clone)]
enum Target {
    Fiber(Arc<Task>),
    Thread(Arc<ThreadParker>),
}

impl Waiter {
    pub(crate) fn fiber(task: Arc<Task>, seq: Seq) -> Self {
        Self { target: Target::Fiber(task), seq }
    }

    /// Whether the wait this waiter ends is still open (no wake has won).
    pub(crate) fn is_pending(&self) -> bool {
        self.ended().is_none()
    }

    /// How the wait this waiter ends ended, or `None` while it is open.
    pub(crate) fn ended(&self) -> Option<Reason> {
        let park = match &self.target {
            Target::Fiber(task) => &task.park,
            Target::Thread(parker) => &parker.park,
        };
        park.reason(self.seq)
    }

    /// Which wait this waiter ends, to find it again in a queue.
    pub(crate) fn key(&self) -> WaitKey {
        let ptr = match &self.target {
            Target::Fiber(task) => Arc::as_ptr(task) as usize,
            Target::Thread(parker) => Arc::as_ptr(parker) as usize,
        };
        WaitKey { ptr, seq: self.seq }
    }

    /// Ends the wait with `reason` if no other wake has; returns whether
    /// this wake won. The loser does nothing (DESIGN.md decision 7).
    pub(crate) fn wake(&self, reason: Reason) -> bool {
        match (self.decide(reason), &self.target) {
            (Wake::Lost, _) => false,
            (Wake::WonRunning, Target::Fiber(_)) => true,
            (Wake::WonParked, Target::Fiber(task)) => {
                task.schedule();
                true
            }
            (_, Target::Thread(parker)) => {
                parker.thread.unpark();
                true
            }
        }
    }

    /// The deciding half of [`wake`](Self::wake), for a waker that holds a
    /// lock: a win returns the [`Wakeup`] that makes the fiber or thread
    /// run, to be run once the lock is released (it may write an eventfd).
    pub(crate) fn claim(self, reason: Reason) -> Option<Wakeup> {
        match self.decide(reason) {
            Wake::Lost => None,
            Wake::WonRunning if matches!(self.target, Target::Fiber(_)) => Some(Wakeup(None)),
            _ => Some(Wakeup(Some(self.target))),
        }
    }

    fn decide(&self, reason: Reason) -> Wake {
        match &self.target {
            Target::Fiber(task) => task.park.wake(self.seq, reason),
            Target::Thread(parker) => parker.park.wake(self.seq, reason),
        }
    }
}

/// Identifies one wait of one fiber or thread (see [`Waiter::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitKey {
    ptr: usize,
    seq: Seq,
}

/// A won wake whose fiber or thread is yet to be made runnable.
#[derive(Debug)]
#[must_use = "a won wake must be run, or its fiber never resumes"]
pub(crate) struct Wakeup(Option<Target>);

impl Wakeup {
    /// Makes the woken fiber runnable (on its worker) or unparks the thread.
    pub(crate) fn run(self) {
        match self.0 {
            None => {}
            Some(Target::Fiber(task)) => task.schedule(),
            Some(Target::Thread(parker)) => parker.thread.unpark(),
        }
    }
}

/// The park state of a plain OS thread that blocks in fiberio.
#[derive(Debug)]
pub(crate) struct ThreadParker {
    park: ParkState,
    thread: Thread,
}

impl ThreadParker {
    pub(crate) fn for_current_thread() -> Arc<Self> {
        Arc::new(ThreadParker { park: ParkState::new(), thread: thread::current() })
    }

    /// Its park state.
    pub(crate) fn park_state(&self) -> &ParkState {
        &self.park
    }

    /// The waiter that ends wait `seq` of this parker (unparking its thread).
    pub(crate) fn waiter(this: &Arc<Self>, seq: Seq) -> Waiter {
        Waiter { target: Target::Thread(this.clone()), seq }
    }
}
