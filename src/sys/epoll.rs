//! An epoll instance, and the event bits in and out of it (mio's
//! `selector/epoll.rs` shape): callers say what they want with an
//! [`Interest`] and a [`Trigger`], and read what happened through
//! [`Event`]'s accessors. No `EPOLL*` constant leaves this file.
//!
//! Each worker's poller (`reactor::Poller`) owns one `Epoll`.
//! Registrations carry a 64-bit token chosen by the caller. `wait`
//! retries on `EINTR`, so callers never see it.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Which readiness a registration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Interest(u32);

impl Interest {
    /// Readable, and the peer's hang-up of its writing side (`EPOLLRDHUP`).
    pub(crate) const READABLE: Interest = Interest((libc::EPOLLIN | libc::EPOLLRDHUP) as u32);
    /// Writable.
    pub(crate) const WRITABLE: Interest = Interest(libc::EPOLLOUT as u32);

    /// Both interests.
    pub(crate) const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}

/// How readiness is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// Once per change (`EPOLLET`): sockets, registered once for good.
    Edge,
    /// For as long as the fd is ready: the wake-up eventfd.
    Level,
}

/// One readiness event as returned by [`Epoll::wait`].
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Event(libc::epoll_event);

impl Event {
    /// An empty event, to initialise event buffers.
    pub(crate) const EMPTY: Event = Event(libc::epoll_event { events: 0, u64: 0 });

    /// The token the fd was registered with.
    pub(crate) fn token(&self) -> u64 {
        self.0.u64
    }

    /// Data (or a pending connection) can be read.
    pub(crate) fn is_readable(&self) -> bool {
        self.bits() & libc::EPOLLIN as u32 != 0
    }

    /// Data can be written.
    pub(crate) fn is_writable(&self) -> bool {
        self.bits() & libc::EPOLLOUT as u32 != 0
    }

    /// The peer will send no more (`EPOLLRDHUP`), or both sides are shut
    /// (`EPOLLHUP`): reads return end-of-file from now on.
    pub(crate) fn is_read_closed(&self) -> bool {
        self.bits() & (libc::EPOLLRDHUP | libc::EPOLLHUP) as u32 != 0
    }

    /// Both sides are shut (`EPOLLHUP`): writes fail from now on.
    pub(crate) fn is_write_closed(&self) -> bool {
        self.bits() & libc::EPOLLHUP as u32 != 0
    }

    /// The socket has an error pending (`EPOLLERR`): the next call reports it.
    pub(crate) fn is_error(&self) -> bool {
        self.bits() & libc::EPOLLERR as u32 != 0
    }

    fn bits(&self) -> u32 {
        self.0.events
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (token, events) = (self.0.u64, self.0.events);
        f.debug_struct("Event").field("token", &token).field("events", &format_args!("{events:#x}")).finish()
    }
}

/// An owned epoll file descriptor.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// Creates a new epoll instance (`EPOLL_CLOEXEC`).
    pub(crate) fn new() -> io::Result<Self> {
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `epoll_create1` returned a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self { fd })
    }

    /// Adds `fd` with `interest`, reported as `trigger` says, under `token`.
    pub(crate) fn add(
        &self,
        fd: BorrowedFd<'_>,
        interest: Interest,
        trigger: Trigger,
        token: u64,
    ) -> io::Result<()> {
        let mode = match trigger {
            Trigger::Edge => libc::EPOLLET as u32,
            Trigger::Level => 0,
        };
        let mut ev = libc::epoll_event { events: interest.0 | mode, u64: token };
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
    #[inline]
    pub(crate) fn wait(&self, events: &mut [Event], timeout: Option<Duration>) -> io::Result<usize> {
        let ms: libc::c_int = match timeout {
            None => -1,
            Some(d) => {
                let ms = d.as_nanos().div_ceil(1_000_000);
                ms.min(libc::c_int::MAX as u128) as libc::c_int
            }
        };
        let max = events.len().min(libc::c_int::MAX as usize) as libc::c_int;
        // `Event` is a transparent `epoll_event`.
        let buf = events.as_mut_ptr().cast::<libc::epoll_event>();
        loop {
            match syscall!(epoll_wait(self.fd.as_raw_fd(), buf, max, ms)) {
                Ok(n) => return Ok(n as usize),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::eventfd::EventFd;
    use std::os::fd::AsFd;

    const WAKE: u64 = u64::MAX;

    #[test]
    fn eventfd_wakes_epoll() {
        let ep = Epoll::new().unwrap();
        let efd = EventFd::new().unwrap();
        ep.add(efd.as_fd(), Interest::READABLE, Trigger::Level, WAKE).unwrap();
        let mut evs = [Event::EMPTY; 4];
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 0);
        efd.notify().unwrap();
        assert_eq!(ep.wait(&mut evs, Some(Duration::from_secs(5))).unwrap(), 1);
        assert_eq!(evs[0].token(), WAKE);
        assert!(evs[0].is_readable() && !evs[0].is_writable() && !evs[0].is_read_closed());
        efd.drain();
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 0);
    }

    #[test]
    fn a_hang_up_is_decoded_once_edge_triggered() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let ep = Epoll::new().unwrap();
        ep.add(a.as_fd(), Interest::READABLE.add(Interest::WRITABLE), Trigger::Edge, 7).unwrap();
        let mut evs = [Event::EMPTY; 4];
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 1, "writable at registration");
        assert!(evs[0].is_writable() && !evs[0].is_read_closed());
        drop(b);
        assert_eq!(ep.wait(&mut evs, Some(Duration::from_secs(5))).unwrap(), 1);
        assert_eq!(evs[0].token(), 7);
        assert!(evs[0].is_read_closed(), "{:?}", evs[0]);
        assert_eq!(ep.wait(&mut evs, Some(Duration::ZERO)).unwrap(), 0, "edge-triggered: reported once");
    }
}
