//! The interposed fd-life and socket calls: `socket`, `accept`, `accept4`,
//! `connect`, `close`, `dup`, `dup2`, `dup3`, `fcntl`, `ioctl`,
//! `setsockopt`.
//!
//! - A new fd number (`socket`, `accept4`, `dup*`) forgets whatever the
//!   hook knew of the number's last fd ([`hooked::release`]), so no stale
//!   registration or event reaches it, even if that fd was closed behind
//!   the hook's back.
//! - `close` releases first — a fiber waiting on the fd wakes with `EBADF`,
//!   the fd leaves its epoll — then closes.
//! - The program sees its own `O_NONBLOCK` (`fcntl(F_GETFL/F_SETFL)`,
//!   `ioctl(FIONBIO)`) and its socket timeouts (`setsockopt`) on fds the
//!   hook adopted, while the kernel's flag stays set. A duplicate of an
//!   adopted fd shares the kernel's flag, so it is adopted too.
//!
//! # Safety (all of them)
//!
//! libc's contract: pointers valid for the lengths given. `fcntl` and
//! `ioctl` are variadic in C; on x86_64 and aarch64 Linux a variadic
//! integer or pointer argument travels in the same register as a fixed
//! one, so they read it as one `c_ulong` / pointer (the hook refuses to
//! build elsewhere) and pass it on unchanged for the commands they do not
//! handle.

use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::io;

use super::fd::{Route, adopt_dup, deadline, route};
use super::guard;
use crate::reactor::Dir;
use crate::reactor::hooked::{self, Tracked};
use crate::sys::raw::{self, nr};

/// A new fd `res` (or an error) from a call that creates one: forgets the
/// number's past, and adopts it like `orig` if that is a hooked fd.
fn new_fd(res: io::Result<usize>, orig: Option<c_int>) -> c_int {
    if let Ok(new) = res {
        hooked::release(new as c_int);
        if let Some(Tracked::Hooked(h)) = orig.map(hooked::lookup) {
            adopt_dup(&h, new as c_int);
        }
    }
    raw::ret(res) as c_int
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
    new_fd(res, None)
}

/// `accept(2)`, parking only the fiber on a blocking listener.
///
/// # Safety
///
/// `addr`, if not null, must be valid for writes of `*addrlen` bytes,
/// with `addrlen` valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn accept(fd: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> c_int {
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
        unsafe { raw::call(nr::ACCEPT4, [fd as c_long, addr as c_long, len as c_long, flags as c_long, 0, 0]) }
    };
    let res = match route(fd) {
        Route::Raw => op(),
        Route::Hooked(h) => {
            let deadline = deadline(&h, Dir::Read);
            guard(|| h.source().run(Dir::Read, deadline, op, |_| false))
        }
    };
    new_fd(res, None)
}

/// `connect(2)`, parking only the fiber on a blocking socket until the
/// connection is made (or fails, or `SO_SNDTIMEO` passes: `EINPROGRESS`,
/// as the kernel says).
///
/// # Safety
///
/// `addr` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn connect(fd: c_int, addr: *const libc::sockaddr, len: libc::socklen_t) -> c_int {
    // SAFETY: the caller's contract.
    let start = || unsafe { raw::call(nr::CONNECT, [fd as c_long, addr as c_long, len as c_long, 0, 0, 0]) };
    let h = match route(fd) {
        Route::Hooked(h) if !h.pd().is_nonblocking() => h,
        _ => return raw::ret(start()) as c_int,
    };
    let res = match start() {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
            let deadline = deadline(&h, Dir::Write);
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
    hooked::release(fd);
    // SAFETY: integer argument only.
    raw::ret(unsafe { raw::call(nr::CLOSE, [fd as c_long, 0, 0, 0, 0, 0]) }) as c_int
}

