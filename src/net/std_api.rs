//! What every socket type of this module shares with std's API: timeouts
//! (std's rules and error kinds), trying the addresses of a `ToSocketAddrs`
//! one at a time, and the fd and std conversions (`fd_conversions!`).

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

/// Resolves `addr` (names on the helper pool: see `resolve`) and tries `f`
/// on each address in turn, like std.
pub(crate) fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut f: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    super::resolve::resolve(addr, |addrs| {
        let mut last = None;
        for a in addrs {
            match f(&a) {
                Ok(t) => return Ok(t),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")
        }))
    })?
}

/// `AsFd`, `AsRawFd`, `IntoRawFd`, `FromRawFd`, `From<OwnedFd>` and
/// back, `From` std's type and back, `From<socket2::Socket>` and back, and
/// `Debug`, for a socket type of this module
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

        impl From<$ty> for std::os::fd::OwnedFd {
            /// Leaves the reactor and returns the fd in blocking mode, as
            /// std's socket would hold it; the fd stays open.
            fn from(socket: $ty) -> Self {
                Self::from(<$std>::from(socket))
            }
        }

        impl From<socket2::Socket> for $ty {
            /// Puts the socket in non-blocking mode and under the reactor,
            /// as `From` std's type does (same panics).
            fn from(socket: socket2::Socket) -> Self {
                Self::from(<$std>::from(socket))
            }
        }

        impl From<$ty> for socket2::Socket {
            /// Leaves the reactor and restores blocking mode, as `From` for
            /// std's type does.
            fn from(socket: $ty) -> Self {
                Self::from(<$std>::from(socket))
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

/// `readable()` and `writable()`: readiness waits, for code that drives the
/// socket in non-blocking steps (an async adapter, a state machine). Expands
/// inside an `impl` block of a type with an `io: IoSource` field.
macro_rules! readiness_methods {
    () => {
        /// Waits until the socket is readable: data (or a datagram) to read,
        /// the peer's end of the stream, or a pending error. Parks only the
        /// fiber (off a fiber, blocks the thread); returns at once if the
        /// socket is readable now. The next read does not find it empty,
        /// unless another reader took the data first. It ignores the read
        /// timeout and the socket's non-blocking mode; it is a cancellation
        /// point.
        ///
        /// # Errors
        ///
        /// A `poll(2)` failure, or `NotConnected` once the socket is closed
        /// while waiting.
        pub fn readable(&self) -> std::io::Result<()> {
            self.io.wait_ready($crate::reactor::Dir::Read)
        }

        /// Waits until the socket is writable: room in its send buffer, or
        /// an error pending (see [`readable`](Self::readable)).
        ///
        /// # Errors
        ///
        /// As [`readable`](Self::readable).
        pub fn writable(&self) -> std::io::Result<()> {
            self.io.wait_ready($crate::reactor::Dir::Write)
        }

        /// The async face of [`readable`](Self::readable), for a `Future`
        /// run by [`future::block_on`](crate::future::block_on) on a fiber:
        /// `Ready(Ok(()))` once the socket is readable; otherwise the
        /// waker of `cx` is stored beside the socket's fiber waiters, the
        /// next readiness wakes it, and this returns `Pending`. Only the
        /// waker of the last poll is kept (one reading task at a time, as
        /// with tokio's sockets).
        ///
        /// # Errors
        ///
        /// As [`readable`](Self::readable); and an error if polled outside
        /// a fiber (by another runtime's task), where no fiberio worker
        /// watches the socket.
        pub fn poll_read_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io.poll_ready($crate::reactor::Dir::Read, cx)
        }

        /// The async face of [`writable`](Self::writable) (see
        /// [`poll_read_ready`](Self::poll_read_ready)).
        ///
        /// # Errors
        ///
        /// As [`poll_read_ready`](Self::poll_read_ready).
        pub fn poll_write_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.io.poll_ready($crate::reactor::Dir::Write, cx)
        }
    };
}

pub(crate) use readiness_methods;

/// The timeout methods every connected or datagram socket type has, with
/// std's semantics, plus the deadlines its operations use. Expands inside an
/// `impl` block of a type with an `io: IoSource` field.
macro_rules! timeout_methods {
    () => {
        /// Sets the read timeout: a read or receive waiting longer fails
        /// with `WouldBlock`, as std's does on Linux. `None` waits forever.
        ///
        /// # Errors
        ///
        /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
        pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
            $crate::net::std_api::check_timeout(timeout)?;
            self.io.poll_desc().set_timeout($crate::reactor::Dir::Read, timeout);
            Ok(())
        }

        /// Sets the write timeout (see `set_read_timeout`).
        ///
        /// # Errors
        ///
        /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
        pub fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
            $crate::net::std_api::check_timeout(timeout)?;
            self.io.poll_desc().set_timeout($crate::reactor::Dir::Write, timeout);
            Ok(())
        }

        /// The read timeout.
        ///
        /// # Errors
        ///
        /// Never; `io::Result` for std's signature.
        pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.io.poll_desc().timeout($crate::reactor::Dir::Read))
        }

        /// The write timeout.
        ///
        /// # Errors
        ///
        /// Never; `io::Result` for std's signature.
        pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.io.poll_desc().timeout($crate::reactor::Dir::Write))
        }

        fn read_deadline(&self) -> Option<$crate::reactor::Deadline> {
            $crate::net::std_api::deadline(
                &self.io,
                $crate::reactor::Dir::Read,
                std::io::ErrorKind::WouldBlock,
            )
        }

        fn write_deadline(&self) -> Option<$crate::reactor::Deadline> {
            $crate::net::std_api::deadline(
                &self.io,
                $crate::reactor::Dir::Write,
                std::io::ErrorKind::WouldBlock,
            )
        }
    };
}
pub(crate) use timeout_methods;

