//! Unix-domain streams: [`UnixListener`], [`UnixStream`] (public, with
//! `UnixDatagram`, as `fiberio::os::unix::net`, mirroring std).

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::std_api::{check_timeout, deadline, fd_conversions};
use crate::reactor::{Deadline, Dir, IoSource};

/// A Unix-domain listener — `std::os::unix::net::UnixListener` whose
/// `accept` parks only the calling fiber.
///
/// ```
/// use std::io::{Read, Write};
/// let dir = std::env::temp_dir().join(format!("fiberio-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("sock");
/// let _ = std::fs::remove_file(&path);
/// let listener = fiberio::os::unix::net::UnixListener::bind(&path).unwrap();
/// let server = fiberio::spawn(move || {
///     let (mut s, _) = listener.accept().unwrap();
///     s.write_all(b"hi").unwrap();
/// });
/// let mut c = fiberio::os::unix::net::UnixStream::connect(&path).unwrap();
/// let mut buf = [0; 2];
/// c.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"hi");
/// server.join().unwrap();
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct UnixListener {
    // Dropped first: leaves the reactor before the fd closes.
    io: IoSource,
    inner: std::os::unix::net::UnixListener,
}

impl UnixListener {
    fn from_nonblocking(inner: std::os::unix::net::UnixListener) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Binds to `path`, like std.
    ///
    /// # Errors
    ///
    /// As std (the path exists, ...).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        let inner = std::os::unix::net::UnixListener::bind(path)?;
        inner.set_nonblocking(true)?;
        Self::from_nonblocking(inner)
    }

    /// Accepts a connection, parking the fiber until one arrives.
    ///
    /// # Errors
    ///
    /// As std; `EMFILE`/`ENFILE` are returned to the caller.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.io.run(Dir::Read, None, || self.inner.accept(), |_| false)?;
        stream.set_nonblocking(true)?;
        Ok((UnixStream::from_nonblocking(stream)?, addr))
    }

    /// An iterator over incoming connections (never returns `None`).
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<UnixStream>> + '_ {
        std::iter::repeat_with(move || self.accept().map(|(s, _)| s))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// A new handle to the same socket.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn try_clone(&self) -> io::Result<Self> {
        Self::from_nonblocking(self.inner.try_clone()?)
    }

    /// Takes the pending socket error.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// With `true`, `accept` returns `WouldBlock` instead of waiting.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.io.poll_desc().set_nonblocking(nonblocking);
        Ok(())
    }
}

/// A Unix-domain stream — `std::os::unix::net::UnixStream` parking only
/// the calling fiber. `Read`/`Write` for `T` and `&T`.
pub struct UnixStream {
    // Dropped first: leaves the reactor before the fd closes.
    io: IoSource,
    inner: std::os::unix::net::UnixStream,
}

impl UnixStream {
    fn from_nonblocking(inner: std::os::unix::net::UnixStream) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Connects to the socket at `path`. A full listen queue (`EAGAIN` on a
    /// Unix socket) is retried every millisecond, parking the fiber, the
    /// way std's blocking connect waits.
    ///
    /// # Errors
    ///
    /// As std (`NotFound`, `ConnectionRefused`, ...).
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        loop {
            match std::os::unix::net::UnixStream::connect(path.as_ref()) {
                Ok(inner) => {
                    inner.set_nonblocking(true)?;
                    return Self::from_nonblocking(inner);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => crate::sleep(Duration::from_millis(1)),
                Err(e) => return Err(e),
            }
        }
    }

    /// A connected pair of streams.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        a.set_nonblocking(true)?;
        b.set_nonblocking(true)?;
        Ok((Self::from_nonblocking(a)?, Self::from_nonblocking(b)?))
    }

    fn read_deadline(&self) -> Option<Deadline> {
        deadline(&self.io, Dir::Read, io::ErrorKind::WouldBlock)
    }

    fn write_deadline(&self) -> Option<Deadline> {
        deadline(&self.io, Dir::Write, io::ErrorKind::WouldBlock)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// A new handle to the same connection (timeouts copied).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn try_clone(&self) -> io::Result<Self> {
        let clone = Self::from_nonblocking(self.inner.try_clone()?)?;
        copy_settings(&self.io, &clone.io);
        Ok(clone)
    }

    /// Sets the read timeout (`WouldBlock` when it passes).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.io.poll_desc().set_timeout(Dir::Read, timeout);
        Ok(())
    }

    /// Sets the write timeout.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.io.poll_desc().set_timeout(Dir::Write, timeout);
        Ok(())
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.poll_desc().timeout(Dir::Read))
    }

    /// The write timeout.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.io.poll_desc().timeout(Dir::Write))
    }

    /// With `true`, reads and writes return `WouldBlock` instead of waiting.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.io.poll_desc().set_nonblocking(nonblocking);
        Ok(())
    }

    /// Takes the pending socket error.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (len, s) = (buf.len(), *self);
        s.io.run(Dir::Read, s.read_deadline(), || (&s.inner).read(buf), |&n| n > 0 && n < len)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let (len, s) = (bufs.iter().map(|b| b.len()).sum::<usize>(), *self);
        s.io.run(Dir::Read, s.read_deadline(), || (&s.inner).read_vectored(bufs), |&n| n > 0 && n < len)
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (len, s) = (buf.len(), *self);
        s.io.run(Dir::Write, s.write_deadline(), || (&s.inner).write(buf), |&n| n < len)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let (len, s) = (bufs.iter().map(|b| b.len()).sum::<usize>(), *self);
        s.io.run(Dir::Write, s.write_deadline(), || (&s.inner).write_vectored(bufs), |&n| n < len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Copies timeouts and the non-blocking choice to a clone's descriptor.
pub(super) fn copy_settings(from: &IoSource, to: &IoSource) {
    let (from, to) = (from.poll_desc(), to.poll_desc());
    to.set_timeout(Dir::Read, from.timeout(Dir::Read));
    to.set_timeout(Dir::Write, from.timeout(Dir::Write));
    to.set_nonblocking(from.is_nonblocking());
}

fd_conversions!(UnixListener, std::os::unix::net::UnixListener);
fd_conversions!(UnixStream, std::os::unix::net::UnixStream);
