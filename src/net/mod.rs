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
//! std has none. `TcpStream::connect("host:port")` resolves the name on the
//! calling thread for now.

mod std_api;
mod tcp;
mod udp;
pub(crate) mod unix;
pub(crate) mod unix_datagram;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
