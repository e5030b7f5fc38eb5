//! [`UdpSocket`].

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;

use super::std_api::{
    each_addr, handle_methods, nonblocking_method, readiness_methods, timeout_methods, ttl_methods,
};
use crate::reactor::{Dir, IoSource};
use crate::sys::socket;

/// A UDP socket — `std::net::UdpSocket` whose sends and receives park only
/// the calling fiber.
///
/// ```
/// let a = fiberio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let b = fiberio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let b_addr = b.local_addr().unwrap();
/// let receiver = fiberio::spawn(move || {
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).unwrap();
///     (buf[..n].to_vec(), from)
/// });
/// a.send_to(b"ping", b_addr).unwrap();
/// let (data, from) = receiver.join().unwrap();
/// assert_eq!(data, b"ping");
/// assert_eq!(from, a.local_addr().unwrap());
/// ```
pub struct UdpSocket {
    // Dropped first: leaves the reactor before the fd closes.
    io: IoSource,
    inner: std::net::UdpSocket,
}

impl UdpSocket {
    handle_methods!();
    ttl_methods!();
    timeout_methods!();
    readiness_methods!();
    nonblocking_method!();

    fn from_nonblocking(inner: std::net::UdpSocket) -> io::Result<Self> {
        Ok(Self { io: IoSource::new(inner.as_fd())?, inner })
    }

    /// Binds to `addr`, like `std::net::UdpSocket::bind`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        let inner = each_addr(addr, |a| std::net::UdpSocket::bind(a))?;
        inner.set_nonblocking(true)?;
        Self::from_nonblocking(inner)
    }

    /// Receives one datagram and its sender.
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the read timeout passes.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.run(
            Dir::Read,
            self.read_deadline(),
            || socket::recv_from(self.inner.as_fd(), buf, false),
            |_| false,
        )
    }

    /// Like `recv_from`, leaving the datagram queued.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.run(
            Dir::Read,
            self.read_deadline(),
            || socket::recv_from(self.inner.as_fd(), buf, true),
            |_| false,
        )
    }

    /// Sends one datagram to `addr`.
    ///
    /// # Errors
    ///
    /// As std; `WouldBlock` when the write timeout passes.
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let addr = each_addr(addr, |a| Ok(*a))?;
        self.io.run(
            Dir::Write,
            self.write_deadline(),
            || socket::send_to(self.inner.as_fd(), buf, &addr),
            |_| false,
        )
    }

    /// Sets the peer for `send` and `recv` (and filters what `recv` gets).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |a| self.inner.connect(a))
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// As std (`NotConnected`, ...).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.run(Dir::Write, self.write_deadline(), || socket::send(self.inner.as_fd(), buf), |_| false)
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.run(
            Dir::Read,
            self.read_deadline(),
            || socket::recv(self.inner.as_fd(), buf, false),
            |_| false,
        )
    }

    /// Like `recv`, leaving the datagram queued.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.run(
            Dir::Read,
            self.read_deadline(),
            || socket::recv(self.inner.as_fd(), buf, true),
            |_| false,
        )
    }

    /// The connected peer's address.
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

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Reads `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Joins an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn join_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.join_multicast_v4(group, interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn leave_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.leave_multicast_v4(group, interface)
    }

    /// Joins an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.join_multicast_v6(group, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.leave_multicast_v6(group, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Sets `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// As std.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_multicast_ttl_v4(ttl)
    }

    /// Whether IPv4 multicast datagrams sent from this socket loop back to
    /// the local host (`IP_MULTICAST_LOOP`).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// The time-to-live of IPv4 multicast datagrams sent from this socket
    /// (`IP_MULTICAST_TTL`).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Sets whether IPv6 multicast datagrams sent from this socket loop
    /// back to the local host (`IPV6_MULTICAST_LOOP`).
    ///
    /// # Errors
    ///
    /// As std (an IPv4 socket, for one).
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v6(on)
    }

    /// Whether IPv6 multicast datagrams sent from this socket loop back to
    /// the local host (`IPV6_MULTICAST_LOOP`).
    ///
    /// # Errors
    ///
    /// As std.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v6()
    }
}

super::std_api::fd_conversions!(UdpSocket, std::net::UdpSocket);
