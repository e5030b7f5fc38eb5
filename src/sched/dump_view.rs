//! The fiber dump as users see it: [`FiberDump`], [`FiberInfo`],
//! [`FiberState`], [`WaitReason`], [`DumpOptions`], built from what the
//! workers report (`dump.rs`), and shown like Go's goroutine dump
//! (`dump_fmt.rs`). `Runtime::dump` (`src/runtime/`) hands them out; they
//! live here, below it, because the dump signal's thread (`dump_signal.rs`)
//! prints them for the global runtime too.

use std::backtrace::Backtrace;
use std::os::fd::RawFd;
use std::panic::Location;
use std::time::{Duration, Instant};

use super::dump::{FiberRecord, FiberState as RawState, WorkerPart};
use super::runtime::RuntimeShared;
use crate::fiber::capture::Captured;
use crate::fiber::task::FiberId;
use crate::fiber::{SyncKind, WaitOn};
use crate::loom::sync::Arc;

/// What a [`dump`](crate::Runtime::dump) collects, and how long it waits.
///
/// ```
/// use std::time::Duration;
/// let options = fiberio::DumpOptions::new().backtraces(false).timeout(Duration::from_millis(200));
/// # drop(options);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DumpOptions {
    pub(crate) backtraces: bool,
    pub(crate) timeout: Duration,
}

impl Default for DumpOptions {
    fn default() -> Self {
        Self { backtraces: true, timeout: Duration::from_secs(1) }
    }
}

impl DumpOptions {
    /// Backtraces on, a timeout of 1 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to capture each parked fiber's backtrace (default: yes).
    /// A capture costs each fiber a resume and a stack walk, about as much
    /// as a short fiber run; symbols are resolved only when printed.
    pub fn backtraces(mut self, on: bool) -> Self {
        self.backtraces = on;
        self
    }

    /// How long to wait for each worker's answer (default 1 s). A worker
    /// busy with one long fiber run cannot answer: it is reported as not
    /// responding, with the fiber it runs.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A snapshot of every fiber of a runtime, worker by worker; its
/// `Display` reads like Go's goroutine dump.
#[derive(Debug)]
#[non_exhaustive]
pub struct FiberDump {
    /// Each worker's part, indexed by worker.
    pub workers: Vec<WorkerDump>,
}

/// One worker's part of a [`FiberDump`].
#[derive(Debug)]
#[non_exhaustive]
pub struct WorkerDump {
    /// The worker's index.
    pub index: usize,
    /// Whether it answered. A worker that did not was busy with one fiber
    /// run for the whole timeout (a CPU loop or a std blocking call in a
    /// fiber), or has shut down; `fibers` then holds only the fiber it was
    /// running, if any, as [`FiberState::Running`].
    pub responding: bool,
    /// Its fibers: started ones, oldest first, then those not started.
    pub fibers: Vec<FiberInfo>,
}

/// One fiber in a [`FiberDump`].
#[derive(Debug)]
#[non_exhaustive]
pub struct FiberInfo {
    /// Its id.
    pub id: FiberId,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// The worker it lives on.
    pub worker: usize,
    /// What it is doing.
    pub state: FiberState,
    /// How long it has been in that state: since its wait began for a
    /// parked fiber, at least this long for a running one; `None` for a
    /// runnable or unstarted fiber (nothing records when a fiber is woken
    /// or yields: no switch pays for the dump).
    pub since: Option<Duration>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    pub(crate) backtrace: Option<Arc<Captured>>,
}

impl FiberInfo {
    /// Its backtrace, from where it parked down to its entry, if the dump
    /// asked for backtraces and the fiber is parked; `None` for a fiber
    /// that is running, runnable or not started, or whose stack was too
    /// nearly full to walk.
    pub fn backtrace(&self) -> Option<&Backtrace> {
        match self.backtrace.as_deref() {
            Some(Captured::Backtrace(bt)) => Some(bt),
            _ => None,
        }
    }
}

/// What a fiber is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FiberState {
    /// Running on its worker (seen only in a worker that did not answer).
    Running,
    /// Ready to run, waiting for its turn: woken, or it yielded.
    Runnable,
    /// Spawned, not started yet.
    NotStarted,
    /// Parked until `on` wakes it, or `deadline` passes.
    Parked {
        /// What it waits on.
        on: WaitReason,
        /// When the wait times out, if it has a deadline.
        deadline: Option<Instant>,
    },
}

