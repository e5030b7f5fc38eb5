//! The interposed data calls: `read`, `write`, `readv`, `writev`, `recv`,
//! `recvfrom`, `recvmsg`, `send`, `sendto`, `sendmsg`.
//!
//! Each gives [`blocking_io`] its system call as the program made it and
//! its non-blocking form — `MSG_DONTWAIT` added on a socket (`read`
//! becomes `recvfrom`, `readv` `recvmsg`), `RWF_NOWAIT` on a pipe
//! (`preadv2`) — and `blocking_io` picks: the first off a fiber, the
//! second, parking the fiber on `EAGAIN`, on a fiber. A call the program
//! made non-blocking (`MSG_DONTWAIT`, or its own `O_NONBLOCK`) answers as
//! libc's.
//!
//! # Safety (all of them)
//!
//! The contract of each is libc's: the pointers the caller passes must be
//! valid for the lengths it passes, as `read(2)`, `recvmsg(2)`, ... state.
//! The hook passes them to the kernel unchanged and only reads the
//! lengths (`iovcnt`, `msg_iovlen`) itself, which libc's contract already
//! makes valid. A fiber that parks in one of them keeps its stack, so
//! buffers on it stay valid while it waits.

use std::ffi::{c_int, c_long, c_void};

use super::fd::blocking_io;
use crate::reactor::Dir;
use crate::reactor::hooked::FdKind;
use crate::sys::raw::{self, nr};

/// `MSG_DONTWAIT` as a system call argument.
const DONTWAIT: c_long = libc::MSG_DONTWAIT as c_long;

/// The program's `flags`, with `MSG_DONTWAIT` for the non-blocking form.
fn with_dontwait(flags: c_int, mode: Option<FdKind>) -> c_long {
    if mode.is_some() { (flags | libc::MSG_DONTWAIT) as c_long } else { flags as c_long }
}

/// Total length of an `iovec` array (for the "short transfer" check).
///
/// # Safety
///
/// `iov` must point at `n` valid `iovec`s (or `n` be 0).
unsafe fn iov_len(iov: *const libc::iovec, n: c_int) -> usize {
    if iov.is_null() || n <= 0 {
        return 0;
    }
    // SAFETY: the caller vouches for `n` iovecs at `iov`.
    unsafe { std::slice::from_raw_parts(iov, n as usize) }.iter().map(|v| v.iov_len).sum()
}

/// `read(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `buf` must be valid for writes of `count` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize {
    let iov = libc::iovec { iov_base: buf, iov_len: count };
    blocking_io(fd, Dir::Read, false, count, |mode| {
        let (fd, b, n) = (fd as c_long, buf as c_long, count as c_long);
        // SAFETY: the caller's contract; `iov` describes `buf`.
        unsafe {
            match mode {
                None | Some(FdKind::Watched) => raw::call(nr::READ, [fd, b, n, 0, 0, 0]),
                Some(FdKind::Socket { .. }) => raw::call(nr::RECVFROM, [fd, b, n, DONTWAIT, 0, 0]),
                Some(FdKind::Fifo) => raw::rw_nowait(false, fd as c_int, &iov, 1),
            }
        }
    })
}

/// `write(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `buf` must be valid for reads of `count` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: usize) -> isize {
    let iov = libc::iovec { iov_base: buf as *mut c_void, iov_len: count };
    blocking_io(fd, Dir::Write, false, count, |mode| {
        let (fd, b, n) = (fd as c_long, buf as c_long, count as c_long);
        // SAFETY: the caller's contract; `iov` describes `buf`.
        unsafe {
            match mode {
                None | Some(FdKind::Watched) => raw::call(nr::WRITE, [fd, b, n, 0, 0, 0]),
                Some(FdKind::Socket { .. }) => raw::call(nr::SENDTO, [fd, b, n, DONTWAIT, 0, 0]),
                Some(FdKind::Fifo) => raw::rw_nowait(true, fd as c_int, &iov, 1),
            }
        }
    })
}

