//! An epoll instance: the readiness source of one worker.
//!
//! Each worker owns one `Epoll`. Registrations carry a 64-bit token chosen
//! by the caller (the worker's eventfd uses [`Epoll::WAKE_TOKEN`]; the
//! reactor will use (fd, generation) pairs). `wait` retries on `EINTR`, so
//! callers never see it.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// One readiness event as returned by [`Epoll::wait`].
pub(crate) type Event = libc::epoll_event;

/// An owned epoll file descriptor.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// The token of the worker's own wake-up eventfd.
    pub(crate) const WAKE_TOKEN: u64 = u64::MAX;

    /// Creates a new epoll instance (`EPOLL_CLOEXEC`).
    pub(crate) fn new() -> io::Result<Self> {
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `epoll_create1` returned a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self { fd })
    }

    /// Adds `fd` with the given interest `events` and `token`.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        syscall!(epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev))?;
        Ok(())
    }

    /// Removes `fd` from the interest list.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        syscall!(epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, &mut ev))?;
        Ok(())
    }

    /// Waits for events, filling `events` and returning how many arrived.
    ///
    /// `timeout` of `None` blocks indefinitely; `Some(ZERO)` polls without
    /// blocking; other values are rounded *up* to whole milliseconds so a
    /// timer never fires early.
    pub(crate) fn wait(&self, events: &mut [Event], timeout: Option<Duration>) -> io::Result<usize> {
        let ms: libc::c_int = match timeout {
            None => -1,
            Some(d) => {
                let ms = d.as_nanos().div_ceil(1_000_000);
                ms.min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        let max = events.len().min(libc::c_int::MAX as usize) as libc::c_int;
        loop {
            match syscall!(epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max, ms)) {
                Ok(n) => return Ok(n as usize),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// An empty event, to initialise event buffers.
pub(crate) const EMPTY_EVENT: Event = libc::epoll_event { events: 0, u64: 0 };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::eventfd::EventFd;
    use std::os::fd::AsFd;

    #[test]
    fn eventfd_wakes_epoll() {
        let ep = Epoll::new().unwrap();
        let efd = EventFd::new().unwrap();
        ep.add(efd.as_fd(), libc::EPOLLIN as u32, Epoll::WAKE_TOKEN).unwrap();
        let mut evs = [EMPTY_EVENT; 4];
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 0);
        efd.notify().unwrap();
        assert_eq!(ep.wait(&mut evs, Some(Duration::from_secs(5))).unwrap(), 1);
        let token = evs[0].u64;
        assert_eq!(token, Epoll::WAKE_TOKEN);
        efd.drain();
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 0);
    }
}
