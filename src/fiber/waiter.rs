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
#[derive(Debug)]
pub(crate) struct Waiter {
    target: Target,
    seq: Seq,
}

#[derive(Debug)]
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

    /// Ends the wait with `reason` if no other wake has; returns whether
    /// this wake won. The loser does nothing (DESIGN.md decision 7).
    pub(crate) fn wake(&self, reason: Reason) -> bool {
        match &self.target {
            Target::Fiber(task) => match task.park.wake(self.seq, reason) {
                Wake::Lost => false,
                Wake::WonRunning => true,
                Wake::WonParked => {
                    sched::schedule(task);
                    true
                }
            },
            Target::Thread(parker) => match parker.park.wake(self.seq, reason) {
                Wake::Lost => false,
                Wake::WonRunning | Wake::WonParked => {
                    parker.thread.unpark();
                    true
                }
            },
        }
    }
}

/// The park state of a plain OS thread that blocks in fiberio.
#[derive(Debug)]
pub(crate) struct ThreadParker {
    park: ParkState,
    thread: Thread,
}

thread_local! {
    static PARKER: Arc<ThreadParker> = Arc::new(ThreadParker {
        park: ParkState::new(),
        thread: thread::current(),
    });
}

/// Blocks the current fiber, or else the current thread, until a waiter
/// given to `register` is woken or `deadline` passes; returns the reason.
///
/// `register` must hand the waiter to whatever will wake it, then re-check
/// the condition and wake the waiter itself if it already holds.
pub(crate) fn wait(deadline: Option<Instant>, register: impl FnOnce(Waiter)) -> Reason {
    if sched::in_fiber() {
        sched::park_fiber(deadline, register)
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
    PARKER.with(|parker| {
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
                    if now >= deadline {
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
    })
}

/// For the loom models (`src/loom_api/`): a parker per loom thread, made
/// explicitly — `PARKER`, a std thread-local, cannot serve loom's threads,
/// which share one OS thread and one execution each.
#[cfg(loom)]
impl ThreadParker {
    /// A parker for the calling thread.
    pub(crate) fn for_current() -> Arc<Self> {
        Arc::new(Self { park: ParkState::new(), thread: thread::current() })
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
