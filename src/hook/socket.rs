//! The interposed fd-life and socket calls: `socket`, `accept`, `accept4`,
//! `connect`, `close`, `dup`, `dup2`, `dup3`.
//!
//! - A new fd number (`socket`, `accept4`, `dup*`) forgets whatever the
//!   hook knew of the number's last fd ([`hooked::release`]), so no stale
//!   registration or event reaches it, even if that fd was closed behind
//!   the hook's back.
//! - `close` releases first — a fiber waiting on the fd wakes with `EBADF`,
//!   the fd leaves its epoll — then closes.
//! - `accept` on a listener the program left blocking: the fiber parks
//!   until the listener is readable (a zero-timeout `poll`), then accepts.
//!   Two fibers on different workers accepting on one listener can both
//!   see it readable for a single connection: one of them then blocks its
//!   worker in `accept` until the next connection arrives (give each
//!   worker its own listener, `SO_REUSEPORT`, or use `fiberio::net`).
//! - `connect` on a socket the program left blocking: started with
//!   `O_NONBLOCK` set for the duration of the one call, then the fiber
//!   parks until the socket is writable and reads `SO_ERROR`.
//!
//! # Safety (all of them)
//!
//! libc's contract: pointers valid for the lengths given.

use std::ffi::{c_int, c_long, c_ulong};
use std::io;

use super::fd::{deadline, park_io, route};
use super::{guard, settings};
use crate::reactor::Dir;
use crate::reactor::hooked::{FdKind, HookedFd};
use crate::sys::raw::{self, nr};

/// A new fd `res` (or an error) from a call that creates one: forgets the
/// number's past.
fn new_fd(res: io::Result<usize>) -> c_int {
    if let Ok(new) = res {
        super::release(new as c_int);
    }
    raw::ret(res) as c_int
}

/// The adopted socket `fd`, on a fiber; `None`: the kernel's call.
fn fiber_socket(fd: c_int) -> Option<HookedFd> {
    if !super::on_fiber() {
        return None;
    }
    route(fd).filter(|h| matches!(h.kind, Some(FdKind::Socket { .. })))
}

/// `socket(2)`.
///
/// # Safety
///
/// None beyond libc's (no pointers).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    // SAFETY: integer arguments only.
    let res = unsafe { raw::call(nr::SOCKET, [domain as c_long, ty as c_long, protocol as c_long, 0, 0, 0]) };
    new_fd(res)
}

/// `accept(2)`, parking only the fiber on a blocking listener.
///
/// # Safety
///
/// `addr`, if not null, must be valid for writes of `*addrlen` bytes,
/// with `addrlen` valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn accept(
    fd: c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> c_int {
    // SAFETY: the same contract.
    unsafe { accept4(fd, addr, len, 0) }
}

/// `accept4(2)`, parking only the fiber on a blocking listener.
///
/// # Safety
///
/// `addr`, if not null, must be valid for writes of `*addrlen` bytes,
/// with `addrlen` valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn accept4(
    fd: c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
    flags: c_int,
) -> c_int {
    let op = || {
        // SAFETY: the caller's contract.
        unsafe {
            raw::call(nr::ACCEPT4, [fd as c_long, addr as c_long, len as c_long, flags as c_long, 0, 0])
        }
    };
    let res = match fiber_socket(fd) {
        None => op(),
        Some(h) => {
            let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
            let when_ready = || {
                // SAFETY: one valid pollfd.
                match unsafe { raw::poll_now(&mut pfd, 1) }? {
                    0 => Err(io::ErrorKind::WouldBlock.into()),
                    _ => op(),
                }
            };
            park_io(fd, &h, Dir::Read, when_ready, |_| false)
        }
    };
    new_fd(res)
}

/// `connect(2)`, parking only the fiber on a blocking socket until the
/// connection is made (or fails, or `SO_SNDTIMEO` passes: `EINPROGRESS`,
/// as the kernel says).
///
/// # Safety
///
/// `addr` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn connect(
    fd: c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    // SAFETY: the caller's contract.
    let start = || unsafe { raw::call(nr::CONNECT, [fd as c_long, addr as c_long, len as c_long, 0, 0, 0]) };
    let Some(h) = fiber_socket(fd) else { return raw::ret(start()) as c_int };
    let flags = match raw::fcntl(fd, libc::F_GETFL, 0) {
        Ok(flags) if flags as c_int & libc::O_NONBLOCK == 0 => flags as c_ulong,
        _ => return raw::ret(start()) as c_int, // the program's own non-blocking connect
    };
    let nonblock = libc::O_NONBLOCK as c_ulong;
    let res = raw::fcntl(fd, libc::F_SETFL, flags | nonblock).and_then(|_| {
        let res = start();
        raw::fcntl(fd, libc::F_SETFL, flags)?;
        res
    });
    let res = match res {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
            let deadline = deadline(settings::fresh(fd, &h).timeout(Dir::Write));
            let done = || raw::connect_result(fd).map(|()| 0);
            guard(|| h.source().run(Dir::Write, deadline, done, |_| false)).map_err(|e| {
                if e.raw_os_error().is_none() && e.kind() == io::ErrorKind::WouldBlock {
                    raw::err(libc::EINPROGRESS) // the send timeout passed
                } else {
                    e
                }
            })
        }
        other => other,
    };
    raw::ret(res) as c_int
}

/// `close(2)`: wakes a fiber waiting on the fd with `EBADF` and takes the
/// fd out of its epoll, then closes it.
///
/// # Safety
///
/// None beyond libc's (closing an fd another part of the program owns is
/// the caller's bug, as with libc).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn close(fd: c_int) -> c_int {
    super::release(fd);
    // SAFETY: integer argument only.
    unsafe { raw::libc_call(nr::CLOSE, [fd as c_long, 0, 0, 0, 0, 0]) as c_int }
}

/// `dup(2)`.
///
/// # Safety
///
/// None beyond libc's.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup(fd: c_int) -> c_int {
    // SAFETY: integer argument only.
    new_fd(unsafe { raw::call(nr::DUP, [fd as c_long, 0, 0, 0, 0, 0]) })
}

/// `dup2(2)` (made as `dup3`; `dup2(fd, fd)` checks `fd` as libc does).
///
/// # Safety
///
/// None beyond libc's.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    if old == new {
        return raw::ret(raw::fcntl(old, libc::F_GETFD, 0).map(|_| old as usize)) as c_int;
    }
    // SAFETY: the same contract.
    unsafe { dup3(old, new, 0) }
}

/// `dup3(2)`: the fd `new` replaces is released first, as `close` would.
///
/// # Safety
///
/// None beyond libc's.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    if old != new {
        super::release(new);
    }
    // SAFETY: integer arguments only.
    let res = unsafe { raw::call(nr::DUP3, [old as c_long, new as c_long, flags as c_long, 0, 0, 0]) };
    new_fd(res)
}
