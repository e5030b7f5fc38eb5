//! Networking with std's types and semantics, parking only the fiber.
//!
//! [`TcpListener`], [`TcpStream`] and [`UdpSocket`] have std's method set. Each wraps the
//! std socket in non-blocking mode plus an `IoSource` on the reactor:
//! calls that cannot block (`local_addr`, `set_nodelay`, ...) go straight to
//! std; calls that can (`accept`, `connect`, `read`, `write`, `peek`) run the
//! reactor's try / clear / park loop. On a plain OS thread they block the
//! thread, honouring the timeouts, like std.
//!
//! Reads, writes, sends and receives pass `MSG_DONTWAIT` (and sends
//! `MSG_NOSIGNAL`) on every call, so they never block a worker and never
//! raise SIGPIPE, even after a duplicate of the socket was converted back
//! to a blocking std socket (`O_NONBLOCK` belongs to the socket, shared by
//! every duplicate). Two calls have no such per-call flag and rely on
//! `O_NONBLOCK`: `accept`, and `UnixDatagram`'s operations (std's, for
//! their Unix addresses). Do not hand a duplicate of a listener or of a
//! `UnixDatagram` to blocking std code while fiberio still uses the socket.
//!
//! Timeouts (`set_read_timeout`, ...) belong to the fiberio handle's fd, not
//! to the kernel socket: `try_clone` copies them, and a socket converted to
//! std has none.
//!
//! # Name resolution
//!
//! A host name given to `TcpStream::connect`, `TcpListener::bind`,
//! `UdpSocket::bind`, `connect`, `send_to`, ... is resolved on the helper
//! pool ([`unblock`](crate::unblock)), so `getaddrinfo` — which blocks for
//! as long as DNS takes — never stalls a worker; only the calling fiber
//! waits, and a cancellation stops it at once. These functions take std's
//! `ToSocketAddrs`, whose values need not be `Send` or `'static`, so the
//! value itself cannot go to a helper; its *type* decides instead:
//!
//! - a string — `&str`, `&&str`, `String`, `&String`, `(&str, u16)`,
//!   `(String, u16)` — is copied into an owned name and resolved on a
//!   helper, unless it is a literal address (`"127.0.0.1:80"`,
//!   `"[::1]:80"`, `("10.0.0.1", 80)`), which is parsed inline, without
//!   `getaddrinfo`, as std does;
//! - every other std type (`SocketAddr`, `SocketAddrV4`, `SocketAddrV6`,
//!   `(IpAddr, u16)`, `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`,
//!   `&[SocketAddr]`) is an address already, converted inline;
//! - a `ToSocketAddrs` type of your own runs its `to_socket_addrs` inline,
//!   on the worker: if it resolves names, resolve them first with
//!   [`lookup_host`] and pass the addresses.
//!
//! Errors are std's, from std's resolver, unchanged.

#[cfg(any(feature = "tokio-io", feature = "futures-io"))]
mod async_io;
mod resolve;
mod std_api;
mod tcp;
mod udp;
pub(crate) mod unix;
pub(crate) mod unix_datagram;

pub use resolve::{__set_resolve_hook, lookup_host};
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
