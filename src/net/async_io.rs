//! The async IO traits for the stream types, behind cargo features:
//! `tokio-io` (`tokio::io::AsyncRead` / `AsyncWrite`) and `futures-io`
//! (`futures_io::AsyncRead` / `AsyncWrite`), for a stream and for `&` it.
//! So async crates — hyper through hyper-util's `TokioIo`, tokio-postgres's
//! `connect_raw`, tungstenite's async face — run over fiberio's sockets
//! inside [`future::block_on`](crate::future::block_on) on a fiber.
//!
//! Each poll runs the reactor's IO loop once (`IoSource::poll_io`): the
//! non-blocking syscall while the readiness token says ready; on `EAGAIN`
//! the task's waker is stored beside the socket's fiber waiters, and the
//! next edge the worker's poller delivers wakes it — the fiber parked in
//! `block_on` resumes on its own worker. No busy polling, no timer.
//!
//! The socket's timeouts and `set_nonblocking` do not apply to these polls
//! (an async caller times out with its own future), and only the last
//! polling task of each direction is woken, as with tokio's sockets. Polled
//! off a fiber — by another runtime's task — they fail with an error that
//! says so.

use std::io;
use std::task::{Context, Poll};

use crate::reactor::Dir;
use crate::sys::socket;

/// The poll operations the traits share, on the socket's `IoSource` and
/// fd: expands inside an `impl` of a stream type with `io: IoSource` and
/// `inner` fields.
macro_rules! poll_ops {
    () => {
        /// `recv` into possibly uninitialised memory, or `Pending`.
        #[cfg(feature = "tokio-io")]
        fn poll_recv_uninit(
            &self,
            cx: &mut Context<'_>,
            buf: &mut [std::mem::MaybeUninit<u8>],
        ) -> Poll<io::Result<usize>> {
            let (len, fd) = (buf.len(), std::os::fd::AsFd::as_fd(&self.inner));
            self.io.poll_io(Dir::Read, cx, || socket::recv_uninit(fd, buf), |&n| n > 0 && n < len)
        }

        /// `recv`, or `Pending`.
        #[cfg(feature = "futures-io")]
        fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            let (len, fd) = (buf.len(), std::os::fd::AsFd::as_fd(&self.inner));
            self.io.poll_io(Dir::Read, cx, || socket::recv(fd, buf, false), |&n| n > 0 && n < len)
        }

        /// `recvmsg` scattering into `bufs`, or `Pending`.
        #[cfg(feature = "futures-io")]
        fn poll_recv_vectored(
            &self,
            cx: &mut Context<'_>,
            bufs: &mut [io::IoSliceMut<'_>],
        ) -> Poll<io::Result<usize>> {
            let len = bufs.iter().map(|b| b.len()).sum::<usize>();
            let fd = std::os::fd::AsFd::as_fd(&self.inner);
            self.io.poll_io(Dir::Read, cx, || socket::recv_vectored(fd, bufs), |&n| n > 0 && n < len)
        }

        /// `send`, or `Pending`.
        fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            let (len, fd) = (buf.len(), std::os::fd::AsFd::as_fd(&self.inner));
            self.io.poll_io(Dir::Write, cx, || socket::send(fd, buf), |&n| n < len)
        }

        /// `sendmsg` gathering from `bufs`, or `Pending`.
        fn poll_send_vectored(
            &self,
            cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let len = bufs.iter().map(|b| b.len()).sum::<usize>();
            let fd = std::os::fd::AsFd::as_fd(&self.inner);
            self.io.poll_io(Dir::Write, cx, || socket::send_vectored(fd, bufs), |&n| n < len)
        }

        /// Shuts the write half down (`poll_shutdown`, `poll_close`).
        fn poll_shutdown_write(&self) -> Poll<io::Result<()>> {
            Poll::Ready(self.inner.shutdown(std::net::Shutdown::Write))
        }
    };
}

/// The `tokio-io` traits for each of the given types (a stream type, and
/// `&` it: the bodies reach the stream's poll operations through `Deref`).
#[cfg(feature = "tokio-io")]
macro_rules! tokio_traits {
    ($($ty:ty),*) => {$(
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                // SAFETY: `recv_uninit` only writes into the unfilled part,
                // and only the `n` bytes it reports are marked initialised.
                let unfilled = unsafe { buf.unfilled_mut() };
                let n = std::task::ready!(self.poll_recv_uninit(cx, unfilled))?;
                // SAFETY: the kernel initialised the first `n` bytes.
                unsafe { buf.assume_init(n) };
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }

        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.poll_send(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_send_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.poll_shutdown_write()
            }
        }
    )*};
}

/// The `futures-io` traits for each of the given types (as
/// `tokio_traits`).
#[cfg(feature = "futures-io")]
macro_rules! futures_traits {
    ($($ty:ty),*) => {$(
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.poll_recv(cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [io::IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_recv_vectored(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.poll_send(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.poll_send_vectored(cx, bufs)
            }

            fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.poll_shutdown_write()
            }
        }
    )*};
}

macro_rules! async_stream {
    ($ty:ty) => {
        impl $ty {
            poll_ops!();
        }
        #[cfg(feature = "tokio-io")]
        tokio_traits!(&$ty, $ty);
        #[cfg(feature = "futures-io")]
        futures_traits!(&$ty, $ty);
    };
}

async_stream!(super::TcpStream);
async_stream!(super::unix::UnixStream);
