//! [`IoSource`]: the handle a socket owns on its fd's poll descriptor, and
//! the blocking loop every IO operation runs through.
//!
//! [`IoSource::run`] runs the poll descriptor's IO loop
//! ([`PollDesc::run_io`]): try the non-blocking syscall while the token
//! says ready; on `EAGAIN` clear the token (tick-checked) and wait for the
//! next edge. On a fiber the wait parks the fiber: the fd is added to the
//! poller of that fiber's worker the first time (read and write,
//! edge-triggered, data = generation and fd), and never touched again
//! until it closes — zero `epoll_ctl` per wait (DESIGN.md decision 4). On a
//! plain thread the wait is `poll(2)` on the fd, so the operation blocks
//! the thread like std's (decision 11).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use super::arena;
use super::poll_desc::{Deadline, Dir, PollDesc, timed_out};
use super::poller;
use crate::fiber::{self, WaitOn};
use crate::sys;
use crate::sys::poll::wait_fd;

/// A socket's registration with the reactor. Drop it *before* closing the
/// fd (declare it before the socket in the owning struct).
#[derive(Debug)]
pub(crate) struct IoSource {
    fd: RawFd,
    generation: u32,
    pd: &'static PollDesc,
}

impl IoSource {
    /// Starts tracking a fresh, non-blocking fd.
    pub(crate) fn new(fd: BorrowedFd<'_>) -> io::Result<Self> {
        let fd = fd.as_raw_fd();
        let pd = arena::get_or_create(fd)?;
        #[cfg(feature = "hook")]
        super::hooked::before_owned(fd, pd);
        let generation = pd.open();
        #[cfg(feature = "hook")]
        super::hooked::owned(pd);
        Ok(Self { fd, generation, pd })
    }

    /// A view of `fd`'s source at `generation`, for the libc hook; the
    /// caller must not drop it (`reactor::hooked` wraps it in
    /// `ManuallyDrop`): the fd is not its to close.
    #[cfg(feature = "hook")]
    pub(super) fn borrowed(fd: RawFd, generation: u32, pd: &'static PollDesc) -> Self {
        Self { fd, generation, pd }
    }

    /// Runs `op`, a non-blocking syscall on this fd, until it does not
    /// return `WouldBlock`, waiting for `dir` in between. `short` tells
    /// whether a successful result used up the readiness (a short stream
    /// read or write): then the token is cleared, so the next call parks
    /// at once instead of making a syscall that would say `EAGAIN`.
    pub(crate) fn run<R>(
        &self,
        dir: Dir,
        deadline: Option<Deadline>,
        op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        if self.pd.is_nonblocking() {
            let mut op = op;
            return op();
        }
        let Some(ctx) = fiber::carrier::fiber_context() else {
            return self.run_on_thread(dir, deadline, op);
        };
        let done = self.pd.run_io(dir, op, short, || self.park(dir, deadline));
        if done.is_ok() {
            // The same context after a park: a fiber never changes thread.
            ctx.spend_io();
        }
        done
    }