/// `set_nonblocking`, for every socket type: with `true`, operations return
/// `WouldBlock` instead of waiting. Expands inside an `impl` block.
macro_rules! nonblocking_method {
    () => {
        /// With `true`, operations return `WouldBlock` instead of waiting.
        ///
        /// # Errors
        ///
        /// Never; `io::Result` for std's signature.
        pub fn set_nonblocking(&self, nonblocking: bool) -> std::io::Result<()> {
            self.io.poll_desc().set_nonblocking(nonblocking);
            Ok(())
        }
    };
}
pub(crate) use nonblocking_method;

/// `Read` and `Write` for a stream type and for `&` it, so a reader fiber
/// and a writer fiber can share one stream. The calls are `recv`/`send`
/// with `MSG_DONTWAIT` (and `MSG_NOSIGNAL`), so they never block a worker
/// and never raise SIGPIPE, whatever another handle did to the socket's
/// mode. A short read or write clears the readiness token: the next call
/// parks at once instead of making a syscall that would say `EAGAIN`.
macro_rules! stream_io {
    ($ty:ident) => {
        impl std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let (len, s) = (buf.len(), *self);
                s.io.run(
                    $crate::reactor::Dir::Read,
                    s.read_deadline(),
                    || $crate::sys::socket::recv(std::os::fd::AsFd::as_fd(&s.inner), buf, false),
                    |&n| n > 0 && n < len,
                )
            }

            fn read_vectored(&mut self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                let (len, s) = (bufs.iter().map(|b| b.len()).sum::<usize>(), *self);
                let op = || $crate::sys::socket::recv_vectored(std::os::fd::AsFd::as_fd(&s.inner), bufs);
                s.io.run($crate::reactor::Dir::Read, s.read_deadline(), op, |&n| n > 0 && n < len)
            }
        }

        impl std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let (len, s) = (buf.len(), *self);
                s.io.run(
                    $crate::reactor::Dir::Write,
                    s.write_deadline(),
                    || $crate::sys::socket::send(std::os::fd::AsFd::as_fd(&s.inner), buf),
                    |&n| n < len,
                )
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                let (len, s) = (bufs.iter().map(|b| b.len()).sum::<usize>(), *self);
                let op = || $crate::sys::socket::send_vectored(std::os::fd::AsFd::as_fd(&s.inner), bufs);
                s.io.run($crate::reactor::Dir::Write, s.write_deadline(), op, |&n| n < len)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(&mut self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}
pub(crate) use stream_io;

/// Copies timeouts and the non-blocking choice to a clone's descriptor.
pub(crate) fn copy_settings(from: &IoSource, to: &IoSource) {
    let (from, to) = (from.poll_desc(), to.poll_desc());
    to.set_timeout(Dir::Read, from.timeout(Dir::Read));
    to.set_timeout(Dir::Write, from.timeout(Dir::Write));
    to.set_nonblocking(from.is_nonblocking());
}

/// `try_clone` and `take_error`, the same for every socket type: a clone is
/// a `dup` of the fd under the reactor, with this handle's timeouts and
/// non-blocking choice. Expands inside an `impl` block of a type with `io`
/// and `inner` fields and a `from_nonblocking` constructor.
macro_rules! handle_methods {
    () => {
        /// A new handle to the same socket; its timeouts and non-blocking
        /// setting are copied.
        ///
        /// # Errors
        ///
        /// As std (`dup` can fail with `EMFILE`).
        pub fn try_clone(&self) -> std::io::Result<Self> {
            let clone = Self::from_nonblocking(self.inner.try_clone()?)?;
            $crate::net::std_api::copy_settings(&self.io, &clone.io);
            Ok(clone)
        }

        /// Takes the pending socket error (`SO_ERROR`).
        ///
        /// # Errors
        ///
        /// As std.
        pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
            self.inner.take_error()
        }
    };
}
pub(crate) use handle_methods;

/// `set_ttl` and `ttl` (`IP_TTL`), for the IP socket types.
macro_rules! ttl_methods {
    () => {
        /// Sets `IP_TTL`.
        ///
        /// # Errors
        ///
        /// As std.
        pub fn set_ttl(&self, ttl: u32) -> std::io::Result<()> {
            self.inner.set_ttl(ttl)
        }

        /// Reads `IP_TTL`.
        ///
        /// # Errors
        ///
        /// As std.
        pub fn ttl(&self) -> std::io::Result<u32> {
            self.inner.ttl()
        }
    };
}
pub(crate) use ttl_methods;
