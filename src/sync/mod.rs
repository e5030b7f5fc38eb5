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
//! **Fairness, and no convoys**: `Mutex` and `RwLock` let a running locker
//! take a released lock ahead of the queue (Go's `sync.Mutex` design,
//! race 12), so a contended hand-off does not wait for a woken fiber to
//! be scheduled on its worker; a waiter that has waited longer than about
//! 1 ms switches the lock to serving waiters in order, so none waits much
//! longer than that plus one turn of those ahead of it
//! (`tests/sync_mutex_bound.rs`, `tests/sync_fairness.rs`). `Condvar`,
//! `Semaphore`, `Barrier`, `WaitGroup` and the channels hand what they
//! grant to their longest waiter, first come, first served.
//!
//! **Poisoning** follows std for `Mutex` and `RwLock` (writers only); a
//! fiber unwinding because it was cancelled, or because its runtime shuts
//! down, does not poison.
//!
//! **Cancellation**: every blocking call here is a cancellation point
//! ([`JoinHandle::cancel`](crate::JoinHandle::cancel)); a cancelled waiter
//! leaves its queue and unwinds without holding anything.

mod barrier;
mod condvar;
mod mutex;
mod poison;
mod raw_mutex;
mod raw_rwlock;
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
