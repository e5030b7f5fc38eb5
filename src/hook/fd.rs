//! One hooked call on an fd: straight to the kernel, or — on a fiber, on
//! a socket or pipe the program left blocking — non-blocking, parking the
//! fiber on `EAGAIN` until the fd is ready.
//!
//! Off a fiber a call costs one thread-local read more than libc's: the
//! hook changes no fd's flags, so the kernel's call is exactly libc's.
//! On a fiber the call is made non-blocking by itself — `MSG_DONTWAIT` on
//! a socket, `RWF_NOWAIT` (`preadv2`/`pwritev2`) on a pipe — and only its
//! `EAGAIN` costs more: if the program's own `O_NONBLOCK` is set
//! (`settings`) the call fails with `EAGAIN` as libc's would; else the
//! fiber parks in the fd's IO loop (the one `fiberio::net` runs), which
//! fails with `EAGAIN` when the socket's `SO_RCVTIMEO`/`SO_SNDTIMEO`
//! passes, as the kernel does. A read or write that used up the readiness
//! (a short one on a stream) or found none leaves the readiness token
//! clear, so the next call parks without a system call that would say
//! `EAGAIN`, as in `fiberio::net`.
//!
//! Adoption (the first such call on an fd): sockets and FIFOs only, whose
//! readiness epoll reports; one thread adopts, others wait the two
//! system calls it takes.

use std::ffi::{c_int, c_long};
use std::io;
use std::time::Instant;

use super::{guard, settings};
use crate::fiber::WaitOn;
use crate::reactor::hooked::{self, FdKind, HookedFd, Tracked};
use crate::reactor::{Deadline, Dir};
use crate::sys::raw::{self, FileKind};

/// The adopted fd `fd` on a fiber, adopting it the first time; `None`:
/// leave the call to the kernel.
#[inline]
pub(crate) fn route(fd: c_int) -> Option<HookedFd> {
    loop {
        match hooked::lookup(fd) {
            Tracked::Hooked(h) => return Some(h),
            Tracked::Pass => return None,
            Tracked::Adopting => std::hint::spin_loop(),
            Tracked::Untracked => match hooked::begin_adopt(fd) {
                // Not an open fd: the kernel's call says so (`EBADF`).
                Ok(true) if !adopt(fd) => return None,
                Ok(_) => {}
                Err(_) => return None, // beyond the fds fiberio tracks
            },
        }
    }
}

/// The slow path of a data call's lookup ([`hooked::lookup_io`] found
/// no adopted socket or FIFO): [`route`], which adopts the fd the first
/// time; whether the fd now is one (look it up again), else the call is
/// the kernel's — fiberio's own socket, an fd only waited on, or one that
/// cannot be watched.
#[cold]
#[inline(never)]
fn adopt_io(fd: c_int) -> bool {
    route(fd).is_some_and(|h| h.kind.is_some_and(|k| k != FdKind::Watched))
}

/// Classifies `fd`, claimed by `begin_adopt`, and ends the adoption;
/// `false` if `fd` is not an open fd (nothing to remember).
#[cold]
fn adopt(fd: c_int) -> bool {
    match raw::file_kind(fd) {
        Ok(FileKind::Socket { stream }) => hooked::finish_adopt(fd, Some(FdKind::Socket { stream })),
        Ok(FileKind::Fifo) => hooked::finish_adopt(fd, Some(FdKind::Fifo)),
        Ok(FileKind::Other) => hooked::finish_adopt(fd, None),
        Err(_) => {
            hooked::release(fd);
            return false;
        }
    }
    true
}

/// The deadline of a wait of `dir` after `timeout` (a socket timeout),
/// failing with `EAGAIN` as the kernel's does.
pub(crate) fn deadline(timeout: Option<std::time::Duration>) -> Option<Deadline> {
    let timeout = timeout?; // before reading the clock: most waits have none
    Some(Deadline { at: Instant::now().checked_add(timeout)?, kind: io::ErrorKind::WouldBlock })
}

