//! Networking with std's types and semantics, parking only the fiber.
//!
//! [`TcpListener`], [`TcpStream`] and [`UdpSocket`] have std's method set. Each wraps the
//! std socket in non-blocking mode plus an `IoSource` on the reactor:
//! calls that cannot block (`local_addr`, `set_nodelay`, ...) go straight to
//! std; calls that can (`accept`, `connect`, `read`, `write`, `peek`) run the
//! reactor's try / clear / park loop. On a plain OS thread they block the
//! thread, honouring the timeouts, like std.

mod std_api;
mod tcp;
mod udp;
pub(crate) mod unix;
pub(crate) mod unix_datagram;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
