//! std parity of the conversions every socket type has beyond std's own
//! type: into `OwnedFd` (the fd leaves the reactor, stays open — closed
//! once, by its new owner — and is blocking again, as std's would be), and
//! from and into `socket2::Socket` (taken in: non-blocking and under the
//! reactor, so a fiber parks on it; handed back: blocking again). For
//! `TcpStream`, `TcpListener`, `UdpSocket`, `UnixStream`, `UnixListener`
//! and `UnixDatagram`.
//!
//! Whether an fd is in non-blocking mode is read from the kernel
//! (`O_NONBLOCK`, through socket2).

mod util;

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fiberio::net::{TcpListener, TcpStream, UdpSocket};
use fiberio::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use socket2::{Domain, SockAddr, SockRef, Socket, Type};

fn nonblocking(s: &impl AsFd) -> bool {
    SockRef::from(s).nonblocking().unwrap()
}

/// Converts `socket` into an `OwnedFd` and checks it is the same fd, open
/// and blocking.
fn into_owned<T: AsRawFd>(socket: T) -> OwnedFd
where
    OwnedFd: From<T>,
{
    let raw = socket.as_raw_fd();
    let fd = OwnedFd::from(socket);
    assert_eq!(fd.as_raw_fd(), raw, "the same fd");
    assert!(!nonblocking(&fd), "handed out in blocking mode, as std's socket holds it");
    fd
}

/// A connected fiberio TCP pair.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (c, listener.accept().unwrap().0)
}

#[test]
fn a_tcp_stream_a_fiber_parked_on_goes_into_an_owned_fd_that_works() {
    let rt = util::one_worker();
    let (a, mut b) = tcp_pair();
    // The fiber parks in `read` (registering the fd with its worker's
    // epoll) until this thread writes; then hands the fd out.
    let reader = rt.spawn(move || {
        let mut a = a;
        let mut buf = [0; 5];
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"first");
        into_owned(a)
    });
    b.write_all(b"first").unwrap();
    let fd = reader.join().unwrap();
    // A blocking std stream on the fd: reads what comes next, writes back.
    let mut a = std::net::TcpStream::from(fd);
    b.write_all(b"second").unwrap();
    let mut buf = [0; 6];
    a.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"second");
    a.write_all(b"back").unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"back");
    // Back into fiberio: registered afresh, a fiber parks on it again.
    let a = TcpStream::from(OwnedFd::from(a));
    let reader = rt.spawn(move || {
        let mut buf = [0; 5];
        (&a).read_exact(&mut buf).map(|()| buf)
    });
    b.write_all(b"third").unwrap();
    assert_eq!(&reader.join().unwrap().unwrap(), b"third");
}

#[test]
fn a_tcp_listener_and_a_udp_socket_go_into_owned_fds_that_work() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = std::net::TcpListener::from(into_owned(listener));
    let _client = std::net::TcpStream::connect(addr).unwrap();
    let (_, from) = listener.accept().unwrap();
    assert!(from.ip().is_loopback());

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp.local_addr().unwrap();
    let udp = std::net::UdpSocket::from(into_owned(udp));
    peer.send_to(b"datagram", udp_addr).unwrap();
    let mut buf = [0; 16];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"datagram");
}

#[test]
fn unix_sockets_go_into_owned_fds_that_work() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut a = std::os::unix::net::UnixStream::from(into_owned(a));
    a.write_all(b"unix").unwrap();
    let mut buf = [0; 4];
    (&b).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"unix");

    let path = util::temp_socket_path("owned-listener");
    let listener = std::os::unix::net::UnixListener::from(into_owned(UnixListener::bind(&path).unwrap()));
    let _client = UnixStream::connect(&path).unwrap();
    listener.accept().unwrap();

    let (a, b) = UnixDatagram::pair().unwrap();
    let a = std::os::unix::net::UnixDatagram::from(into_owned(a));
    a.send(b"dgram").unwrap();
    let mut buf = [0; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
}

#[test]
fn socket2_sockets_taken_in_are_non_blocking_and_fibers_park_on_them() {
    let rt = util::one_worker();
    // A listener made with socket2, accepted from on a fiber.
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(&SockAddr::from("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())).unwrap();
    s.listen(8).unwrap();
    assert!(!nonblocking(&s));
    let listener = TcpListener::from(s);
    assert!(nonblocking(&listener), "taken in non-blocking");
    let addr = listener.local_addr().unwrap();
    let acceptor = rt.spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"hello").unwrap();
        listener
    });
    // A client stream made with socket2, read on a fiber.
    let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    c.connect(&SockAddr::from(addr)).unwrap();
    let stream = TcpStream::from(c);
    assert!(nonblocking(&stream));
    let reader = rt.spawn(move || {
        let mut buf = [0; 5];
        (&stream).read_exact(&mut buf).unwrap();
        (buf, stream)
    });
    let listener = acceptor.join().unwrap();
    let (buf, stream) = reader.join().unwrap();
    assert_eq!(&buf, b"hello");
    // Handed back: blocking again, the same fd.
    let raw = stream.as_raw_fd();
    let s = Socket::from(stream);
    assert_eq!(s.as_raw_fd(), raw);
    assert!(!nonblocking(&s));
    assert!(!nonblocking(&Socket::from(listener)));
}

#[test]
fn socket2_conversions_cover_udp_and_unix_sockets() {
    let rt = util::one_worker();
    let s = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    s.bind(&SockAddr::from("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())).unwrap();
    let udp = UdpSocket::from(s);
    assert!(nonblocking(&udp));
    let addr = udp.local_addr().unwrap();
    let receiver = rt.spawn(move || {
        let mut buf = [0; 8];
        let (n, _) = udp.recv_from(&mut buf).unwrap();
        (buf[..n].to_vec(), udp)
    });
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"udp", addr).unwrap();
    let (got, udp) = receiver.join().unwrap();
    assert_eq!(got, b"udp");
    assert!(!nonblocking(&Socket::from(udp)));

    let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    let (a, b) = (UnixStream::from(a), UnixStream::from(b));
    assert!(nonblocking(&a) && nonblocking(&b));
    let reader = rt.spawn(move || {
        let mut buf = [0; 3];
        (&a).read_exact(&mut buf).unwrap();
        (buf, a)
    });
    (&b).write_all(b"uds").unwrap();
    let (buf, a) = reader.join().unwrap();
    assert_eq!(&buf, b"uds");
    assert!(!nonblocking(&Socket::from(a)));

    let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM, None).unwrap();
    let (a, b) = (UnixDatagram::from(a), UnixDatagram::from(b));
    assert!(nonblocking(&a));
    a.send(b"dg").unwrap();
    let mut buf = [0; 4];
    assert_eq!(b.recv(&mut buf).unwrap(), 2);
    assert!(!nonblocking(&Socket::from(b)));

    let path = util::temp_socket_path("socket2-listener");
    let s = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
    s.bind(&SockAddr::unix(&path).unwrap()).unwrap();
    s.listen(8).unwrap();
    let listener = UnixListener::from(s);
    assert!(nonblocking(&listener));
    let acceptor = rt.spawn(move || listener.accept().map(|_| listener));
    let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let listener = acceptor.join().unwrap().unwrap();
    assert!(!nonblocking(&Socket::from(listener)));
}
