//! Socket creation and the calls std does not make non-blocking for us:
//! sockets born `NONBLOCK | CLOEXEC`, a connect that may be in progress,
//! `accept4` with the same flags (no extra `fcntl` per connection), and
//! `SO_REUSEPORT` listeners. socket2 supplies the address conversions.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

/// A fresh non-blocking TCP socket for `addr`'s family.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(*addr), Type::STREAM.nonblocking().cloexec(), None)?;
    Ok(socket.into())
}

/// Starts connecting `stream` to `addr`: `Ok(true)` connected at once,
/// `Ok(false)` in progress (wait until writable, then check `SO_ERROR`).
pub(crate) fn start_connect(stream: &TcpStream, addr: &SocketAddr) -> io::Result<bool> {
    match SockRef::from(stream).connect(&SockAddr::from(*addr)) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Accepts one connection, non-blocking and close-on-exec from birth.
pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let (socket, addr) = SockRef::from(listener).accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)?;
    let addr = addr.as_socket().ok_or_else(|| io::Error::other("fiberio: accepted a non-IP address"))?;
    Ok((socket.into(), addr))
}

/// The `listen` backlog: as large as the kernel allows (it caps the value
/// at `net.core.somaxconn`, 4096 by default), as Go does. std's smaller
/// default overflows the accept queue when thousands of clients connect at
/// once, and on loopback an overflowing queue with syncookies ends in reset
/// connections (seen with `tests/tcp_many_connections.rs`).
const BACKLOG: i32 = i32::MAX;

/// A non-blocking listener with `SO_REUSEADDR` (as std sets it) and, with
/// `reuse_port`, `SO_REUSEPORT`, so several listeners (one per worker) can
/// share `addr`.
pub(crate) fn listener(addr: &SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(*addr), Type::STREAM.nonblocking().cloexec(), None)?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&SockAddr::from(*addr))?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
