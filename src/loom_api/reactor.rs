//! The readiness token (`src/reactor/readiness.rs`) and the poll
//! descriptor (`src/reactor/poll_desc.rs`), for the loom models.

use super::park::Waiter;
use crate::reactor::{self, poll_desc, readiness};

/// A direction of an fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Readable (`read`, `accept`).
    Read,
    /// Writable.
    Write,
}

impl From<Dir> for reactor::Dir {
    fn from(d: Dir) -> Self {
        match d {
            Dir::Read => reactor::Dir::Read,
            Dir::Write => reactor::Dir::Write,
        }
    }
}

/// The readiness token of `src/reactor/readiness.rs`.
#[derive(Debug)]
pub struct Readiness(readiness::Readiness);

/// A snapshot of a [`Readiness`].
#[derive(Debug, Clone, Copy)]
pub struct Snapshot(readiness::Snapshot);

impl Snapshot {
    /// Whether the token says "try the syscall".
    pub fn is_ready(self) -> bool {
        self.0.is_ready()
    }
    /// Whether the fd was closed.
    pub fn is_closed(self) -> bool {
        self.0.is_closed()
    }
}

impl Default for Readiness {
    fn default() -> Self {
        Self(readiness::Readiness::new())
    }
}

impl Readiness {
    /// Observes the token.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.0.snapshot())
    }
    /// An edge arrived.
    pub fn set_ready(&self) {
        self.0.set_ready()
    }
    /// The syscall found nothing since `seen`.
    pub fn clear(&self, seen: Snapshot) -> bool {
        self.0.clear(seen.0)
    }
    /// Closed for good (sticky).
    pub fn close(&self) {
        self.0.close()
    }
}

/// The poll descriptor of one fd: per direction a token and a FIFO of
/// waiters, plus the fd's generation.
#[derive(Debug)]
pub struct PollDesc(poll_desc::PollDesc);

impl Default for PollDesc {
    fn default() -> Self {
        Self(poll_desc::PollDesc::new())
    }
}

impl PollDesc {
    /// A new fd took this slot (`IoSource::new`): its generation.
    pub fn open(&self) -> u32 {
        self.0.open()
    }
    /// The fd is closed (`IoSource`'s drop): wakes every waiter.
    pub fn close(&self) {
        self.0.close();
    }
    /// The current generation.
    pub fn generation(&self) -> u32 {
        self.0.generation()
    }
    /// Snapshots the token of `dir` (before a syscall).
    pub fn snapshot(&self, dir: Dir) -> Snapshot {
        Snapshot(self.0.token(dir.into()).snapshot())
    }
    /// The syscall found nothing since `seen` (`EAGAIN`).
    pub fn clear(&self, dir: Dir, seen: Snapshot) -> bool {
        self.0.token(dir.into()).clear(seen.0)
    }
    /// Queues `waiter` for `dir`, or wakes it at once if ready (re-check).
    pub fn register_waiter(&self, dir: Dir, waiter: Waiter) {
        self.0.register_waiter(dir.into(), waiter.0)
    }
    /// An edge of `dir` for fd generation `generation` (the poller's
    /// `dispatch`); `hup` for a hang-up or error.
    pub fn deliver(&self, generation: u32, dir: Dir, hup: bool) {
        self.0.deliver(generation, dir.into(), hup)
    }
    /// After a successful call left `dir` ready: wakes the next waiter.
    pub fn pass_on(&self, dir: Dir) {
        self.0.pass_on(dir.into())
    }
}
