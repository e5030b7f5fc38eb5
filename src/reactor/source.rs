//! [`IoSource`]: the handle a socket owns on its fd's poll descriptor, and
//! the blocking loop every IO operation runs through.
//!
//! [`IoSource::run`] tries the non-blocking syscall while the token says
//! ready; on `EAGAIN` it clears the token (tick-checked) and waits for the
//! next edge. On a fiber the wait parks the fiber: the fd is added to the
//! epoll of that fiber's worker the first time (`EPOLLIN | EPOLLOUT |
//! EPOLLRDHUP | EPOLLET`, data = generation and fd), and never touched again
//! until it closes — zero `epoll_ctl` per wait (DESIGN.md decision 4). On a
//! plain thread the wait is `poll(2)` on the fd, so the operation blocks
//! the thread like std's (decision 11).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Instant;

use super::arena;
use super::poll_desc::{Dir, PollDesc};
use crate::fiber::park::Reason;
use crate::fiber::waiter::wait;
use crate::loom::sync::atomic::Ordering::Relaxed;
use crate::sys::poll::wait_fd;
use crate::{sched, sys};

/// When a wait gives up, and with which error kind (std uses `WouldBlock`
/// for a read/write timeout, `TimedOut` for `connect_timeout`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) kind: io::ErrorKind,
}

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
        let generation = pd.open();
        Ok(Self { fd, generation, pd })
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
        mut op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        if self.pd.is_nonblocking() {
            return op();
        }
        if !sched::in_fiber() {
            return self.run_on_thread(dir, deadline, op);
        }
        let token = self.pd.token(dir);
        loop {
            let seen = token.snapshot();
            if seen.is_closed() {
                return Err(closed());
            }
            if seen.is_ready() {
                match op() {
                    Ok(r) => {
                        if short(&r) {
                            token.clear(seen);
                        } else {
                            self.pd.pass_on(dir);
                        }
                        return Ok(r);
                    }
                    Err(e) if sys::would_block(&e) => {
                        token.clear(seen);
                    }
                    Err(e) if sys::interrupted(&e) => continue,
                    Err(e) => return Err(e),
                }
            }
            self.park(dir, deadline)?;
        }
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
    /// close of the fd.
    fn park(&self, dir: Dir, deadline: Option<Deadline>) -> io::Result<()> {
        self.register()?;
        match wait(deadline.map(|d| d.at), |waiter| self.pd.register_waiter(dir, waiter)) {
            Reason::Notified => Ok(()),
            Reason::TimedOut => Err(timed_out(deadline)),
            Reason::Shutdown => Err(io::Error::other("fiberio: the runtime is shutting down")),
            // The waiter is pruned from the queue by the next edge.
            Reason::Cancelled => crate::fiber::cancel::unwind(),
        }
    }

    /// Adds the fd to the running fiber's worker's epoll, the first time.
    fn register(&self) -> io::Result<()> {
        let Some(worker) = sched::current_worker_shared() else { return Ok(()) };
        if !self.pd.claim_registration(worker) {
            return Ok(());
        }
        let events = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
        // SAFETY: `self.fd` stays open while the owner holds this source.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let added = worker.with_fds(|fds| fds.epoll.add(fd, events, token(self.fd, self.generation)));
        if let Err(e) = added.expect("a running worker has its fds") {
            self.pd.unclaim_registration();
            return Err(e);
        }
        worker.io_sources.fetch_add(1, Relaxed);
        Ok(())
    }

    /// The fd's poll descriptor.
    pub(crate) fn poll_desc(&self) -> &'static PollDesc {
        self.pd
    }
}

impl Drop for IoSource {
    fn drop(&mut self) {
        // Wake waiters (they see the fd closed), end the generation, and
        // take the fd out of the epoll that holds it: a dup of the fd would
        // otherwise keep the registration alive after this fd closes.
        if let Some(worker) = self.pd.close() {
            // After the worker shut down its epoll is closed: nothing to remove.
            let _ = worker.with_fds(|fds| fds.epoll.delete(self.fd));
            worker.io_sources.fetch_sub(1, Relaxed);
        }
    }
}

/// The epoll data of a registration: generation in the high half, fd low.
fn token(fd: RawFd, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(fd as u32)
}

fn timed_out(deadline: Option<Deadline>) -> io::Error {
    let kind = deadline.map_or(io::ErrorKind::TimedOut, |d| d.kind);
    io::Error::new(kind, "fiberio: the operation timed out")
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "fiberio: the socket was closed while in use")
}

/// Hands one epoll event to its poll descriptor (called by the worker).
/// Events for an fd closed (and maybe reused) since they were registered
/// carry an old generation and are dropped (race 6).
pub(crate) fn dispatch(data: u64, events: u32) {
    let (fd, generation) = (data as u32 as RawFd, (data >> 32) as u32);
    let Some(pd) = arena::get(fd) else { return };
    // A cheap early out; `deliver` checks again under its lock.
    if pd.generation() != generation {
        return;
    }
    let events = events as i32;
    // A hang-up or error is reported once by edge-triggered epoll: it
    // makes the direction ready for good (see `readiness.rs`).
    let read_hup = events & (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) != 0;
    if read_hup || events & libc::EPOLLIN != 0 {
        pd.deliver(generation, Dir::Read, read_hup);
    }
    let write_hup = events & (libc::EPOLLHUP | libc::EPOLLERR) != 0;
    if write_hup || events & libc::EPOLLOUT != 0 {
        pd.deliver(generation, Dir::Write, write_hup);
    }
}
