//! File-status flags of an fd.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Sets or clears `O_NONBLOCK` on the open file description behind `fd`
/// (shared by its duplicates).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    let flags = syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL))?;
    let new = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    if new != flags {
        syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFL, new))?;
    }
    Ok(())
}