/// Runs `op` — the non-blocking form of a call on the adopted fd `h` —
/// as the blocking call the program made (see the module docs): the fd's
/// IO loop, `PollDesc::run_io`, as `fiberio::net` runs it, whose park
/// checks the fd's settings first. `short` tells whether a result used up
/// the readiness.
pub(crate) fn park_io(
    fd: c_int,
    h: &HookedFd,
    dir: Dir,
    mut op: impl FnMut() -> io::Result<usize>,
    short: impl Fn(&usize) -> bool,
) -> io::Result<usize> {
    let pd = h.pd();
    // The settings are read at most once per call, and only when the call
    // may park (`Some(timeout)`: read, and not non-blocking).
    let mut timeout = None;
    if !pd.token(dir).snapshot().is_ready() {
        // A program's non-blocking call is made even when no edge came
        // since the last `EAGAIN` (the worker may not have polled yet), as
        // libc's.
        if settings::fresh(fd, h).is_nonblocking() {
            return op();
        }
        timeout = Some(pd.timeout(dir));
    }
    // Computed by the first park of the call: most calls do not park.
    let mut deadline = None;
    let park = || {
        let deadline = match deadline {
            Some(d) => d,
            None => {
                let timeout = match timeout {
                    Some(t) => t,
                    None if settings::fresh(fd, h).is_nonblocking() => return Err(raw::err(libc::EAGAIN)),
                    None => pd.timeout(dir),
                };
                *deadline.insert(self::deadline(timeout))
            }
        };
        h.source().register()?;
        // The only place an unwind can start: a cancellation, a shutdown.
        guard(|| pd.wait(dir, deadline, WaitOn::Io { fd, write: dir == Dir::Write }))
    };
    let done = pd.run_io(dir, op, short, park);
    if done.is_ok()
        && let Some(ctx) = crate::fiber::carrier::fiber_context_hooked()
        && ctx.take_io()
    {
        // The IO budget, as `fiberio::net` spends it: a stream that never
        // runs dry yields to the worker's other fibers. The yield is no
        // cancellation point; a shutdown's forced unwind stops at `guard`
        // and starts again at the fiber's next suspension, so the result
        // the call got is returned either way.
        let _ = guard(|| {
            ctx.io_budget_spent();
            Ok(())
        });
    }
    done
}

/// One of the hooked data calls (`read`, `recvfrom`, `sendmsg`, ...):
/// its system call and what the hook needs to know of it on a fiber.
/// Implemented by a unit type per call (`io`); its arguments travel as
/// the system call's six, `args`.
pub(crate) trait BlockingCall {
    /// The system call, as the program made it.
    const NR: c_long;
    /// Which way it waits.
    const DIR: Dir;
    /// Whether the program asked for a non-blocking call (`MSG_DONTWAIT`):
    /// the kernel's answer is the answer.
    fn dontwait(_args: &[c_long; 6]) -> bool {
        false
    }
    /// How many bytes a stream transfer that does not use up the
    /// readiness moves (0: a transfer never uses it up).
    ///
    /// # Safety
    ///
    /// `args` must satisfy the kernel's contract for [`Self::NR`].
    unsafe fn want(args: &[c_long; 6]) -> usize;
    /// The same call made non-blocking, on an adopted fd of `kind` (a
    /// socket or a FIFO).
    ///
    /// # Safety
    ///
    /// `args` must satisfy the kernel's contract for [`Self::NR`].
    unsafe fn nowait(kind: FdKind, args: &[c_long; 6]) -> io::Result<usize>;
}

/// The hooked call `C` on `args[0]`: off a fiber — one thread-local read,
/// the first thing it does — libc's call; on a fiber, on a socket or pipe
/// the program left blocking, its non-blocking form, parking the fiber on
/// `EAGAIN` (out of line: the plain path stays libc's size).
///
/// # Safety
///
/// `args` must satisfy the kernel's contract for `C::NR`.
#[inline(always)]
pub(crate) unsafe fn blocking_io<C: BlockingCall>(args: [c_long; 6]) -> isize {
    let [a0, a1, a2, a3, a4, a5] = args;
    if super::on_fiber() && !C::dontwait(&args) {
        // SAFETY: the caller's contract.
        return unsafe { fiber_io::<C>(a0, a1, a2, a3, a4, a5) };
    }
    // SAFETY: the caller's contract.
    unsafe { raw::libc_call(C::NR, args) }
}

/// The fiber's side of [`blocking_io`]. `extern "C"`, which cannot
/// unwind (nothing unwinds out of it: `guard`), so that the hooked entry
/// points reach it with a jump.
///
/// # Safety
///
/// As [`blocking_io`].
#[inline(never)]
unsafe extern "C" fn fiber_io<C: BlockingCall>(
    a0: c_long,
    a1: c_long,
    a2: c_long,
    a3: c_long,
    a4: c_long,
    a5: c_long,
) -> isize {
    // Six arguments in registers, as the program's call passed them.
    let args = [a0, a1, a2, a3, a4, a5];
    let fd = a0 as c_int;
    let (h, kind) = loop {
        if let Some(found) = hooked::lookup_io(fd) {
            break found;
        }
        if !adopt_io(fd) {
            // SAFETY: the caller's contract.
            return unsafe { raw::libc_call(C::NR, args) };
        }
    };
    // SAFETY: the caller's contract.
    let want = unsafe { C::want(&args) };
    // SAFETY: the caller's contract.
    let nowait = || unsafe { C::nowait(kind, &args) };
    let res = park_io(fd, &h, C::DIR, nowait, |&n| kind.is_stream() && n < want);
    match res {
        // `RWF_NOWAIT` on a pipe needs Linux 5.x+: else the kernel's call.
        Err(e) if kind == FdKind::Fifo && e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
            hooked::make_foreign(fd);
            // SAFETY: the caller's contract.
            unsafe { raw::libc_call(C::NR, args) }
        }
        other => raw::ret(other),
    }
}
