//! The reactor's side of the libc hook (feature `hook`): which fds the
//! hook drives, and a borrowed [`IoSource`] for each.
//!
//! The hook keeps no table of its own: its per-fd state is one byte of
//! the fd's [`PollDesc`] (found by indexing, no lock), next to what it
//! shares with `fiberio::net` — the generation, the readiness tokens, the
//! waiters, the registration. The hook never changes an fd's flags (it
//! makes each call non-blocking on its own: `MSG_DONTWAIT`, `RWF_NOWAIT`),
//! so the kernel's `O_NONBLOCK` and socket timeouts stay the program's.
//! States:
//!
//! ```text
//!  UNTRACKED --begin_adopt--> ADOPTING --finish_adopt--> SOCKET[_STREAM] | FIFO | WATCHED
//!      ^                          |                           |
//!      |                          +---------> FOREIGN         |
//!      +------------------------ release (close, dup over) ---+
//!  IoSource::new: any --> OWNED (fiberio's own socket) --drop--> UNTRACKED
//! ```
//!
//! - SOCKET, FIFO, WATCHED (an epoll fd `epoll_wait` waits on): adopted: `finish_adopt` opened a generation, as
//!   `IoSource::new` does; the first park adds the fd to the worker's epoll.
//! - OWNED: a fiberio socket (`IoSource` holds it); the hook passes its
//!   calls to the kernel untouched, and `poll` may wait on its tokens.
//! - FOREIGN: not watchable (a regular file, a terminal, an eventfd): the
//!   hook's calls go to the kernel as they are.
//!
//! Reuse of an fd number never inherits a registration: `release` (on
//! every `close`, and on the fd a `dup2` replaces) closes the generation,
//! wakes the waiters with an error and takes the fd out of its epoll, as
//! an `IoSource`'s drop does; the next adoption opens a new generation.

use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::RawFd;

use super::arena;
use super::poll_desc::PollDesc;
use super::source::IoSource;
use crate::loom::sync::atomic::Ordering::*;

const UNTRACKED: u8 = 0;
const ADOPTING: u8 = 1;
const SOCKET: u8 = 2;
const SOCKET_STREAM: u8 = 3;
const FIFO: u8 = 4;
const WATCHED: u8 = 5;
const OWNED: u8 = 6;
const FOREIGN: u8 = 7;

/// What an adopted fd is: how the hook makes one call on it non-blocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FdKind {
    /// A socket (`MSG_DONTWAIT`); `stream`: of type `SOCK_STREAM`.
    Socket {
        /// A short read or write used up the readiness.
        stream: bool,
    },
    /// A pipe or FIFO (`RWF_NOWAIT`).
    Fifo,
    /// An fd only waited on (an epoll fd, for `epoll_wait`): its calls
    /// go to the kernel.
    Watched,
}

impl FdKind {
    fn state(self) -> u8 {
        match self {
            FdKind::Socket { stream: false } => SOCKET,
            FdKind::Socket { stream: true } => SOCKET_STREAM,
            FdKind::Fifo => FIFO,
            FdKind::Watched => WATCHED,
        }
    }

    /// A stream: a short transfer used up the readiness.
    pub(crate) fn is_stream(self) -> bool {
        matches!(self, FdKind::Socket { stream: true } | FdKind::Fifo)
    }
}

/// What the hook knows of an fd.
#[derive(Debug)]
pub(crate) enum Tracked {
    /// Nothing yet: the hook may adopt it ([`begin_adopt`]).
    Untracked,
    /// Another thread is adopting it right now.
    Adopting,
    /// Adopted: park on it.
    Hooked(HookedFd),
    /// fiberio's own socket, or not watchable: call the kernel as is.
    Pass,
}

/// An adopted fd and its poll descriptor; [`HookedFd::source`] lends its
/// [`IoSource`] (dropping either closes nothing).
#[derive(Debug)]
pub(crate) struct HookedFd {
    fd: RawFd,
    pd: &'static PollDesc,
    /// What the fd is (`None`: fiberio's own socket).
    pub(crate) kind: Option<FdKind>,
}

impl HookedFd {
    /// The fd's source at its current generation (its IO loop and
    /// registration); not the caller's to drop.
    pub(crate) fn source(&self) -> ManuallyDrop<IoSource> {
        ManuallyDrop::new(IoSource::borrowed(self.fd, self.pd.generation(), self.pd))
    }

    /// The poll descriptor.
    pub(crate) fn pd(&self) -> &'static PollDesc {
        self.pd
    }
}

fn view(fd: RawFd, pd: &'static PollDesc, kind: Option<FdKind>) -> HookedFd {
    HookedFd { fd, pd, kind }
}

fn kind_of(state: u8) -> Option<FdKind> {
    match state {
        SOCKET => Some(FdKind::Socket { stream: false }),
        SOCKET_STREAM => Some(FdKind::Socket { stream: true }),
        FIFO => Some(FdKind::Fifo),
        WATCHED => Some(FdKind::Watched),
        _ => None,
    }
}

