//! The `*_addr` constructors of std's Unix sockets, taking a
//! `std::os::unix::net::SocketAddr`: `UnixListener::bind_addr`,
//! `UnixStream::connect_addr`, `UnixDatagram::{bind_addr, connect_addr,
//! send_to_addr}`, with a path and with a Linux abstract name; the
//! connection is served by fibers that park on it.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr;

use fiberio::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

/// A path address and an abstract one, unique to this process and `name`.
fn addrs(name: &str) -> [SocketAddr; 2] {
    let path = SocketAddr::from_pathname(util::temp_socket_path(name)).unwrap();
    let abstract_name = format!("fiberio-test-{}-{name}", std::process::id());
    [path, SocketAddr::from_abstract_name(abstract_name.as_bytes()).unwrap()]
}

#[test]
fn a_stream_connects_to_a_listener_bound_by_address() {
    let rt = util::two_workers();
    for addr in addrs("stream") {
        let listener = UnixListener::bind_addr(&addr).unwrap();
        let bound = listener.local_addr().unwrap();
        assert_eq!(bound.as_pathname(), addr.as_pathname());
        assert_eq!(bound.as_abstract_name(), addr.as_abstract_name());
        let server = rt.spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let client = rt.spawn(move || {
            let mut c = UnixStream::connect_addr(&addr).unwrap();
            c.write_all(b"ping").unwrap();
            let mut buf = [0; 4];
            c.read_exact(&mut buf).unwrap();
            buf
        });
        assert_eq!(&client.join().unwrap(), b"ping");
        server.join().unwrap();
    }
}

#[test]
fn connect_addr_to_nothing_is_refused_as_with_std() {
    let [path, abstract_addr] = addrs("nobody");
    assert_eq!(UnixStream::connect_addr(&path).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(UnixStream::connect_addr(&abstract_addr).unwrap_err().kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn datagrams_go_to_sockets_bound_and_connected_by_address() {
    let rt = util::one_worker();
    let [path, abstract_addr] = addrs("dgram");
    let receiver = UnixDatagram::bind_addr(&path).unwrap();
    let sender = UnixDatagram::bind_addr(&abstract_addr).unwrap();
    let got = rt.spawn(move || {
        let mut buf = [0; 8];
        let (n, from) = receiver.recv_from(&mut buf).unwrap();
        let first = (buf[..n].to_vec(), from.as_abstract_name().map(<[u8]>::to_vec));
        let n = receiver.recv(&mut buf).unwrap();
        (first, buf[..n].to_vec())
    });
    sender.send_to_addr(b"to", &path).unwrap();
    sender.connect_addr(&path).unwrap();
    sender.send(b"again").unwrap();
    let ((first, from), second) = got.join().unwrap();
    assert_eq!(first, b"to");
    assert_eq!(from.as_deref(), abstract_addr.as_abstract_name());
    assert_eq!(second, b"again");
}
