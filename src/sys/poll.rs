//! `poll(2)` on one fd: how a plain OS thread (no worker, no epoll) blocks
//! in a fiberio socket operation, honouring its timeout like std does; and
//! the exact readiness check behind `readable()`/`writable()`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Instant;

/// Blocks until `fd` is readable (`read`) or writable (else), or `deadline`
/// passes. `Ok(false)`: the deadline passed first.
pub(crate) fn wait_fd(fd: BorrowedFd<'_>, read: bool, deadline: Option<Instant>) -> io::Result<bool> {
    let events = if read { libc::POLLIN | libc::POLLRDHUP } else { libc::POLLOUT };
    loop {
        let timeout: libc::c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(false);
                }
                left.as_nanos().div_ceil(1_000_000).min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
        match syscall!(poll(&mut pfd, 1, timeout)) {
            Ok(0) => continue, // re-check the deadline (rounding)
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Whether `fd` is readable (`read`) or writable (else) right now, hang-ups
/// and pending errors included (`poll(2)` with timeout 0).
pub(crate) fn is_ready(fd: BorrowedFd<'_>, read: bool) -> io::Result<bool> {
    let events = if read { libc::POLLIN | libc::POLLRDHUP } else { libc::POLLOUT };
    loop {
        let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
        match syscall!(poll(&mut pfd, 1, 0)) {
            Ok(n) => return Ok(n > 0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
