//! The eventfd a worker blocks on when it sleeps in `epoll_wait`.
//!
//! Another thread writes it to wake the worker; the worker drains it when
//! epoll reports it readable. It is registered level-triggered, so a write
//! that lands after the worker already woke causes at most one spurious
//! return from `epoll_wait`, never a lost one.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// An owned, non-blocking, close-on-exec eventfd.
#[derive(Debug)]
pub(crate) struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// Creates an eventfd with counter 0 (`EFD_CLOEXEC | EFD_NONBLOCK`).
    pub(crate) fn new() -> io::Result<Self> {
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `eventfd` returned a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self { fd })
    }

    /// Adds one to the counter, making the fd readable.
    pub(crate) fn notify(&self) -> io::Result<()> {
        let one: u64 = 1;
        loop {
            let buf = (&one as *const u64).cast();
            match syscall!(write(self.fd.as_raw_fd(), buf, 8)) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The counter is saturated: the fd is readable already.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Resets the counter to 0 (a no-op when it already is).
    pub(crate) fn drain(&self) {
        let mut val: u64 = 0;
        let buf = (&mut val as *mut u64).cast();
        // EAGAIN (already 0) and EINTR both leave nothing to do: the fd is
        // level-triggered, so a value left behind shows up again in epoll.
        let _ = syscall!(read(self.fd.as_raw_fd(), buf, 8));
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
