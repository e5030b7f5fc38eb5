//! What every socket type of this module shares with std's API: timeouts
//! (std's rules and error kinds), resolving `ToSocketAddrs` one address at
//! a time, and the fd and std conversions (`fd_conversions!`).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::reactor::{Deadline, Dir, IoSource};

/// The deadline of an operation on `io` in `dir`, from its timeout.
pub(crate) fn deadline(io: &IoSource, dir: Dir, kind: io::ErrorKind) -> Option<Deadline> {
    io.poll_desc().timeout(dir).map(|t| Deadline { at: Instant::now() + t, kind })
}

/// std's rule for timeouts: `Some(0)` is an error.
pub(crate) fn check_timeout(timeout: Option<Duration>) -> io::Result<()> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
    }
    Ok(())
}

/// Resolves `addr` and tries `f` on each address in turn, like std.
pub(crate) fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut f: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match f(&a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")))
}

/// `AsFd`, `AsRawFd`, `IntoRawFd`, `FromRawFd`, `From<OwnedFd>`,
/// `From` std's type and back, and `Debug`, for a socket type of this module
/// that has `io` and `inner` fields.
macro_rules! fd_conversions {
    ($ty:ident, $std:ty) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.inner)
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.inner)
            }
        }

        impl std::os::fd::IntoRawFd for $ty {
            /// Leaves the reactor and returns the fd in blocking mode, as a
            /// std socket's would be.
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                std::os::fd::IntoRawFd::into_raw_fd(<$std>::from(self))
            }
        }

        impl std::os::fd::FromRawFd for $ty {
            /// # Safety
            ///
            /// `fd` must be an open socket of this kind that the caller owns.
            unsafe fn from_raw_fd(fd: std::os::fd::RawFd) -> Self {
                // SAFETY: forwarded to the caller.
                Self::from(unsafe { <$std as std::os::fd::FromRawFd>::from_raw_fd(fd) })
            }
        }

        impl From<std::os::fd::OwnedFd> for $ty {
            fn from(fd: std::os::fd::OwnedFd) -> Self {
                Self::from(<$std>::from(fd))
            }
        }

        impl From<$std> for $ty {
            /// Puts the socket in non-blocking mode and under the reactor.
            ///
            /// # Panics
            ///
            /// If the fd is beyond the 2^20 fds fiberio tracks, or `fcntl`
            /// fails on it (it is not an open socket).
            fn from(inner: $std) -> Self {
                let wrapped = inner.set_nonblocking(true).and_then(|()| Self::from_nonblocking(inner));
                wrapped.unwrap_or_else(|e| panic!("fiberio: cannot use this socket: {e}"))
            }
        }

        impl From<$ty> for $std {
            /// Leaves the reactor and restores blocking mode.
            fn from(socket: $ty) -> Self {
                let $ty { io, inner } = socket;
                drop(io);
                // Only fails on an fd that is not open, which `inner` is.
                let _ = inner.set_nonblocking(false);
                inner
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}

pub(crate) use fd_conversions;
