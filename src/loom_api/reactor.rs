//! The poll descriptor (`src/reactor/poll_desc.rs`) with its readiness
//! tokens (`src/reactor/readiness.rs`), for the loom models: the event
//! dispatch the poller calls, and the IO loop a fiber's operation runs,
//! parking through the runtime's own wait (`fiber::wait`, whose thread
//! path a loom thread takes).

use std::io;
use std::time::Instant;

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

/// What one epoll event says of an fd, as the poller decodes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    /// An edge for reading.
    pub read: bool,
    /// An edge for writing.
    pub write: bool,
    /// The peer hung up reading (or the socket failed).
    pub read_hup: bool,
    /// The peer hung up writing (or the socket failed).
    pub write_hup: bool,
}

/// A snapshot of a readiness token.
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
    /// Snapshots the token of `dir`.
    pub fn snapshot(&self, dir: Dir) -> Snapshot {
        Snapshot(self.0.token(dir.into()).snapshot())
    }
    /// An event for fd generation `generation`, decoded (the poller's
    /// `dispatch`).
    pub fn dispatch(&self, generation: u32, ready: Ready) {
        let Ready { read, write, read_hup, write_hup } = ready;
        self.0.dispatch(generation, poll_desc::Ready { read, write, read_hup, write_hup })
    }
    /// A fiber's blocking operation on `dir` (`IoSource::run` on a fiber,
    /// past the registration with a poller): `op` is the non-blocking
    /// syscall (`Err(WouldBlock)` for `EAGAIN`), `short` says whether a
    /// success used up the readiness. Waits in between through the
    /// runtime's `PollDesc::wait` — with a deadline if `timed`, which under
    /// loom has always passed, so the wait races its wakers with a timeout
    /// at once (error kind `TimedOut`). A closed fd: `NotConnected`.
    pub fn run_io<R>(
        &self,
        dir: Dir,
        timed: bool,
        op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        let deadline =
            timed.then(|| poll_desc::Deadline { at: Instant::now(), kind: io::ErrorKind::TimedOut });
        let dir = dir.into();
        self.0.run_io(dir, op, short, || self.0.wait(dir, deadline, crate::fiber::WaitOn::Unknown))
    }

    /// An async poll of `dir` (`IoSource::poll_io`, past the registration
    /// with a poller): `op` and `short` as for [`run_io`](Self::run_io);
    /// where `run_io` would park, the waker of `cx` is stored beside the
    /// fiber waiters for the next edge and the poll returns `Pending`.
    pub fn poll_io<R>(
        &self,
        dir: Dir,
        cx: &mut std::task::Context<'_>,
        op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> std::task::Poll<io::Result<R>> {
        self.0.poll_io(dir.into(), cx.waker(), op, short, || Ok(()))
    }
}
