//! Fiber-aware synchronisation: std's `Mutex`, `RwLock`, `Condvar` and
//! `Barrier` APIs, plus [`Semaphore`] and [`WaitGroup`], and channels in
//! [`mpsc`], [`mpmc`] and [`oneshot`].
//!
//! Blocking parks the calling fiber, never its worker; called from a plain
//! OS thread, it blocks the thread (DESIGN.md decision 11), so fibers and
//! threads can share one primitive. Every primitive queues its waiters on
//! the same FIFO `WaitList` protocol (`src/fiber/wait_list.rs`, race 10 of
//! DESIGN.md section 3): register under the internal lock, re-check there,
//! park; a waker grants under the lock and wakes after releasing it.
//!
//! **Fairness**: waiters are served in arrival order — a released lock or
//! permit is handed to the longest waiter, and newcomers queue behind
//! waiters rather than barge in — so no waiter starves under contention.
//!
//! **Poisoning** follows std for `Mutex` and `RwLock` (writers only); a
//! fiber unwinding because it was cancelled does not poison.
//!
//! **Cancellation**: every blocking call here is a cancellation point
//! ([`JoinHandle::cancel`](crate::JoinHandle::cancel)); a cancelled waiter
//! leaves its queue and unwinds without holding anything.

mod barrier;
mod condvar;
mod mutex;
mod poison;
mod raw_mutex;
mod rwlock;
mod semaphore;
mod wait_group;

pub use crate::chan::{RecvEnd, Select, SelectTimeoutError, SelectedOperation, TrySelectError};
pub use crate::chan::{SendTimeoutError, mpmc, mpsc, oneshot};
pub use barrier::{Barrier, BarrierWaitResult};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Semaphore, SemaphorePermit};
pub use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
pub use wait_group::WaitGroup;
