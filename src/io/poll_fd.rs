//! [`PollFd`]: park a fiber on any non-blocking fd — pipes, child-process
//! stdio, terminals, eventfds, sockets fiberio has no type for.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::reactor::{Dir, IoSource};
use crate::sys::fd::set_nonblocking;

/// An fd put in non-blocking mode and under the reactor: reads and writes
/// through it park only the calling fiber (or block a plain thread) until
/// the fd is ready.
///
/// Works for anything epoll can watch. A regular file is always ready, so
/// reading one never parks — and never yields while the disk works; file IO
/// belongs on the helper pool instead.
///
/// ```
/// use std::io::{Read, Write};
/// let (reader, writer) = std::io::pipe().unwrap();
/// let mut reader = fiberio::io::PollFd::new(reader).unwrap();
/// let mut writer = fiberio::io::PollFd::new(writer).unwrap();
/// let h = fiberio::spawn(move || {
///     let mut got = String::new();
///     reader.read_to_string(&mut got).unwrap(); // parks until data, then EOF
///     got
/// });
/// writer.write_all(b"through a pipe").unwrap();
/// drop(writer);
/// assert_eq!(h.join().unwrap(), "through a pipe");
/// ```
pub struct PollFd<T: AsFd> {
    // Dropped first: leaves the reactor before `inner` closes the fd.
    io: IoSource,
    inner: T,
}

impl<T: AsFd> PollFd<T> {
    /// Sets `O_NONBLOCK` on `inner`'s fd and puts it under the reactor.
    /// The flag belongs to the open file description, so duplicates of the
    /// fd (a child process's end of a pipe, say) see it too.
    ///
    /// # Errors
    ///
    /// When `fcntl` fails (not an open fd) or the fd is beyond the 2^20 fds
    /// fiberio tracks.
    pub fn new(inner: T) -> io::Result<Self> {
        set_nonblocking(inner.as_fd(), true)?;
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Runs `op` — a non-blocking read-like call on the inner value — until
    /// it does not return `WouldBlock`, parking until the fd is readable.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    pub fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.run(Dir::Read, None, || op(&self.inner), |_| false)
    }

    /// Like [`read_with`](Self::read_with), waiting for writability.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`.
    pub fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.run(Dir::Write, None, || op(&self.inner), |_| false)
    }

    /// Waits until the fd is readable (or hung up, or an error is pending),
    /// parking only the fiber; returns at once if it is readable now.
    ///
    /// # Errors
    ///
    /// A `poll(2)` failure.
    pub fn readable(&self) -> io::Result<()> {
        self.io.wait_ready(Dir::Read)
    }

    /// Waits until the fd is writable (or an error is pending), parking
    /// only the fiber; returns at once if it is writable now.
    ///
    /// # Errors
    ///
    /// A `poll(2)` failure.
    pub fn writable(&self) -> io::Result<()> {
        self.io.wait_ready(Dir::Write)
    }

    /// The inner value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Leaves the reactor and returns the inner value, still non-blocking.
    pub fn into_inner(self) -> T {
        let Self { io, inner } = self;
        drop(io);
        inner
    }
}

impl<T: AsFd + Read> Read for PollFd<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Self { io, inner } = self;
        io.run(Dir::Read, None, || inner.read(buf), |_| false)
    }
}

impl<T: AsFd + Write> Write for PollFd<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Self { io, inner } = self;
        io.run(Dir::Write, None, || inner.write(buf), |_| false)
    }

    fn flush(&mut self) -> io::Result<()> {
        let Self { io, inner } = self;
        io.run(Dir::Write, None, || inner.flush(), |_| false)
    }
}

impl<T: AsFd> AsFd for PollFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl<T: AsFd> AsRawFd for PollFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_fd().as_raw_fd()
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for PollFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollFd").field("inner", &self.inner).finish()
    }
}
