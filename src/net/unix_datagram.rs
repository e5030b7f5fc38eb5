//! [`UnixDatagram`] (public as `fiberio::os::unix::net::UnixDatagram`).

use std::io;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::std_api::{
    fd_conversions, handle_methods, nonblocking_method, readiness_methods, timeout_methods,
};
use crate::reactor::{Dir, IoSource};

/// A Unix-domain datagram socket — `std::os::unix::net::UnixDatagram`
/// parking only the calling fiber.
pub struct UnixDatagram {
    // Dropped first: leaves the reactor before the fd closes.
    io: IoSource,
    inner: std::os::unix::net::UnixDatagram,
}

impl UnixDatagram {
    handle_methods!();
    timeout_methods!();
    readiness_methods!();
    nonblocking_method!();

    fn from_nonblocking(inner: std::os::unix::net::UnixDatagram) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    fn from_std(inner: std::os::unix::net::UnixDatagram) -> io::Result<Self> {
        inner.set_nonblocking(true)?;
        Self::from_nonblocking(inner)
    }

    /// Binds to `path`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        Self::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// Binds to `addr` (std's `bind_addr`): a path, or on Linux an
    /// abstract name.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<Self> {
        Self::from_std(std::os::unix::net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn unbound() -> io::Result<Self> {
        Self::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Sets the peer for `send` and `recv`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.connect(path)
    }

    /// Sets the peer for `send` and `recv` to `addr` (std's
    /// `connect_addr`).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        self.inner.connect_addr(addr)
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the read timeout passes.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.run(Dir::Read, self.read_deadline(), || self.inner.recv_from(buf), |_| false)
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.run(Dir::Read, self.read_deadline(), || self.inner.recv(buf), |_| false)
    }

    /// Sends one datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the write timeout passes.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        self.io.run(Dir::Write, self.write_deadline(), || self.inner.send_to(buf, path.as_ref()), |_| false)
    }

    /// Sends one datagram to `addr` (std's `send_to_addr`).
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the write timeout passes.
    pub fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        self.io.run(Dir::Write, self.write_deadline(), || self.inner.send_to_addr(buf, addr), |_| false)
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.run(Dir::Write, self.write_deadline(), || self.inner.send(buf), |_| false)
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
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

fd_conversions!(UnixDatagram, std::os::unix::net::UnixDatagram);
