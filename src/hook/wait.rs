//! The interposed waits: `poll`, `ppoll`, `epoll_wait`, `epoll_pwait`,
//! `nanosleep`, `clock_nanosleep`.
//!
//! On a fiber, `poll` waits on the readiness tokens of its fds — the
//! same tokens and waiter queues as `fiberio::net` —, with one waiter
//! queued on each (clones of one waiter: the first edge wins, decision 7):
//! "snapshot every token → `ppoll` with a zero timeout → clear each token
//! with its snapshot (a newer edge survives) → queue the waiters, which
//! re-checks → park", until an fd is ready or the timeout passes. An fd
//! epoll cannot watch (a regular file, a terminal, stdio) makes the call
//! libc's, blocking the worker as before. `epoll_wait` is `poll` on the
//! epoll fd itself (readable when its ready list is not empty), then a
//! zero-timeout `epoll_wait` for the events. A signal mask (`ppoll`,
//! `epoll_pwait`) cannot be applied to a parked fiber: such calls, like
//! every call off a fiber, go to the kernel as they are.
//!
//! The sleeps are `fiberio::sleep` on a fiber.
//!
//! # Safety (all of them)
//!
//! libc's contract: `fds` points at `nfds` `pollfd`s, `events` at
//! `maxevents` writable `epoll_event`s, the `timespec`s are valid. A
//! parked fiber's stack, where such arrays usually live, stays valid.

use std::ffi::{c_int, c_long};
use std::io;
use std::time::{Duration, Instant};

use super::fd::route;
use super::guard;
use crate::fiber::{self, WaitOn, Woken};
use crate::reactor::hooked::{self, FdKind, HookedFd, Tracked};
use crate::reactor::{Dir, readiness::Snapshot};
use crate::sys::raw::{self, nr};

/// A deadline `ms` milliseconds away (`None`: forever).
fn ms_deadline(ms: c_int) -> Option<Instant> {
    (ms >= 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
}

/// A `timespec` as a duration; `None` if it is not a valid one.
fn duration(ts: &libc::timespec) -> Option<Duration> {
    (ts.tv_sec >= 0 && (0..1_000_000_000).contains(&ts.tv_nsec))
        .then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// A wait on the tokens of some fds: each (fd, direction, snapshot).
type Watch = Vec<(HookedFd, Dir, Snapshot)>;

/// Parks the fiber until `ready` finds something, on the readiness of
/// `watch`'s fds, or `deadline` passes; `ready` is a zero-timeout check.
fn park_until_ready(
    mut watch: Watch,
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> io::Result<usize>,
) -> io::Result<usize> {
    loop {
        for (h, dir, seen) in &mut watch {
            *seen = h.pd().token(*dir).snapshot();
        }
        let n = ready()?;
        if n > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(n);
        }
        for (h, dir, seen) in &watch {
            if seen.is_closed() {
                return Err(raw::err(libc::EBADF)); // closed by another fiber
            }
            h.pd().token(*dir).clear(*seen);
            h.source().register()?;
        }
        let woken = fiber::wait(deadline, WaitOn::Poll, |waiter| {
            for (h, dir, _) in &watch {
                h.pd().register_waiter(*dir, waiter.clone());
            }
        });
        if woken == Woken::Shutdown {
            return Err(raw::err(libc::ECANCELED));
        }
    }
}

/// The watch for `fds`, adopting what it can; `None` if an fd cannot be
/// watched.
fn watch_fds(fds: &[libc::pollfd]) -> Option<Watch> {
    let mut watch = Vec::with_capacity(fds.len());
    for p in fds.iter().filter(|p| p.fd >= 0) {
        let _ = route(p.fd); // adopts a socket or FIFO seen for the first time
        let read = p.events & (libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP) != 0;
        let write = p.events & libc::POLLOUT != 0;
        for (on, dir) in [(read || !write, Dir::Read), (write, Dir::Write)] {
            if on {
                let h = hooked::watchable(p.fd)?;
                let seen = h.pd().token(dir).snapshot();
                watch.push((h, dir, seen));
            }
        }
    }
    Some(watch)
}

/// `ppoll(2)` as the kernel makes it.
///
/// # Safety
///
/// libc's contract for `ppoll`.
unsafe fn raw_ppoll(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
    ts: *const libc::timespec,
    mask: *const libc::sigset_t,
) -> c_int {
    // The kernel writes the time left into `ts`: give it a copy, as glibc does.
    // SAFETY: a non-null `ts` is valid (the caller's contract).
    let mut copy = (!ts.is_null()).then(|| unsafe { *ts });
    let ts = copy.as_mut().map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    let args = [fds as c_long, nfds as c_long, ts as c_long, mask as c_long, raw::SIGSET_SIZE, 0];
    // SAFETY: the caller's contract; `ts` lives across the call.
    raw::ret(unsafe { raw::call(nr::PPOLL, args) }) as c_int
}

/// The fiber side of `poll`/`ppoll`: `None` if it must be the kernel's.
///
/// # Safety
///
/// `fds` points at `nfds` valid `pollfd`s.
unsafe fn poll_fiber(fds: *mut libc::pollfd, nfds: libc::nfds_t, deadline: Option<Instant>) -> Option<c_int> {
    let slice = if nfds == 0 {
        &[][..]
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(fds, nfds as usize) }
    };
    let watch = watch_fds(slice)?;
    // SAFETY: the caller's contract.
    let res = guard(|| park_until_ready(watch, deadline, || unsafe { raw::poll_now(fds, nfds) }));
    Some(raw::ret(res) as c_int)
}

