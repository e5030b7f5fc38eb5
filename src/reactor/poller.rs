//! [`Poller`]: one worker's readiness source — its epoll instance, the
//! eventfd that wakes it, and the count of fds registered in it — and the
//! dispatch of each event to its fd's poll descriptor.
//!
//! A worker holds its poller and calls [`Poller::poll`]; the poller hands
//! every event to the [`PollDesc`](super::poll_desc::PollDesc) its token
//! names, which wakes the fd's waiters. The poller knows waiters, never
//! the worker: what a woken fiber's worker does with it is the fiber's
//! business (`fiber::task::Home`).
//!
//! Other threads use a poller too: to remove an fd that closes (its
//! [`IoSource`](super::IoSource) may be dropped anywhere) and to wake the
//! worker ([`Poller::wake`]). The worker closes the poller's fds when it
//! shuts down ([`Poller::close`]), so a socket that outlives its runtime
//! keeps only itself open, and a poll descriptor still naming a closed
//! poller registers anew with the next worker that waits on it.
//!
//! While a worker runs, its thread's *current* poller
//! ([`Poller::enter`], [`with_current`]) is where a fiber of that worker
//! registers the fds it waits on.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::time::Duration;

use super::arena;
use super::poll_desc::Ready;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, RwLock};
use crate::sys::epoll::{Epoll, Event, Interest, Trigger};
use crate::sys::eventfd::EventFd;

/// The token of the poller's own wake-up eventfd.
const WAKE_TOKEN: u64 = u64::MAX;

/// A worker's readiness source (see the module docs).
#[derive(Debug)]
pub(crate) struct Poller {
    /// The epoll instance and the eventfd registered in it (level-
    /// triggered); `None` once the worker has shut down.
    fds: RwLock<Option<(Epoll, EventFd)>>,
    /// fds registered besides the eventfd. While it is 0, a non-blocking
    /// poll has nothing to find — the eventfd is written only while the
    /// worker sleeps — so [`poll`](Self::poll) skips the syscall.
    sources: AtomicUsize,
    /// Set when the worker has shut down: fds registered here must be
    /// registered anew by whoever waits on them next.
    closed: AtomicBool,
}

impl Poller {
    /// An epoll instance with a wake-up eventfd registered in it.
    pub(crate) fn new() -> io::Result<Self> {
        let epoll = Epoll::new()?;
        let eventfd = EventFd::new()?;
        epoll.add(eventfd.as_fd(), Interest::READABLE, Trigger::Level, WAKE_TOKEN)?;
        Ok(Self {
            fds: RwLock::new(Some((epoll, eventfd))),
            sources: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        })
    }

    /// Waits for events (up to `timeout`; `None`: no limit, `Some(ZERO)`:
    /// not at all) and dispatches each to its poll descriptor, waking its
    /// waiters; returns how many arrived, a wake-up included. A
    /// non-blocking poll with no fd registered returns 0 at once.
    ///
    /// # Errors
    ///
    /// `epoll_wait`'s, or `NotConnected` once the poller is closed.
    pub(crate) fn poll(&self, events: &mut [Event], timeout: Option<Duration>) -> io::Result<usize> {
        if timeout == Some(Duration::ZERO) && !self.has_sources() {
            return Ok(0);
        }
        let n = self.with_fds(|(epoll, eventfd)| {
            let n = epoll.wait(events, timeout)?;
            if events[..n].iter().any(|e| e.token() == WAKE_TOKEN) {
                // Level-triggered: a wake that lands later shows up again.
                eventfd.drain();
            }
            Ok::<_, io::Error>(n)
        });
        let n =
            n.unwrap_or_else(|| Err(io::Error::new(io::ErrorKind::NotConnected, "the poller is closed")))?;
        for event in &events[..n] {
            if event.token() != WAKE_TOKEN {
                dispatch(event);
            }
        }
        Ok(n)
    }

    /// Whether any fd besides the eventfd is registered.
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.load(Relaxed) != 0
    }

    /// Makes a blocked or next [`poll`](Self::poll) return (writes the
    /// eventfd). Nothing to do once the poller is closed.
    pub(crate) fn wake(&self) -> io::Result<()> {
        self.with_fds(|(_, eventfd)| eventfd.notify()).unwrap_or(Ok(()))
    }

    /// Closes the epoll instance and the eventfd (the worker's shutdown).
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        crate::loom::write(&self.fds).take();
    }

    /// Whether [`close`](Self::close) has begun.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Relaxed)
    }

    /// Adds `fd`, of generation `generation`, for both directions,
    /// edge-triggered, until [`delete`](Self::delete): zero `epoll_ctl` per
    /// wait (DESIGN.md decision 4).
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, generation: u32) -> io::Result<()> {
        let interest = Interest::READABLE.add(Interest::WRITABLE);
        let token = token(fd, generation);
        match self.with_fds(|(epoll, _)| epoll.add(fd, interest, Trigger::Edge, token)) {
            Some(Ok(())) => {
                self.sources.fetch_add(1, Relaxed);
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "fiberio: the worker has shut down")),
        }
    }

    /// Removes `fd`, added by [`add`](Self::add).
    pub(crate) fn delete(&self, fd: RawFd) {
        // After the worker shut down its epoll is closed: nothing to remove.
        let _ = self.with_fds(|(epoll, _)| epoll.delete(fd));
        self.sources.fetch_sub(1, Relaxed);
    }

    fn with_fds<R>(&self, f: impl FnOnce(&(Epoll, EventFd)) -> R) -> Option<R> {
        crate::loom::read(&self.fds).as_ref().map(f)
    }

    /// Makes `self` this thread's current poller while `f` runs (a worker,
    /// for its whole life).
    pub(crate) fn enter<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(std::ptr::null()));
            }
        }
        CURRENT.with(|c| c.set(self));
        let _reset = Reset;
        f()
    }
}

thread_local! {
    /// The poller of the worker running on this thread, if it is one.
    static CURRENT: Cell<*const Arc<Poller>> = const { Cell::new(std::ptr::null()) };
}

/// Runs `f` with this thread's current poller; `None` off a worker.
#[inline(always)]
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Poller>) -> R) -> Option<R> {
    let ptr = CURRENT.with(Cell::get);
    // SAFETY: non-null only inside `Poller::enter`, whose borrow of the
    // `Arc` outlives everything that runs on this thread meanwhile.
    unsafe { ptr.as_ref() }.map(f)
}

/// The epoll data of a registration: generation in the high half, fd low.
fn token(fd: BorrowedFd<'_>, generation: u32) -> u64 {
    use std::os::fd::AsRawFd;
    (u64::from(generation) << 32) | u64::from(fd.as_raw_fd() as u32)
}

/// Hands one event to its poll descriptor, decoded: the fd and generation
/// of its data, and what it says of each direction (an error counts as a
/// hang-up of both). The poll descriptor drops an event of an older
/// generation (race 6).
fn dispatch(event: &Event) {
    let data = event.token();
    let (fd, generation) = (data as u32 as RawFd, (data >> 32) as u32);
    let Some(pd) = arena::get(fd) else { return };
    pd.dispatch(
        generation,
        Ready {
            read: event.is_readable(),
            write: event.is_writable(),
            read_hup: event.is_read_closed() || event.is_error(),
            write_hup: event.is_write_closed() || event.is_error(),
        },
    );
}
