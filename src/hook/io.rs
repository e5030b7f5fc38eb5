//! The interposed data calls: `read`, `write`, `readv`, `writev`, `recv`,
//! `recvfrom`, `recvmsg`, `send`, `sendto`, `sendmsg`.
//!
//! Each makes its system call raw (`sys::raw`) and lets
//! [`blocking_io`] decide whether it goes straight to the kernel or
//! through the fd's IO loop, which parks a fiber on `EAGAIN`. A call the
//! program made non-blocking (`MSG_DONTWAIT`, or its own `O_NONBLOCK`) is
//! made once, as libc makes it.
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
use crate::sys::raw::{self, nr};

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
    blocking_io(fd, Dir::Read, false, count, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::READ, [fd as c_long, buf as c_long, count as c_long, 0, 0, 0]) }
    })
}

/// `write(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `buf` must be valid for reads of `count` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: usize) -> isize {
    blocking_io(fd, Dir::Write, false, count, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::WRITE, [fd as c_long, buf as c_long, count as c_long, 0, 0, 0]) }
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
    blocking_io(fd, Dir::Read, false, want, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::READV, [fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0]) }
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
    blocking_io(fd, Dir::Write, false, want, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::WRITEV, [fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0]) }
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
    let args = [fd as c_long, buf as c_long, len as c_long, flags as c_long, addr as c_long, addrlen as c_long];
    blocking_io(fd, Dir::Read, dontwait, want, || {
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
    blocking_io(fd, Dir::Read, dontwait, 0, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::RECVMSG, [fd as c_long, msg as c_long, flags as c_long, 0, 0, 0]) }
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
    let args = [fd as c_long, buf as c_long, len as c_long, flags as c_long, addr as c_long, addrlen as c_long];
    blocking_io(fd, Dir::Write, dontwait, len, || {
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
    blocking_io(fd, Dir::Write, dontwait, 0, || {
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::SENDMSG, [fd as c_long, msg as c_long, flags as c_long, 0, 0, 0]) }
    })
}
