//! One hooked call on an fd: straight to the kernel, or — on a fiber, on
//! a socket or pipe the program left blocking — non-blocking, parking the
//! fiber on `EAGAIN` until the fd is ready.
//!
//! Off a fiber a call costs one thread-local read more than libc's: the
//! hook changes no fd's flags, so the kernel's call is exactly libc's.
//! On a fiber the call is made non-blocking by itself — `MSG_DONTWAIT` on
//! a socket, `RWF_NOWAIT` (`preadv2`/`pwritev2`) on a pipe — and only its
//! `EAGAIN` costs more: if the program's own `O_NONBLOCK` is set
//! (`settings`) the call fails with `EAGAIN` as libc's would; else the
//! fiber parks in the fd's IO loop (the one `fiberio::net` runs), which
//! fails with `EAGAIN` when the socket's `SO_RCVTIMEO`/`SO_SNDTIMEO`
//! passes, as the kernel does. A read or write that used up the readiness
//! (a short one on a stream) or found none leaves the readiness token
//! clear, so the next call parks without a system call that would say
//! `EAGAIN`, as in `fiberio::net`.
//!
//! Adoption (the first such call on an fd): sockets and FIFOs only, whose
//! readiness epoll reports; one thread adopts, others wait the two
//! system calls it takes.

use std::ffi::c_int;
use std::io;
use std::time::Instant;

use super::{guard, settings};
use crate::fiber::WaitOn;
use crate::reactor::hooked::{self, FdKind, HookedFd, Tracked};
use crate::reactor::{Deadline, Dir};
use crate::sys::raw::{self, FileKind};

/// The adopted fd `fd` on a fiber, adopting it the first time; `None`:
/// leave the call to the kernel.
#[inline]
pub(crate) fn route(fd: c_int) -> Option<HookedFd> {
    loop {
        match hooked::lookup(fd) {
            Tracked::Hooked(h) => return Some(h),
            Tracked::Pass => return None,
            Tracked::Adopting => std::hint::spin_loop(),
            Tracked::Untracked => match hooked::begin_adopt(fd) {
                Ok(true) => adopt(fd),
                Ok(false) => {}
                Err(_) => return None, // beyond the fds fiberio tracks
            },
        }
    }
}

/// Classifies `fd`, claimed by `begin_adopt`, and ends the adoption.
#[cold]
fn adopt(fd: c_int) {
    match raw::file_kind(fd) {
        Ok(FileKind::Socket { stream }) => hooked::finish_adopt(fd, Some(FdKind::Socket { stream })),
        Ok(FileKind::Fifo) => hooked::finish_adopt(fd, Some(FdKind::Fifo)),
        Ok(FileKind::Other) => hooked::finish_adopt(fd, None),
        // Not an open fd: nothing to remember.
        Err(_) => hooked::release(fd),
    }
}

/// The deadline of a wait of `dir` after `timeout` (a socket timeout),
/// failing with `EAGAIN` as the kernel's does.
pub(crate) fn deadline(timeout: Option<std::time::Duration>) -> Option<Deadline> {
    let timeout = timeout?; // before reading the clock: most waits have none
    Some(Deadline { at: Instant::now().checked_add(timeout)?, kind: io::ErrorKind::WouldBlock })
}

/// Runs `op` — the non-blocking form of a call on the adopted fd `h` —
/// as the blocking call the program made (see the module docs): the fd's
/// IO loop, `PollDesc::run_io`, as `fiberio::net` runs it, whose park
/// reads the fd's settings first. `short` tells whether a result used up
/// the readiness.
pub(crate) fn park_io(
    fd: c_int,
    h: &HookedFd,
    dir: Dir,
    mut op: impl FnMut() -> io::Result<usize>,
    short: impl Fn(&usize) -> bool,
) -> io::Result<usize> {
    let pd = h.pd();
    // Read at most once per call, and only when the call may park.
    let mut known: Option<settings::Settings> = None;
    // A program's non-blocking call is made even when no edge came since
    // the last `EAGAIN` (the worker may not have polled yet), as libc's.
    if !pd.token(dir).snapshot().is_ready() && known.get_or_insert_with(|| settings::of(fd, h)).nonblocking {
        return op();
    }
    let mut deadline = None;
    let park = || {
        let deadline = match deadline {
            Some(d) => d,
            None => {
                let settings = *known.get_or_insert_with(|| settings::of(fd, h));
                if settings.nonblocking {
                    return Err(raw::err(libc::EAGAIN));
                }
                *deadline.insert(self::deadline(settings.timeout(dir)))
            }
        };
        h.source().register()?;
        // The only place an unwind can start: a cancellation, a shutdown.
        guard(|| pd.wait(dir, deadline, WaitOn::Io { fd, write: dir == Dir::Write }))
    };
    pd.run_io(dir, op, short, park)
}

/// A call on `fd` of up to `want` bytes: `op(None)` is the program's call
/// as it made it, `op(Some(kind))` its non-blocking form for an adopted
/// fd of that kind. `dontwait`: the program asked for a non-blocking call
/// (`MSG_DONTWAIT`) — the kernel's answer is the answer.
#[inline]
pub(crate) fn blocking_io(
    fd: c_int,
    dir: Dir,
    dontwait: bool,
    want: usize,
    mut op: impl FnMut(Option<FdKind>) -> io::Result<usize>,
) -> isize {
    if dontwait || !super::on_fiber() {
        return raw::ret(op(None));
    }
    let Some(h) = route(fd) else { return raw::ret(op(None)) };
    // fiberio's own socket, or an fd only waited on.
    let Some(kind) = h.kind.filter(|&k| k != FdKind::Watched) else { return raw::ret(op(None)) };
    let res = park_io(fd, &h, dir, || op(Some(kind)), |&n| kind.is_stream() && n < want);
    match res {
        // `RWF_NOWAIT` on a pipe needs Linux 5.x+: else the kernel's call.
        Err(e) if kind == FdKind::Fifo && e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
            hooked::make_foreign(fd);
            raw::ret(op(None))
        }
        other => raw::ret(other),
    }
}
