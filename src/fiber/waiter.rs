//! Waiters: the one way anything in fiberio blocks and is woken.
//!
//! [`wait`] blocks the caller — the current fiber if there is one, else the
//! current OS thread (DESIGN.md decision 11) — until a [`Waiter`] handed to
//! its `register` callback is woken, or a deadline passes. Every blocking
//! operation (join, sleep, locks, channels, IO) is built on it, so the
//! two-phase park and the exactly-one-wakeup rule of `park.rs` hold for all.
//!
//! The order inside a blocking operation is always: fast path → open a
//! wait → register the waiter → re-check the condition (inside `register`,
//! waking the waiter itself if it already holds) → park.

use std::time::Instant;

use super::park::{ParkState, Reason, Seq, Wake};
use super::task::Task;
use crate::loom::sync::Arc;
use crate::loom::thread::{self, Thread};
use crate::sched;

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
        let park = match &self.target {
            Target::Fiber(task) => &task.park,
            Target::Thread(parker) => &parker.park,
        };
        park.reason(self.seq).is_none()
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
                sched::schedule(task);
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
            Some(Target::Fiber(task)) => sched::schedule(&task),
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
}

#[cfg(not(loom))]
thread_local! {
    static PARKER: Arc<ThreadParker> = ThreadParker::for_current_thread();
}

/// Blocks the current fiber, or else the current thread, until a waiter
/// given to `register` is woken or `deadline` passes; returns the reason.
///
/// `register` must hand the waiter to whatever will wake it, then re-check
/// the condition and wake the waiter itself if it already holds.
pub(crate) fn wait(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    if sched::in_fiber() {
        super::cancel::masked(|| sched::park_fiber(deadline, register))
    } else if sched::worker_shutting_down() {
        // A destructor the worker runs on its own stack during shutdown
        // (a never-started fiber's closure): blocking the worker thread
        // could wait on a fiber only this worker can unwind.
        Reason::Shutdown
    } else {
        wait_thread(deadline, register)
    }
}

/// The thread path of [`wait`].
pub(crate) fn wait_thread(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    // Under loom, a parker per wait: loom objects kept in a thread-local
    // would outlive the model when it ends by a panic (a found bug).
    #[cfg(loom)]
    return wait_with(&ThreadParker::for_current_thread(), deadline, register);
    #[cfg(not(loom))]
    PARKER.with(|parker| wait_with(parker, deadline, register))
}

fn wait_with(parker: &Arc<ThreadParker>, deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    {
        let seq = match parker.park.begin() {
            Ok(seq) => seq,
            Err(reason) => return reason,
        };
        register(Waiter { target: Target::Thread(parker.clone()), seq });
        loop {
            if let Some(reason) = parker.park.reason(seq) {
                return reason;
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    // Under loom time is not modelled: a deadline may pass
                    // at any moment, so the timer races the wakers at once
                    // (loom explores both outcomes).
                    if cfg!(loom) || now >= deadline {
                        // Race the other wakers for the win, like a timer would.
                        if parker.park.wake(seq, Reason::TimedOut) != Wake::Lost {
                            return Reason::TimedOut;
                        }
                        continue;
                    }
                    thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

/// For the loom models (`src/loom_api/`), which hold a model thread's
/// parker (`for_current_thread`) across several waits and hand its waiters
/// to the protocol under test.
#[cfg(loom)]
impl ThreadParker {
    /// Its park state.
    pub(crate) fn park_state(&self) -> &ParkState {
        &self.park
    }

    /// The waiter that ends wait `seq` of this parker (unparking its thread).
    pub(crate) fn waiter(this: &Arc<Self>, seq: Seq) -> Waiter {
        Waiter { target: Target::Thread(this.clone()), seq }
    }
}