/// `dup(2)`.
///
/// # Safety
///
/// None beyond libc's.
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup(fd: c_int) -> c_int {
    // SAFETY: integer argument only.
    new_fd(unsafe { raw::call(nr::DUP, [fd as c_long, 0, 0, 0, 0, 0]) }, Some(fd))
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
        hooked::release(new);
    }
    // SAFETY: integer arguments only.
    let res = unsafe { raw::call(nr::DUP3, [old as c_long, new as c_long, flags as c_long, 0, 0, 0]) };
    new_fd(res, Some(old))
}

/// `fcntl(2)`: `F_GETFL`/`F_SETFL` report and record the program's own
/// `O_NONBLOCK` on an adopted fd; `F_DUPFD*` adopt the duplicate; other
/// commands pass through.
///
/// # Safety
///
/// `arg` must be what `cmd` expects (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    match cmd {
        libc::F_GETFL | libc::F_SETFL => {}
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => return new_fd(raw::fcntl(fd, cmd, arg), Some(fd)),
        // SAFETY: the caller's contract, passed on unchanged.
        _ => return raw::ret(unsafe { raw::call(nr::FCNTL, [fd as c_long, cmd as c_long, arg as c_long, 0, 0, 0]) }) as c_int,
    }
    let Tracked::Hooked(h) = hooked::lookup(fd) else {
        return raw::ret(raw::fcntl(fd, cmd, arg)) as c_int;
    };
    let nonblock = libc::O_NONBLOCK as c_ulong;
    let res = if cmd == libc::F_GETFL {
        raw::fcntl(fd, cmd, 0).map(|flags| {
            if h.pd().is_nonblocking() { flags } else { flags & !(nonblock as usize) }
        })
    } else {
        raw::fcntl(fd, cmd, arg | nonblock).inspect(|_| h.pd().set_nonblocking(arg & nonblock != 0))
    };
    raw::ret(res) as c_int
}

/// `ioctl(2)`: `FIONBIO` (std's `set_nonblocking`) on an adopted fd
/// records the program's flag and leaves the kernel's set; other requests
/// pass through.
///
/// # Safety
///
/// `arg` must be what `request` expects (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn ioctl(fd: c_int, request: c_ulong, arg: *mut c_void) -> c_int {
    if request == libc::FIONBIO as c_ulong
        && !arg.is_null()
        && let Tracked::Hooked(h) = hooked::lookup(fd)
    {
        // SAFETY: FIONBIO's argument is a pointer to an `int`.
        let on = unsafe { *(arg as *const c_int) } != 0;
        h.pd().set_nonblocking(on);
        return 0;
    }
    // SAFETY: the caller's contract, passed on unchanged.
    raw::ret(unsafe { raw::call(nr::IOCTL, [fd as c_long, request as c_long, arg as c_long, 0, 0, 0]) }) as c_int
}

/// `setsockopt(2)`: `SO_RCVTIMEO`/`SO_SNDTIMEO` on an adopted fd are
/// recorded too, and honoured by its waits.
///
/// # Safety
///
/// `val` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: libc::socklen_t,
) -> c_int {
    let args = [fd as c_long, level as c_long, name as c_long, val as c_long, len as c_long, 0];
    // SAFETY: the caller's contract.
    let res = unsafe { raw::call(nr::SETSOCKOPT, args) };
    let timeout = level == libc::SOL_SOCKET && (name == libc::SO_RCVTIMEO || name == libc::SO_SNDTIMEO);
    if res.is_ok()
        && timeout
        && len as usize >= std::mem::size_of::<libc::timeval>()
        && let Tracked::Hooked(h) = hooked::lookup(fd)
    {
        // SAFETY: the kernel accepted `val` as a `timeval` of `len` bytes.
        let tv = unsafe { std::ptr::read_unaligned(val as *const libc::timeval) };
        let dir = if name == libc::SO_RCVTIMEO { Dir::Read } else { Dir::Write };
        h.pd().set_timeout(dir, raw::timeval_duration(&tv));
    }
    raw::ret(res) as c_int
}
