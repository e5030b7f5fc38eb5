//! Socket creation and the calls std does not make non-blocking for us:
//! sockets born `NONBLOCK | CLOEXEC`, a connect that may be in progress,
//! `accept4` with the same flags (no extra `fcntl` per connection), and
//! `SO_REUSEPORT` listeners. socket2 supplies the address conversions.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, BorrowedFd};

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

// Per-call non-blocking IO on a socket. `MSG_DONTWAIT` makes the call return
// `EAGAIN` instead of blocking whatever the socket's `O_NONBLOCK` says — a
// duplicate of the fd converted back to a blocking std socket changes that
// flag for every handle of the socket, and must not make a fiber block its
// worker. Sends add `MSG_NOSIGNAL`: a closed peer is `EPIPE`, never SIGPIPE.

const RECV: libc::c_int = libc::MSG_DONTWAIT;
const SEND: libc::c_int = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;

fn len_result(n: libc::ssize_t) -> io::Result<usize> {
    if n < 0 { Err(io::Error::last_os_error()) } else { Ok(n as usize) }
}

// The two hot calls go through `syscall(2)` rather than glibc's `recv` and
// `send`: in a multi-threaded process glibc wraps those as pthread
// cancellation points, two locked instructions and ~140 more per call
// (asm-notes/hot-path.md); fiberio never uses pthread cancellation.

/// `recv` into `buf` (with `MSG_PEEK` when `peek`), never blocking.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let flags = if peek { RECV | libc::MSG_PEEK } else { RECV };
    let null = std::ptr::null_mut::<libc::c_void>();
    // SAFETY: recvfrom(fd, buf, len, flags, NULL, NULL): `buf` is valid for
    // writes of `buf.len()` bytes, `fd` is open, no address is asked for.
    let n = unsafe {
        libc::syscall(libc::SYS_recvfrom, fd.as_raw_fd(), buf.as_mut_ptr(), buf.len(), flags, null, null)
    };
    len_result(n as libc::ssize_t)
}

/// `recv` into a buffer that may be uninitialised (tokio's `ReadBuf`), never
/// blocking: the first `n` bytes of `buf` are initialised when it returns
/// `Ok(n)`.
#[cfg(feature = "tokio-io")]
pub(crate) fn recv_uninit(fd: BorrowedFd<'_>, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
    let (ptr, null) = (buf.as_mut_ptr(), std::ptr::null_mut::<libc::c_void>());
    // The kernel only writes into `buf`, never reads it: uninitialised is fine.
    // SAFETY: recvfrom(fd, buf, len, flags, NULL, NULL): `buf` is valid for
    // writes of `buf.len()` bytes, `fd` is open, no address is asked for.
    let n = unsafe { libc::syscall(libc::SYS_recvfrom, fd.as_raw_fd(), ptr, buf.len(), RECV, null, null) };
    len_result(n as libc::ssize_t)
}

/// `send` of `buf`, never blocking, never raising SIGPIPE.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    let null = std::ptr::null::<libc::c_void>();
    // SAFETY: sendto(fd, buf, len, flags, NULL, 0): `buf` is valid for reads
    // of `buf.len()` bytes, `fd` is open, no address is given.
    let n =
        unsafe { libc::syscall(libc::SYS_sendto, fd.as_raw_fd(), buf.as_ptr(), buf.len(), SEND, null, 0) };
    len_result(n as libc::ssize_t)
}

/// `recvmsg` scattering into `bufs`, never blocking.
pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero `msghdr` is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSliceMut` is ABI-compatible with `iovec` on Unix (std documents it).
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len() as _;
    // SAFETY: `msg` points at `bufs.len()` valid, writable iovecs.
    len_result(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, RECV) })
}

/// `sendmsg` gathering from `bufs`, never blocking, never raising SIGPIPE.
pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero `msghdr` is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is ABI-compatible with `iovec` on Unix; sendmsg only reads.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len() as _;
    // SAFETY: `msg` points at `bufs.len()` valid iovecs.
    len_result(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, SEND) })
}

/// `recvfrom` on an IP socket (with `MSG_PEEK` when `peek`), never blocking.
pub(crate) fn recv_from(fd: BorrowedFd<'_>, buf: &mut [u8], peek: bool) -> io::Result<(usize, SocketAddr)> {
    let flags = if peek { RECV | libc::MSG_PEEK } else { RECV };
    // SAFETY: `u8` and `MaybeUninit<u8>` have the same layout, and the
    // callee only writes initialised bytes into an initialised buffer.
    let uninit = unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) };
    let (n, addr) = SockRef::from(&fd).recv_from_with_flags(uninit, flags)?;
    let addr = addr.as_socket().ok_or_else(|| io::Error::other("fiberio: received from a non-IP address"))?;
    Ok((n, addr))
}

/// `sendto` on an IP socket, never blocking, never raising SIGPIPE.
pub(crate) fn send_to(fd: BorrowedFd<'_>, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    SockRef::from(&fd).send_to_with_flags(buf, &SockAddr::from(*addr), SEND)
}