/// `readv(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `iov` must point at `iovcnt` `iovec`s, each valid for writes of its
/// length (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn readv(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> isize {
    // SAFETY: the caller's contract.
    let want = unsafe { iov_len(iov, iovcnt) };
    blocking_io(fd, Dir::Read, false, want, |mode| {
        // SAFETY: the caller's contract.
        unsafe {
            match mode {
                None | Some(FdKind::Watched) => {
                    raw::call(nr::READV, [fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0])
                }
                Some(FdKind::Socket { .. }) => raw::msg_nowait(false, fd, iov, iovcnt),
                Some(FdKind::Fifo) => raw::rw_nowait(false, fd, iov, iovcnt),
            }
        }
    })
}

/// `writev(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `iov` must point at `iovcnt` `iovec`s, each valid for reads of its
/// length (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn writev(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> isize {
    // SAFETY: the caller's contract.
    let want = unsafe { iov_len(iov, iovcnt) };
    blocking_io(fd, Dir::Write, false, want, |mode| {
        // SAFETY: the caller's contract.
        unsafe {
            match mode {
                None | Some(FdKind::Watched) => {
                    raw::call(nr::WRITEV, [fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0])
                }
                Some(FdKind::Socket { .. }) => raw::msg_nowait(true, fd, iov, iovcnt),
                Some(FdKind::Fifo) => raw::rw_nowait(true, fd, iov, iovcnt),
            }
        }
    })
}

/// `recv(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize {
    // SAFETY: the same contract, with no address asked for.
    unsafe { recvfrom(fd, buf, len, flags, std::ptr::null_mut(), std::ptr::null_mut()) }
}

/// `recvfrom(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes; `addr`, if not null,
/// for writes of `*addrlen` bytes, with `addrlen` valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recvfrom(
    fd: c_int,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
    addr: *mut libc::sockaddr,
    addrlen: *mut libc::socklen_t,
) -> isize {
    let dontwait = flags & libc::MSG_DONTWAIT != 0;
    // A peek leaves the data queued: it never uses up the readiness.
    let want = if flags & libc::MSG_PEEK != 0 { 0 } else { len };
    blocking_io(fd, Dir::Read, dontwait, want, |mode| {
        let flags = with_dontwait(flags, mode);
        let args = [fd as c_long, buf as c_long, len as c_long, flags, addr as c_long, addrlen as c_long];
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::RECVFROM, args) }
    })
}

/// `recvmsg(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `msg` must point at a valid `msghdr` whose buffers are writable
/// (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    let dontwait = flags & libc::MSG_DONTWAIT != 0;
    blocking_io(fd, Dir::Read, dontwait, 0, |mode| {
        let flags = with_dontwait(flags, mode);
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::RECVMSG, [fd as c_long, msg as c_long, flags, 0, 0, 0]) }
    })
}

/// `send(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize {
    // SAFETY: the same contract, with no address given.
    unsafe { sendto(fd, buf, len, flags, std::ptr::null(), 0) }
}

/// `sendto(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes; `addr`, if not null,
/// for reads of `addrlen` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    len: usize,
    flags: c_int,
    addr: *const libc::sockaddr,
    addrlen: libc::socklen_t,
) -> isize {
    let dontwait = flags & libc::MSG_DONTWAIT != 0;
    blocking_io(fd, Dir::Write, dontwait, len, |mode| {
        let flags = with_dontwait(flags, mode);
        let args = [fd as c_long, buf as c_long, len as c_long, flags, addr as c_long, addrlen as c_long];
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::SENDTO, args) }
    })
}

/// `sendmsg(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `msg` must point at a valid `msghdr` whose buffers are readable
/// (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    let dontwait = flags & libc::MSG_DONTWAIT != 0;
    blocking_io(fd, Dir::Write, dontwait, 0, |mode| {
        let flags = with_dontwait(flags, mode);
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::SENDMSG, [fd as c_long, msg as c_long, flags, 0, 0, 0]) }
    })
}
