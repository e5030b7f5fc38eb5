//! [`TcpListener`] and [`TcpStream`].

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use super::std_api::{
    check_timeout, each_addr, fd_conversions, handle_methods, nonblocking_method, readiness_methods,
    stream_io, timeout_methods, ttl_methods,
};
use crate::reactor::{Deadline, Dir, IoSource};
use crate::sys::socket;

/// A TCP socket server, listening for connections — `std::net::TcpListener`
/// whose `accept` parks only the calling fiber.
///
/// ```
/// use std::io::{Read, Write};
/// let listener = fiberio::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let server = fiberio::spawn(move || {
///     let (mut s, _) = listener.accept().unwrap();
///     let mut buf = [0; 5];
///     s.read_exact(&mut buf).unwrap();
///     s.write_all(&buf).unwrap();
/// });
/// let mut c = fiberio::net::TcpStream::connect(addr).unwrap();
/// c.write_all(b"hello").unwrap();
/// let mut back = [0; 5];
/// c.read_exact(&mut back).unwrap();
/// assert_eq!(&back, b"hello");
/// server.join().unwrap();
/// ```
pub struct TcpListener {
    // Dropped first: leaves the reactor before the fd closes.
    io: IoSource,
    inner: std::net::TcpListener,
}

impl TcpListener {
    handle_methods!();
    ttl_methods!();
    nonblocking_method!();

    fn from_nonblocking(inner: std::net::TcpListener) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Binds to `addr`, like `std::net::TcpListener::bind` (with
    /// `SO_REUSEADDR`, as std sets it), trying each resolved address in
    /// turn. The listen backlog is the largest the kernel allows
    /// (`net.core.somaxconn`), not std's smaller default, so a burst of
    /// thousands of connects does not overflow the accept queue.
    ///
    /// # Errors
    ///
    /// As std: the address cannot be resolved, is in use, and so on.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |a| socket::listener(a, false)).and_then(Self::from_nonblocking)
    }

    /// Binds with `SO_REUSEPORT` as well, so that several listeners — one
    /// per worker, say — can accept on the same address; the kernel spreads
    /// incoming connections over them.
    ///
    /// # Errors
    ///
    /// As [`bind`](Self::bind).
    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |a| socket::listener(a, true)).and_then(Self::from_nonblocking)
    }

    /// Accepts a connection, parking the fiber (or blocking the thread)
    /// until one arrives. Several fibers may accept on one listener: each
    /// connection goes to one of them, in the order they started waiting.
    ///
    /// # Errors
    ///
    /// As std. Running out of fds (`EMFILE`, `ENFILE`) is returned to the
    /// caller, who decides whether to back off.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.accept_until(None)
    }

    /// Like [`accept`](Self::accept), giving up with `TimedOut` after
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept), and `ErrorKind::TimedOut`.
    pub fn accept_timeout(&self, timeout: Duration) -> io::Result<(TcpStream, SocketAddr)> {
        self.accept_until(Some(Deadline { at: Instant::now() + timeout, kind: io::ErrorKind::TimedOut }))
    }

    fn accept_until(&self, deadline: Option<Deadline>) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self.io.run(Dir::Read, deadline, || socket::accept(&self.inner), |_| false)?;
        Ok((TcpStream::from_nonblocking(stream)?, addr))
    }

    /// An iterator over incoming connections (never returns `None`).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address this listener is bound to.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The iterator of [`TcpListener::incoming`].
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

/// A TCP connection — `std::net::TcpStream` whose reads, writes and
/// connects park only the calling fiber.
///
/// `Read` and `Write` are implemented for `&TcpStream` too, so a reader
/// fiber and a writer fiber can share one stream (in an `Arc`, say), even
/// on different workers.
pub struct TcpStream {
    // Dropped first: leaves the reactor before the fd closes.
    pub(super) io: IoSource,
    pub(super) inner: std::net::TcpStream,
}

impl TcpStream {
    handle_methods!();
    ttl_methods!();
    timeout_methods!();
    readiness_methods!();
    nonblocking_method!();

    fn from_nonblocking(inner: std::net::TcpStream) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Connects to `addr`, trying each resolved address in turn.
    ///
    /// A host name (`"host:port"`) is resolved on the helper pool, so
    /// `getaddrinfo` parks only the calling fiber (a literal address
    /// converts inline); connecting parks only the fiber too.
    ///
    /// # Errors
    ///
    /// As std (`ConnectionRefused`, ...).
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |a| Self::connect_addr(a, None))
    }

    /// Connects to `addr`, giving up with `TimedOut` after `timeout`.
    ///
    /// # Errors
    ///
    /// As std: `InvalidInput` for a zero timeout, `TimedOut`, ...
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<Self> {
        check_timeout(Some(timeout))?;
        Self::connect_addr(
            addr,
            Some(Deadline { at: Instant::now() + timeout, kind: io::ErrorKind::TimedOut }),
        )
    }

    fn connect_addr(addr: &SocketAddr, deadline: Option<Deadline>) -> io::Result<Self> {
        let stream = Self::from_nonblocking(socket::tcp_socket(addr)?)?;
        if socket::start_connect(&stream.inner, addr)? {
            return Ok(stream);
        }
        // In progress: writable means done; SO_ERROR says how.
        let inner = &stream.inner;
        let connected = || match inner.take_error()? {
            Some(e) => Err(e),
            None => match inner.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
                Err(e) => Err(e),
            },
        };
        stream.io.run(Dir::Write, deadline, connected, |_| false)?;
        Ok(stream)
    }

    /// Reads without removing the data from the queue.
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the read timeout passes.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.run(
            Dir::Read,
            self.read_deadline(),
            || socket::recv(self.inner.as_fd(), buf, true),
            |_| false,
        )
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// As std (`NotConnected`).
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

    /// Shuts down the read half, the write half, or both. Fibers waiting to
    /// read see end-of-file.
    ///
    /// # Errors
    ///
    /// As std (`NotConnected`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }
}

stream_io!(TcpStream);

fd_conversions!(TcpListener, std::net::TcpListener);
fd_conversions!(TcpStream, std::net::TcpStream);