/// What a parked fiber waits on. An `address` names the primitive or
/// channel, so fibers waiting on the same one show the same address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// An fd to become readable.
    Read {
        /// The fd.
        fd: RawFd,
    },
    /// An fd to become writable.
    Write {
        /// The fd.
        fd: RawFd,
    },
    /// Only its deadline: `sleep`, `sleep_until`.
    Sleep,
    /// A [`Mutex`](crate::sync::Mutex).
    Mutex {
        /// The mutex's address.
        address: usize,
    },
    /// A read lock of an [`RwLock`](crate::sync::RwLock).
    RwLockRead {
        /// The lock's address.
        address: usize,
    },
    /// A write lock of an [`RwLock`](crate::sync::RwLock).
    RwLockWrite {
        /// The lock's address.
        address: usize,
    },
    /// Permits of a [`Semaphore`](crate::sync::Semaphore).
    Semaphore {
        /// The semaphore's address.
        address: usize,
    },
    /// A [`Condvar`](crate::sync::Condvar) notification.
    Condvar {
        /// The condvar's address.
        address: usize,
    },
    /// A [`Barrier`](crate::sync::Barrier).
    Barrier {
        /// The barrier's address.
        address: usize,
    },
    /// A [`WaitGroup`](crate::sync::WaitGroup).
    WaitGroup {
        /// The wait group's address.
        address: usize,
    },
    /// Room in a channel, to send.
    Send {
        /// The channel's address (shared by its senders and receivers).
        channel: usize,
    },
    /// A message from a channel.
    Recv {
        /// The channel's address (shared by its senders and receivers).
        channel: usize,
    },
    /// Any arm of a channel `select`.
    Select,
    /// Any of several fds: a `poll(2)`, `select(2)` or `epoll_wait(2)` the
    /// feature `hook` turned into a fiber wait.
    Poll,
    /// Another fiber's end ([`JoinHandle::join`](crate::JoinHandle::join)).
    Join {
        /// The fiber it joins.
        fiber: FiberId,
    },
    /// The helper pool running its closure ([`unblock`](crate::unblock)).
    Blocking,
    /// A future's waker, in [`future::block_on`](crate::future::block_on).
    Future,
    /// The answers to a fiber dump it asked for.
    Dump,
    /// Not recorded.
    Unknown,
}

impl WaitReason {
    fn from_raw(on: WaitOn) -> Self {
        match on {
            WaitOn::Unknown => WaitReason::Unknown,
            WaitOn::Io { fd, write: false } => WaitReason::Read { fd },
            WaitOn::Io { fd, write: true } => WaitReason::Write { fd },
            WaitOn::Sleep => WaitReason::Sleep,
            WaitOn::Sync { kind, address } => match kind {
                SyncKind::Mutex => WaitReason::Mutex { address },
                SyncKind::RwLockRead => WaitReason::RwLockRead { address },
                SyncKind::RwLockWrite => WaitReason::RwLockWrite { address },
                SyncKind::Semaphore => WaitReason::Semaphore { address },
                SyncKind::Condvar => WaitReason::Condvar { address },
                SyncKind::Barrier => WaitReason::Barrier { address },
                SyncKind::WaitGroup => WaitReason::WaitGroup { address },
            },
            WaitOn::ChanSend { address } => WaitReason::Send { channel: address },
            WaitOn::ChanRecv { address } => WaitReason::Recv { channel: address },
            WaitOn::Select => WaitReason::Select,
            WaitOn::Poll => WaitReason::Poll,
            WaitOn::Join { fiber } => match FiberId::from_u64(fiber) {
                Some(fiber) => WaitReason::Join { fiber },
                None => WaitReason::Unknown,
            },
            WaitOn::Blocking => WaitReason::Blocking,
            WaitOn::Future => WaitReason::Future,
            WaitOn::Dump => WaitReason::Dump,
        }
    }
}

impl FiberInfo {
    fn from_record(worker: usize, r: &FiberRecord) -> Self {
        let state = match r.state {
            RawState::Running => FiberState::Running,
            RawState::Runnable => FiberState::Runnable,
            RawState::NotStarted => FiberState::NotStarted,
            RawState::Parked(on, deadline) => FiberState::Parked { on: WaitReason::from_raw(on), deadline },
        };
        Self {
            id: FiberId::from_u64(r.id).expect("fiber ids start at 1"),
            name: r.name.clone(),
            worker,
            state,
            since: r.since,
            spawned_at: r.location,
            backtrace: r.backtrace.clone(),
        }
    }
}

impl FiberDump {
    /// Takes a dump of runtime `rt` (`RuntimeShared::dump`).
    pub(crate) fn take(rt: &RuntimeShared, options: DumpOptions) -> Self {
        Self::from_parts(rt.dump(options.backtraces, options.timeout))
    }

    /// Builds the dump from the workers' parts.
    fn from_parts(parts: Vec<WorkerPart>) -> Self {
        let workers = parts
            .into_iter()
            .enumerate()
            .map(|(index, part)| match part {
                WorkerPart::Answered(records) => WorkerDump {
                    index,
                    responding: true,
                    fibers: records.iter().map(|r| FiberInfo::from_record(index, r)).collect(),
                },
                WorkerPart::NotResponding { running, .. } => WorkerDump {
                    index,
                    responding: false,
                    fibers: running.iter().map(|r| FiberInfo::from_record(index, r)).collect(),
                },
            })
            .collect();
        Self { workers }
    }

    /// Every fiber, worker by worker.
    pub fn fibers(&self) -> impl Iterator<Item = &FiberInfo> {
        self.workers.iter().flat_map(|w| w.fibers.iter())
    }

    /// The fiber with id `id`, if the dump has it.
    pub fn fiber(&self, id: FiberId) -> Option<&FiberInfo> {
        self.fibers().find(|f| f.id == id)
    }
}
