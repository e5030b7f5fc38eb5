//! The interposed data calls: `read`, `write`, `readv`, `writev`, `recv`,
//! `recvfrom`, `recvmsg`, `send`, `sendto`, `sendmsg`.
//!
//! Each is a unit type implementing [`BlockingCall`] — its system call as
//! the program made it and its non-blocking form: `MSG_DONTWAIT` added on
//! a socket (`read` becomes `recvfrom`, `readv` `recvmsg`), `RWF_NOWAIT`
//! on a pipe (`preadv2`) — and an entry point that hands its six
//! arguments to [`blocking_io`], which picks: the first off a fiber, the
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
use std::io;

use super::fd::{BlockingCall, blocking_io};
use crate::reactor::Dir;
use crate::reactor::hooked::FdKind;
use crate::sys::raw::{self, nr};

/// `MSG_DONTWAIT` as a system call argument.
const DONTWAIT: c_long = libc::MSG_DONTWAIT as c_long;

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

/// `read` (`WRITE` false) or `write`: `recvfrom`/`sendto` with
/// `MSG_DONTWAIT` on a socket, `preadv2`/`pwritev2` with `RWF_NOWAIT` on a
/// pipe.
struct ReadWrite<const WRITE: bool>;

impl<const WRITE: bool> BlockingCall for ReadWrite<WRITE> {
    const NR: c_long = if WRITE { nr::WRITE } else { nr::READ };
    const DIR: Dir = if WRITE { Dir::Write } else { Dir::Read };
    unsafe fn want(a: &[c_long; 6]) -> usize {
        a[2] as usize
    }
    unsafe fn nowait(kind: FdKind, a: &[c_long; 6]) -> io::Result<usize> {
        let sock_nr = if WRITE { nr::SENDTO } else { nr::RECVFROM };
        // SAFETY: the caller's contract: `a` is the program's `read`/`write`,
        // the same transfer (`iov` describes its buffer).
        unsafe {
            match kind {
                FdKind::Socket { .. } => raw::call(sock_nr, [a[0], a[1], a[2], DONTWAIT, 0, 0]),
                _ => {
                    let iov = libc::iovec { iov_base: a[1] as *mut c_void, iov_len: a[2] as usize };
                    raw::rw_nowait(WRITE, a[0] as c_int, &iov, 1)
                }
            }
        }
    }
}

/// `readv` (`WRITE` false) or `writev`: `recvmsg`/`sendmsg` with
/// `MSG_DONTWAIT` on a socket, `preadv2`/`pwritev2` with `RWF_NOWAIT` on a
/// pipe.
struct Vectored<const WRITE: bool>;

impl<const WRITE: bool> BlockingCall for Vectored<WRITE> {
    const NR: c_long = if WRITE { nr::WRITEV } else { nr::READV };
    const DIR: Dir = if WRITE { Dir::Write } else { Dir::Read };
    unsafe fn want(a: &[c_long; 6]) -> usize {
        // SAFETY: the caller's contract: `iovcnt` iovecs at `iov`.
        unsafe { iov_len(a[1] as *const libc::iovec, a[2] as c_int) }
    }
    unsafe fn nowait(kind: FdKind, a: &[c_long; 6]) -> io::Result<usize> {
        let (fd, iov, cnt) = (a[0] as c_int, a[1] as *const libc::iovec, a[2] as c_int);
        // SAFETY: the caller's contract: the same transfer.
        unsafe {
            match kind {
                FdKind::Socket { .. } => raw::msg_nowait(WRITE, fd, iov, cnt),
                _ => raw::rw_nowait(WRITE, fd, iov, cnt),
            }
        }
    }
}

/// A socket call whose flags are argument `FLAGS`: `recvfrom` (`NR`, and
/// `FLAGS` 3), `recvmsg` (2), `sendto` (3), `sendmsg` (2); with
/// `MSG_DONTWAIT` added on a fiber.
struct SocketCall<const NR: c_long, const FLAGS: usize>;

impl<const NR: c_long, const FLAGS: usize> BlockingCall for SocketCall<NR, FLAGS> {
    const NR: c_long = NR;
    const DIR: Dir = if NR == nr::RECVFROM || NR == nr::RECVMSG { Dir::Read } else { Dir::Write };
    fn dontwait(a: &[c_long; 6]) -> bool {
        a[FLAGS] & DONTWAIT != 0
    }
    unsafe fn want(a: &[c_long; 6]) -> usize {
        // A message call's length is in its header: no short-transfer
        // check; a peek leaves the data queued: it never uses up the
        // readiness.
        if FLAGS != 3 || a[3] & libc::MSG_PEEK as c_long != 0 { 0 } else { a[2] as usize }
    }
    unsafe fn nowait(_: FdKind, a: &[c_long; 6]) -> io::Result<usize> {
        let mut a = *a;
        a[FLAGS] |= DONTWAIT;
        // SAFETY: the caller's contract, with `MSG_DONTWAIT` added.
        unsafe { raw::call(NR, a) }
    }
}

/// `read(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `buf` must be valid for writes of `count` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize {
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<ReadWrite<false>>([fd as c_long, buf as c_long, count as c_long, 0, 0, 0]) }
}

/// `write(2)`, parking only the fiber on a blocking socket or pipe.
///
/// # Safety
///
/// `buf` must be valid for reads of `count` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: usize) -> isize {
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<ReadWrite<true>>([fd as c_long, buf as c_long, count as c_long, 0, 0, 0]) }
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
    unsafe { blocking_io::<Vectored<false>>([fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0]) }
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
    unsafe { blocking_io::<Vectored<true>>([fd as c_long, iov as c_long, iovcnt as c_long, 0, 0, 0]) }
}

/// `recv(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize {
    let args = [fd as c_long, buf as c_long, len as c_long, flags as c_long, 0, 0];
    // SAFETY: the caller's contract: `recvfrom` with no address asked for.
    unsafe { blocking_io::<SocketCall<{ nr::RECVFROM }, 3>>(args) }
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
    let args =
        [fd as c_long, buf as c_long, len as c_long, flags as c_long, addr as c_long, addrlen as c_long];
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<SocketCall<{ nr::RECVFROM }, 3>>(args) }
}

/// `recvmsg(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `msg` must point at a valid `msghdr` whose buffers are writable
/// (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    let args = [fd as c_long, msg as c_long, flags as c_long, 0, 0, 0];
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<SocketCall<{ nr::RECVMSG }, 2>>(args) }
}

/// `send(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize {
    let args = [fd as c_long, buf as c_long, len as c_long, flags as c_long, 0, 0];
    // SAFETY: the caller's contract: `sendto` with no address given.
    unsafe { blocking_io::<SocketCall<{ nr::SENDTO }, 3>>(args) }
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
    let args =
        [fd as c_long, buf as c_long, len as c_long, flags as c_long, addr as c_long, addrlen as c_long];
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<SocketCall<{ nr::SENDTO }, 3>>(args) }
}

/// `sendmsg(2)`, parking only the fiber on a blocking socket.
///
/// # Safety
///
/// `msg` must point at a valid `msghdr` whose buffers are readable
/// (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    let args = [fd as c_long, msg as c_long, flags as c_long, 0, 0, 0];
    // SAFETY: the caller's contract.
    unsafe { blocking_io::<SocketCall<{ nr::SENDMSG }, 2>>(args) }
}