/// `poll(2)`, parking only the fiber while its fds are not ready.
///
/// # Safety
///
/// `fds` must point at `nfds` valid, writable `pollfd`s (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn poll(fds: *mut libc::pollfd, nfds: libc::nfds_t, timeout: c_int) -> c_int {
    if super::on_fiber() && timeout != 0 {
        // SAFETY: the caller's contract.
        if let Some(n) = unsafe { poll_fiber(fds, nfds, ms_deadline(timeout)) } {
            return n;
        }
    }
    let ts = (timeout >= 0).then(|| libc::timespec {
        tv_sec: (timeout / 1000) as libc::time_t,
        tv_nsec: ((timeout % 1000) * 1_000_000) as c_long,
    });
    let ts = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: the caller's contract; `ts` lives across the call.
    unsafe { raw_ppoll(fds, nfds, ts, std::ptr::null()) }
}

/// `ppoll(2)`, parking only the fiber (when it sets no signal mask).
///
/// # Safety
///
/// `fds` must point at `nfds` valid, writable `pollfd`s; `ts` and `mask`,
/// if not null, must be valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn ppoll(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
    ts: *const libc::timespec,
    mask: *const libc::sigset_t,
) -> c_int {
    // SAFETY: a non-null `ts` is valid (the caller's contract).
    let timeout = (!ts.is_null()).then(|| unsafe { *ts });
    let zero = timeout.is_some_and(|t| t.tv_sec == 0 && t.tv_nsec == 0);
    if mask.is_null() && !zero && super::on_fiber() {
        let deadline = match timeout.map(|t| duration(&t)) {
            Some(None) => return raw::ret(Err(raw::err(libc::EINVAL))) as c_int,
            Some(Some(d)) => Instant::now().checked_add(d),
            None => None,
        };
        // SAFETY: the caller's contract.
        if let Some(n) = unsafe { poll_fiber(fds, nfds, deadline) } {
            return n;
        }
    }
    // SAFETY: the caller's contract.
    unsafe { raw_ppoll(fds, nfds, ts, mask) }
}

/// The epoll fd `epfd`, watched by the reactor; `None` if it cannot be.
fn watch_epoll(epfd: c_int) -> Option<Watch> {
    if let Tracked::Untracked = hooked::lookup(epfd)
        && let Ok(true) = hooked::begin_adopt(epfd)
    {
        hooked::finish_adopt(epfd, Some(FdKind::Watched));
    }
    let h = hooked::watchable(epfd)?;
    let seen = h.pd().token(Dir::Read).snapshot();
    Some(vec![(h, Dir::Read, seen)])
}