    /// The plain-thread version of `run`: `poll(2)` between attempts.
    fn run_on_thread<R>(
        &self,
        dir: Dir,
        deadline: Option<Deadline>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op() {
                Err(e) if sys::would_block(&e) => {}
                Err(e) if sys::interrupted(&e) => continue,
                other => return other,
            }
            // SAFETY: `self.fd` stays open while the owner holds this source.
            let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
            if !wait_fd(fd, dir == Dir::Read, deadline.map(|d| d.at))? {
                return Err(timed_out(deadline));
            }
        }
    }

    /// Parks the running fiber until an edge of `dir`, the deadline, or the
    /// close of the fd ([`PollDesc::wait`]), once the fd is in the poller
    /// of the fiber's worker.
    fn park(&self, dir: Dir, deadline: Option<Deadline>) -> io::Result<()> {
        self.register()?;
        self.pd.wait(dir, deadline, WaitOn::Io { fd: self.fd, write: dir == Dir::Write })
    }

    /// Adds the fd to the epoll of the running fiber's worker, the first time.
    #[inline]
    pub(crate) fn register(&self) -> io::Result<()> {
        let added = poller::with_current(|poller| {
            if !self.pd.claim_registration(poller) {
                return Ok(());
            }
            // SAFETY: `self.fd` stays open while the owner holds this source.
            let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
            poller.add(fd, self.generation).inspect_err(|_| {
                self.pd.unclaim_registration();
            })
        });
        added.unwrap_or(Ok(()))
    }

    /// The async face of [`run`](Self::run), for a `poll_*` method (the
    /// `tokio-io` and `futures-io` traits): the same loop, but where `run`
    /// would park, the task's waker is stored beside the fd's fiber waiters
    /// ([`PollDesc::register_task`]) and the poll returns `Pending`; the
    /// next edge wakes the waker. No busy polling, no timer. The socket's
    /// timeouts and non-blocking mode do not apply (an async caller times
    /// out with its own future). Counts against the IO budget like `run`.
    ///
    /// Only on a fiber (inside `fiberio::future::block_on`): the fd is
    /// added to the poller of the fiber's worker. Polled off a fiber (by
    /// another runtime's task, say) it fails with a clear error.
    #[cfg(any(feature = "tokio-io", feature = "futures-io"))]
    pub(crate) fn poll_io<R>(
        &self,
        dir: Dir,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let Some(ctx) = fiber::carrier::fiber_context() else {
            return Poll::Ready(Err(polled_off_fiber()));
        };
        let done = std::task::ready!(self.pd.poll_io(dir, cx.waker(), op, short, || self.register()));
        if done.is_ok() {
            ctx.spend_io();
        }
        Poll::Ready(done)
    }

    /// The async face of [`wait_ready`](Self::wait_ready): `Ready` once the
    /// fd is ready for `dir`, else the waker is stored for the next edge.
    /// Only on a fiber, as [`poll_io`](Self::poll_io).
    pub(crate) fn poll_ready(&self, dir: Dir, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !fiber::in_fiber() {
            return Poll::Ready(Err(polled_off_fiber()));
        }
        // SAFETY: `self.fd` stays open while the owner holds this source.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let read = dir == Dir::Read;
        let check = || {
            if sys::poll::is_ready(fd, read)? { Ok(()) } else { Err(io::ErrorKind::WouldBlock.into()) }
        };
        self.pd.poll_io(dir, cx.waker(), check, |_| false, || self.register())
    }

    /// Waits until the fd is ready for `dir` (readable, or writable; a
    /// hang-up or a pending error counts as ready), parking the fiber, or
    /// blocking the thread off a fiber. Whether the fd is ready is asked of
    /// the kernel (`poll(2)`, timeout 0), not taken from the readiness
    /// token alone, which may be optimistic: this returns only when the
    /// next operation will not find `EAGAIN` (unless another reader or
    /// writer takes the readiness first). The fd's own non-blocking mode
    /// does not matter here: a readiness wait always waits.
    pub(crate) fn wait_ready(&self, dir: Dir) -> io::Result<()> {
        // SAFETY: `self.fd` stays open while the owner holds this source.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let read = dir == Dir::Read;
        if !fiber::in_fiber() {
            return wait_fd(fd, read, None).map(drop);
        }
        let check = || {
            if sys::poll::is_ready(fd, read)? { Ok(()) } else { Err(io::ErrorKind::WouldBlock.into()) }
        };
        self.pd.run_io(dir, check, |_| false, || self.park(dir, None))
    }

    /// The fd's poll descriptor.
    pub(crate) fn poll_desc(&self) -> &'static PollDesc {
        self.pd
    }
}

/// The error of an async poll off a fiber.
#[cold]
fn polled_off_fiber() -> io::Error {
    io::Error::other(
        "fiberio: a fiberio socket was polled outside a fiber (by another runtime's task?); \
         poll it inside `fiberio::future::block_on` on a fiber, whose worker's reactor wakes it",
    )
}

impl Drop for IoSource {
    fn drop(&mut self) {
        // Wake waiters (they see the fd closed), end the generation, and
        // take the fd out of the epoll that holds it: a dup of the fd would
        // otherwise keep the registration alive after this fd closes.
        if let Some(poller) = self.pd.close() {
            poller.delete(self.fd);
        }
        #[cfg(feature = "hook")]
        super::hooked::disowned(self.pd);
    }
}