/// What the hook knows of `fd` (one indexed load).
#[inline]
pub(crate) fn lookup(fd: RawFd) -> Tracked {
    let Some(pd) = arena::get(fd) else { return Tracked::Untracked };
    match pd.hook.load(Acquire) {
        UNTRACKED => Tracked::Untracked,
        ADOPTING => Tracked::Adopting,
        s @ (SOCKET | SOCKET_STREAM | FIFO | WATCHED) => Tracked::Hooked(view(fd, pd, kind_of(s))),
        _ => Tracked::Pass,
    }
}

/// `fd` if the hook adopted it as a socket or FIFO, with its kind: the
/// lookup of every hooked data call on a fiber (one indexed load; any
/// other state answers `None`, for [`lookup`] to tell apart).
#[inline]
pub(crate) fn lookup_io(fd: RawFd) -> Option<(HookedFd, FdKind)> {
    let pd = arena::get_inlined(fd)?;
    let kind = match pd.hook.load(Acquire) {
        SOCKET_STREAM => FdKind::Socket { stream: true },
        SOCKET => FdKind::Socket { stream: false },
        FIFO => FdKind::Fifo,
        _ => return None,
    };
    Some((view(fd, pd, Some(kind)), kind))
}

/// `fd` if the hook adopted it or fiberio owns it: what `poll` can wait on.
pub(crate) fn watchable(fd: RawFd) -> Option<HookedFd> {
    let pd = arena::get(fd)?;
    match pd.hook.load(Acquire) {
        s @ (SOCKET | SOCKET_STREAM | FIFO | WATCHED | OWNED) => Some(view(fd, pd, kind_of(s))),
        _ => None,
    }
}

/// Claims `fd` for adoption: `Ok(true)` if the caller must now classify
/// it and call [`finish_adopt`]; `Ok(false)` if another thread's state
/// came first (look it up again).
///
/// # Errors
///
/// When `fd` is beyond the fds fiberio tracks.
pub(crate) fn begin_adopt(fd: RawFd) -> io::Result<bool> {
    let pd = arena::get_or_create(fd)?;
    Ok(pd.hook.compare_exchange(UNTRACKED, ADOPTING, AcqRel, Acquire).is_ok())
}

/// Ends an adoption begun by [`begin_adopt`]: `Some` adopts the fd (a new
/// generation), `None` leaves it to the kernel (FOREIGN).
pub(crate) fn finish_adopt(fd: RawFd, kind: Option<FdKind>) {
    let Some(pd) = arena::get(fd) else { return };
    let Some(kind) = kind else {
        pd.hook.store(FOREIGN, Release);
        return;
    };
    // A registration left by an fd closed behind the hook's back (a raw
    // `close` syscall) must not hold this one's events back.
    if let Some(poller) = pd.unclaim_registration() {
        poller.delete(fd);
    }
    pd.open();
    pd.hook.store(kind.state(), Release);
}

/// An adopted fd turned out not to support the hook's non-blocking call
/// (`RWF_NOWAIT` on an old kernel): released, then left to the kernel.
pub(crate) fn make_foreign(fd: RawFd) {
    release(fd);
    if let Some(pd) = arena::get(fd) {
        let _ = pd.hook.compare_exchange(UNTRACKED, FOREIGN, AcqRel, Relaxed);
    }
}

/// The fd is closing (or a new file takes its number): if the hook
/// adopted it, wakes its waiters with an error, ends its generation and
/// takes it out of its epoll; forgets what the hook knew either way.
/// Cheap when the hook never saw the fd: one indexed load.
pub(crate) fn release(fd: RawFd) {
    let Some(pd) = arena::get(fd) else { return };
    loop {
        let state = pd.hook.load(Acquire);
        // OWNED: fiberio's socket, which its `IoSource` closes; it turns
        // UNTRACKED when that drops.
        if state == UNTRACKED || state == OWNED {
            return;
        }
        if pd.hook.compare_exchange(state, UNTRACKED, AcqRel, Acquire).is_err() {
            continue;
        }
        if matches!(state, SOCKET | SOCKET_STREAM | FIFO | WATCHED)
            && let Some(poller) = pd.close()
        {
            poller.delete(fd);
        }
        return;
    }
}

/// `IoSource::new` on `fd`: an fd the hook adopted leaves the hook (its
/// registration with it) before fiberio's own socket type takes it.
pub(super) fn before_owned(fd: RawFd, pd: &PollDesc) {
    if matches!(pd.hook.swap(UNTRACKED, AcqRel), SOCKET | SOCKET_STREAM | FIFO | WATCHED)
        && let Some(poller) = pd.unclaim_registration()
    {
        poller.delete(fd);
    }
}

/// `IoSource::new` opened `pd`: fiberio owns the fd now.
pub(super) fn owned(pd: &PollDesc) {
    pd.hook.store(OWNED, Release);
}

/// An `IoSource` is dropped: its fd is the hook's to classify again.
pub(super) fn disowned(pd: &PollDesc) {
    let _ = pd.hook.compare_exchange(OWNED, UNTRACKED, AcqRel, Relaxed);
}