/// `epoll_wait(2)`, parking only the fiber while no event is ready.
///
/// # Safety
///
/// `events` must be valid for writes of `maxevents` `epoll_event`s
/// (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn epoll_wait(
    epfd: c_int,
    events: *mut libc::epoll_event,
    maxevents: c_int,
    timeout: c_int,
) -> c_int {
    // SAFETY: the same contract, with no signal mask.
    unsafe { epoll_pwait(epfd, events, maxevents, timeout, std::ptr::null()) }
}

/// `epoll_pwait(2)`, parking only the fiber while no event is ready (when
/// it sets no signal mask).
///
/// # Safety
///
/// `events` must be valid for writes of `maxevents` `epoll_event`s;
/// `mask`, if not null, must be valid (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn epoll_pwait(
    epfd: c_int,
    events: *mut libc::epoll_event,
    maxevents: c_int,
    timeout: c_int,
    mask: *const libc::sigset_t,
) -> c_int {
    let call = |timeout: c_int, mask: *const libc::sigset_t| {
        let args =
            [epfd as c_long, events as c_long, maxevents as c_long, timeout as c_long, mask as c_long, 8];
        // SAFETY: the caller's contract.
        unsafe { raw::call(nr::EPOLL_PWAIT, args) }
    };
    if timeout != 0
        && mask.is_null()
        && super::on_fiber()
        && let Some(watch) = watch_epoll(epfd)
    {
        let res = guard(|| park_until_ready(watch, ms_deadline(timeout), || call(0, std::ptr::null())));
        return raw::ret(res) as c_int;
    }
    raw::ret(call(timeout, mask)) as c_int
}

/// `nanosleep(2)`: `fiberio::sleep` on a fiber.
///
/// # Safety
///
/// `req` must be valid; `rem`, if not null, writable (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nanosleep(req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    if super::on_fiber() && !req.is_null() {
        // SAFETY: the caller's contract.
        return match duration(unsafe { &*req }) {
            Some(d) => sleep_fiber(d),
            None => raw::ret(Err(raw::err(libc::EINVAL))) as c_int,
        };
    }
    // SAFETY: the caller's contract.
    unsafe { raw::libc_call(nr::NANOSLEEP, [req as c_long, rem as c_long, 0, 0, 0, 0]) as c_int }
}

/// Sleeps the fiber (a cancellation cuts it short: see the module docs
/// of `hook`).
fn sleep_fiber(d: Duration) -> c_int {
    let _ = guard(|| {
        crate::time::sleep(d);
        Ok(())
    });
    0
}

/// `clock_nanosleep(2)` (returns the error number, as libc's does):
/// `fiberio::sleep` on a fiber for the wall, monotonic and boot clocks.
///
/// # Safety
///
/// `req` must be valid; `rem`, if not null, writable (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn clock_nanosleep(
    clock: libc::clockid_t,
    flags: c_int,
    req: *const libc::timespec,
    rem: *mut libc::timespec,
) -> c_int {
    let clocks = [libc::CLOCK_REALTIME, libc::CLOCK_MONOTONIC, libc::CLOCK_BOOTTIME, libc::CLOCK_TAI];
    if super::on_fiber() && !req.is_null() && clocks.contains(&clock) {
        // SAFETY: the caller's contract.
        let Some(d) = duration(unsafe { &*req }) else { return libc::EINVAL };
        let d = if flags & libc::TIMER_ABSTIME != 0 {
            match raw::clock_now(clock).ok().and_then(|now| duration(&now)) {
                Some(now) => d.saturating_sub(now),
                None => return libc::EINVAL,
            }
        } else {
            d
        };
        return sleep_fiber(d);
    }
    let args = [clock as c_long, flags as c_long, req as c_long, rem as c_long, 0, 0];
    // SAFETY: the caller's contract.
    match unsafe { raw::call(nr::CLOCK_NANOSLEEP, args) } {
        Ok(_) => 0,
        Err(e) => raw::errno_of(&e),
    }
}
