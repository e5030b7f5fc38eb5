//! What a parked fiber waits on: a record the fiber writes right before it
//! parks, for the fiber dump (`sched::dump`) to read.
//!
//! Every blocking operation names what it waits on when it calls
//! [`wait`](super::wait::wait): an fd and a direction, a timer, a lock, a
//! channel, a join, the helper pool. [`park`](super::carrier::park) keeps
//! that [`WaitOn`], the wait's deadline and the time (the cheap clock of
//! `sys::ticks`: `rdtsc`) in a [`WaitRecord`] in its own frame, on the
//! fiber's stack, and leaves a pointer to it in the fiber's worker-owned
//! slot (`StartedFiber::wait`): a few stores per park, no atomic, no
//! syscall. Only the fiber writes it, and only its worker reads it,
//! between runs, so it is a plain `Cell`.
//!
//! The pointer outlives the wait. A reader follows it only for a fiber
//! whose park state says it is parked now: such a fiber is suspended in
//! the very `park` whose frame holds the record.

use std::time::Instant;

use crate::sys::ticks::Ticks;

/// The kind of synchronisation primitive a fiber waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncKind {
    /// `Mutex::lock` (also a `Condvar`'s re-lock).
    Mutex,
    /// `RwLock::read`.
    RwLockRead,
    /// `RwLock::write`.
    RwLockWrite,
    /// `Semaphore::acquire`.
    Semaphore,
    /// `Condvar::wait`.
    Condvar,
    /// `Barrier::wait`.
    Barrier,
    /// `WaitGroup::wait`.
    WaitGroup,
}

/// What a wait waits on; `address` fields are the primitive's address, so
/// two fibers waiting on the same lock or channel show the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitOn {
    /// Nothing recorded (a fiber that never parked).
    Unknown,
    /// Readiness of fd `fd`: readable, or writable when `write`.
    Io {
        /// The fd.
        fd: i32,
        /// Writable (`true`) or readable (`false`).
        write: bool,
    },
    /// Only its deadline: `sleep`, `sleep_until`.
    Sleep,
    /// A lock or another sync primitive.
    Sync {
        /// Which primitive.
        kind: SyncKind,
        /// Its address.
        address: usize,
    },
    /// Room in a channel, to send.
    ChanSend {
        /// The channel's address.
        address: usize,
    },
    /// A message in a channel.
    ChanRecv {
        /// The channel's address.
        address: usize,
    },
    /// Any arm of a `select`.
    Select,
    /// Any of several fds: a hooked `poll`, `select` or `epoll_wait`
    /// (feature `hook`).
    #[cfg_attr(not(feature = "hook"), allow(dead_code))]
    Poll,
    /// The end of fiber `fiber` (its id).
    Join {
        /// The joined fiber's id.
        fiber: u64,
    },
    /// A helper-pool thread running `unblock`'s closure.
    Blocking,
    /// The waker of a future in `future::block_on`.
    Future,
    /// The workers' answers to a fiber dump this fiber asked for.
    Dump,
}

/// The record of a fiber's current wait (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitRecord {
    /// What it waits on.
    pub(crate) on: WaitOn,
    /// The wait's deadline, if it has one.
    pub(crate) deadline: Option<Instant>,
    /// When the wait began, by the cheap clock.
    pub(crate) since: Ticks,
}
