//! What a parked fiber waits on: a record the fiber writes right before it
//! parks, for the fiber dump (`sched::dump`) to read.
//!
//! Every blocking operation names what it waits on when it calls
//! [`wait`](super::wait::wait): an fd and a direction, a timer, a lock, a
//! channel, a join, the helper pool. [`park`](super::carrier::park) stores
//! that [`WaitOn`] and the wait's deadline in the fiber's worker-owned slot
//! (`StartedFiber::wait`): one 32-byte store per park, no atomic, no clock.
//! Only the fiber writes it, and only its worker reads it, between runs,
//! so it is a plain `Cell`.
//!
//! The record outlives the wait: it describes the *last* wait. A reader
//! trusts it only for a fiber whose park state says it is parked now.

use std::time::Instant;

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
    /// The end of fiber `fiber` (its id).
    Join {
        /// The joined fiber's id.
        fiber: u64,
    },
    /// A helper-pool thread running `unblock`'s closure.
    Blocking,
    /// The workers' answers to a fiber dump this fiber asked for.
    Dump,
}

/// The record of a fiber's last wait (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitRecord {
    /// What it waited on.
    pub(crate) on: WaitOn,
    /// The wait's deadline, if it has one.
    pub(crate) deadline: Option<Instant>,
}

impl WaitRecord {
    /// No wait recorded yet.
    pub(crate) const NONE: WaitRecord = WaitRecord { on: WaitOn::Unknown, deadline: None };
}
