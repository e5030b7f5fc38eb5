//! Unix-domain streams: [`UnixListener`], [`UnixStream`] (public, with
//! `UnixDatagram`, as `fiberio::os::unix::net`, mirroring std).

use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::std_api::{
    fd_conversions, handle_methods, nonblocking_method, readiness_methods, stream_io, timeout_methods,
};
use crate::reactor::{Dir, IoSource};

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
    handle_methods!();
    nonblocking_method!();

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

    /// Binds to `addr` (std's `bind_addr`): a path, or on Linux an
    /// abstract name; the address of another socket
    /// ([`local_addr`](Self::local_addr)) works too.
    ///
    /// # Errors
    ///
    /// As std (`AddrInUse`, ...).
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<Self> {
        let inner = std::os::unix::net::UnixListener::bind_addr(addr)?;
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
}

/// A Unix-domain stream — `std::os::unix::net::UnixStream` parking only
/// the calling fiber. `Read`/`Write` for `T` and `&T`.
pub struct UnixStream {
    // Dropped first: leaves the reactor before the fd closes.
    pub(super) io: IoSource,
    pub(super) inner: std::os::unix::net::UnixStream,
}

impl UnixStream {
    handle_methods!();
    timeout_methods!();
    readiness_methods!();
    nonblocking_method!();

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
        Self::connect_with(|| std::os::unix::net::UnixStream::connect(path.as_ref()))
    }

    /// Connects to the socket at `addr` (std's `connect_addr`): a path, or
    /// on Linux an abstract name (`SocketAddrExt::from_abstract_name`).
    /// A full listen queue is retried as by [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// As std (`ConnectionRefused`, ...).
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use fiberio::os::unix::net::{UnixListener, UnixStream};
    ///
    /// let name = format!("fiberio-doc-connect-addr-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    /// let listener = UnixListener::bind_addr(&addr).unwrap();
    /// let client = UnixStream::connect_addr(&addr).unwrap();
    /// let (_server, _) = listener.accept().unwrap();
    /// assert_eq!(client.peer_addr().unwrap().as_abstract_name(), Some(name.as_bytes()));
    /// ```
    pub fn connect_addr(addr: &SocketAddr) -> io::Result<Self> {
        Self::connect_with(|| std::os::unix::net::UnixStream::connect_addr(addr))
    }

    /// Runs std's `connect` until the listen queue has room, then puts the
    /// stream under the reactor.
    fn connect_with(
        mut connect: impl FnMut() -> io::Result<std::os::unix::net::UnixStream>,
    ) -> io::Result<Self> {
        loop {
            match connect() {
                Ok(inner) => {
                    inner.set_nonblocking(true)?;
                    return Self::from_nonblocking(inner);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    crate::time::sleep(Duration::from_millis(1))
                }
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
}

stream_io!(UnixStream);

fd_conversions!(UnixListener, std::os::unix::net::UnixListener);
fd_conversions!(UnixStream, std::os::unix::net::UnixStream);
