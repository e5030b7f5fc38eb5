//! The reactor's side of the libc hook (feature `hook`): which fds the
//! hook drives, and a borrowed [`IoSource`] for each.
//!
//! The hook keeps no table of its own: its per-fd state is one byte of
//! the fd's [`PollDesc`] (found by indexing, no lock), next to what it
//! shares with `fiberio::net` — the generation, the readiness tokens, the
//! waiters, the registration, the program's `O_NONBLOCK` and its
//! `SO_RCVTIMEO`/`SO_SNDTIMEO`. States:
//!
//! ```text
//!  UNTRACKED --begin_adopt--> ADOPTING --finish_adopt--> HOOKED[_STREAM]
//!      ^                          |                           |
//!      |                          +---------> FOREIGN         |
//!      +------------------------ release (close, dup over) ---+
//!  IoSource::new: any --> OWNED (fiberio's own socket) --drop--> UNTRACKED
//! ```
//!
//! - HOOKED: a socket or FIFO the hook adopted: the kernel's `O_NONBLOCK`
//!   is set, the program's own flag is `PollDesc::is_nonblocking`, and
//!   `finish_adopt` opened a generation, as `IoSource::new` does.
//! - OWNED: a fiberio socket (`IoSource` holds it); the hook passes its
//!   calls to the kernel untouched, and `poll` may wait on its tokens.
//! - FOREIGN: not watchable (a regular file, a terminal, stdio): the
//!   hook's calls go to the kernel as they are.
//!
//! Reuse of an fd number never inherits a registration: `release` (on
//! every `close`, and on the fd a `dup2` replaces) closes the generation,
//! wakes the waiters with an error and takes the fd out of its epoll, as
//! an `IoSource`'s drop does; the next adoption opens a new generation.

use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::RawFd;
use std::time::Duration;

use super::arena;
use super::poll_desc::{Dir, PollDesc};
use super::source::IoSource;
use crate::loom::sync::atomic::Ordering::*;

const UNTRACKED: u8 = 0;
const ADOPTING: u8 = 1;
const HOOKED: u8 = 2;
const HOOKED_STREAM: u8 = 3;
const OWNED: u8 = 4;
const FOREIGN: u8 = 5;

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

/// A borrowed view of an adopted fd's [`IoSource`] (dropping it does not
/// close anything).
#[derive(Debug)]
pub(crate) struct HookedFd {
    source: ManuallyDrop<IoSource>,
    /// A stream (TCP socket, pipe): a short read or write used up the
    /// readiness.
    pub(crate) stream: bool,
}

impl HookedFd {
    /// The fd's source (its IO loop, registration, poll descriptor).
    pub(crate) fn source(&self) -> &IoSource {
        &self.source
    }

    /// The poll descriptor.
    pub(crate) fn pd(&self) -> &'static PollDesc {
        self.source.poll_desc()
    }
}

fn view(fd: RawFd, pd: &'static PollDesc, stream: bool) -> HookedFd {
    let source = IoSource::borrowed(fd, pd.generation(), pd);
    HookedFd { source: ManuallyDrop::new(source), stream }
}

/// What the hook knows of `fd` (one indexed load).
#[inline]
pub(crate) fn lookup(fd: RawFd) -> Tracked {
    let Some(pd) = arena::get(fd) else { return Tracked::Untracked };
    match pd.hook.load(Acquire) {
        UNTRACKED => Tracked::Untracked,
        ADOPTING => Tracked::Adopting,
        s @ (HOOKED | HOOKED_STREAM) => Tracked::Hooked(view(fd, pd, s == HOOKED_STREAM)),
        _ => Tracked::Pass,
    }
}

/// `fd` if the hook adopted it or fiberio owns it: what `poll` can wait on.
pub(crate) fn watchable(fd: RawFd) -> Option<HookedFd> {
    let pd = arena::get(fd)?;
    match pd.hook.load(Acquire) {
        s @ (HOOKED | HOOKED_STREAM | OWNED) => Some(view(fd, pd, s == HOOKED_STREAM)),
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

/// How an adopted fd starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adoption {
    /// A stream socket or a pipe.
    pub(crate) stream: bool,
    /// The program's own `O_NONBLOCK`.
    pub(crate) nonblocking: bool,
    /// The program's `SO_RCVTIMEO` and `SO_SNDTIMEO`.
    pub(crate) timeouts: [Option<Duration>; 2],
}

/// Ends an adoption begun by [`begin_adopt`]: `Some` makes the fd HOOKED
/// (a new generation, the program's flags), `None` FOREIGN.
pub(crate) fn finish_adopt(fd: RawFd, adoption: Option<Adoption>) {
    let Some(pd) = arena::get(fd) else { return };
    let Some(a) = adoption else {
        pd.hook.store(FOREIGN, Release);
        return;
    };
    // A registration left by an fd closed behind the hook's back (a raw
    // `close` syscall) must not hold this one's events back.
    if let Some(poller) = pd.unclaim_registration() {
        poller.delete(fd);
    }
    pd.open();
    pd.set_nonblocking(a.nonblocking);
    pd.set_timeout(Dir::Read, a.timeouts[0]);
    pd.set_timeout(Dir::Write, a.timeouts[1]);
    pd.hook.store(if a.stream { HOOKED_STREAM } else { HOOKED }, Release);
}

/// The fd is closing (or a new file takes its number): if the hook
/// adopted it, wakes its waiters with an error, ends its generation and
/// takes it out of its epoll; forgets what the hook knew either way.
/// Cheap when the hook never saw the fd: one indexed load.
pub(crate) fn release(fd: RawFd) {
    let Some(pd) = arena::get(fd) else { return };
    if pd.hook.load(Relaxed) == UNTRACKED {
        return;
    }
    match pd.hook.swap(UNTRACKED, AcqRel) {
        HOOKED | HOOKED_STREAM => {
            if let Some(poller) = pd.close() {
                poller.delete(fd);
            }
        }
        OWNED => pd.hook.store(OWNED, Release), // fiberio's: its IoSource closes it
        _ => {}
    }
}

/// `IoSource::new` on `fd`: an fd the hook adopted leaves the hook (its
/// registration with it) before fiberio's own socket type takes it.
pub(super) fn before_owned(fd: RawFd, pd: &PollDesc) {
    if matches!(pd.hook.swap(UNTRACKED, AcqRel), HOOKED | HOOKED_STREAM)
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
