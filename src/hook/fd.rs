//! Routing one hooked call on an fd: to the kernel as is, or through the
//! fd's IO loop; and the adoption of an fd by the hook.
//!
//! The order of checks keeps plain threads cheap: one thread-local read
//! ("on a fiber?"), then, off a fiber, one indexed load of the fd's state
//! — the IO loop runs only for fds the hook adopted (on a plain thread it
//! blocks in `poll(2)`, so the program still sees a blocking fd).
//!
//! Adoption (on a fiber, the first blocking call on an fd): sockets and
//! FIFOs only (epoll watches them, and `O_NONBLOCK` means what the hook
//! needs), never fds 0–2 (their open file description is shared with the
//! parent process, which would see them turn non-blocking). The hook sets
//! `O_NONBLOCK` in the kernel and records the program's own flag and
//! socket timeouts; one thread adopts, others wait the few system calls
//! it takes.

use std::ffi::c_int;
use std::io;
use std::time::Instant;

use super::guard;
use crate::fiber;
use crate::reactor::hooked::{self, Adoption, HookedFd, Tracked};
use crate::reactor::{Deadline, Dir};
use crate::sys::raw::{self, FileKind};

/// Where a call on an fd goes.
#[derive(Debug)]
pub(crate) enum Route {
    /// Straight to the kernel.
    Raw,
    /// Through the fd's IO loop (parks a fiber; `poll(2)` on a thread).
    Hooked(HookedFd),
}

/// Where a possibly-blocking call on `fd` goes (see the module docs).
#[inline]
pub(crate) fn route(fd: c_int) -> Route {
    if !fiber::in_fiber() {
        return match hooked::lookup(fd) {
            Tracked::Hooked(h) => Route::Hooked(h),
            _ => Route::Raw,
        };
    }
    loop {
        match hooked::lookup(fd) {
            Tracked::Hooked(h) => return Route::Hooked(h),
            Tracked::Pass => return Route::Raw,
            Tracked::Adopting => std::hint::spin_loop(),
            Tracked::Untracked => match hooked::begin_adopt(fd) {
                Ok(true) => adopt(fd),
                Ok(false) => {}
                Err(_) => return Route::Raw, // beyond the fds fiberio tracks
            },
        }
    }
}

/// Classifies `fd`, claimed by `begin_adopt`, and ends the adoption.
#[cold]
fn adopt(fd: c_int) {
    match classify(fd) {
        Ok(adoption) => hooked::finish_adopt(fd, adoption),
        // Not an open fd: nothing to remember.
        Err(_) => hooked::release(fd),
    }
}

/// What the hook makes of `fd`: `None` leaves it to the kernel.
fn classify(fd: c_int) -> io::Result<Option<Adoption>> {
    let flags = raw::fcntl(fd, libc::F_GETFL, 0)?;
    if fd <= 2 {
        return Ok(None);
    }
    let (stream, socket) = match raw::file_kind(fd)? {
        FileKind::Socket { stream } => (stream, true),
        FileKind::Fifo => (true, false),
        FileKind::Other => return Ok(None),
    };
    let timeouts = if socket {
        [raw::socket_timeout(fd, true)?, raw::socket_timeout(fd, false)?]
    } else {
        [None, None]
    };
    let nonblocking = flags as c_int & libc::O_NONBLOCK != 0;
    if !nonblocking {
        raw::fcntl(fd, libc::F_SETFL, (flags as c_int | libc::O_NONBLOCK) as _)?;
    }
    Ok(Some(Adoption { stream, nonblocking, timeouts }))
}

/// Adopts `fd` (a fresh duplicate of an adopted fd) as its original is:
/// the duplicate shares the kernel's `O_NONBLOCK`, so it must be driven
/// by the hook too, with the program's flag and timeouts of the original.
pub(crate) fn adopt_dup(orig: &HookedFd, new: c_int) {
    hooked::release(new);
    if let Ok(true) = hooked::begin_adopt(new) {
        let pd = orig.pd();
        let adoption = Adoption {
            stream: orig.stream,
            nonblocking: pd.is_nonblocking(),
            timeouts: [pd.timeout(Dir::Read), pd.timeout(Dir::Write)],
        };
        hooked::finish_adopt(new, Some(adoption));
    }
}

/// The deadline of a wait of `dir` on `h`: its socket timeout, if set,
/// failing with `EAGAIN` as the kernel's does.
pub(crate) fn deadline(h: &HookedFd, dir: Dir) -> Option<Deadline> {
    let timeout = h.pd().timeout(dir)?;
    Some(Deadline { at: Instant::now().checked_add(timeout)?, kind: io::ErrorKind::WouldBlock })
}

/// Runs `op`, a non-blocking system call on `fd` of up to `want` bytes,
/// as a blocking call: straight to the kernel, or through the fd's IO
/// loop (see [`route`]). `dontwait`: the caller asked for a non-blocking
/// call (`MSG_DONTWAIT`), which goes straight to the kernel.
#[inline]
pub(crate) fn blocking_io(
    fd: c_int,
    dir: Dir,
    dontwait: bool,
    want: usize,
    mut op: impl FnMut() -> io::Result<usize>,
) -> isize {
    if dontwait {
        return raw::ret(op());
    }
    match route(fd) {
        Route::Raw => raw::ret(op()),
        Route::Hooked(h) => {
            let stream = h.stream;
            let deadline = deadline(&h, dir);
            raw::ret(guard(|| h.source().run(dir, deadline, op, |&n| stream && n < want)))
        }
    }
}
