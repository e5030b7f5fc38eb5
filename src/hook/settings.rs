//! What a fiber's park needs to know of an fd's settings — the program's
//! `O_NONBLOCK` and `SO_RCVTIMEO`/`SO_SNDTIMEO` — without two system
//! calls per park; and the interposed calls that change them: `fcntl`,
//! `ioctl`, `setsockopt`.
//!
//! The kernel holds the truth (the hook never changes a flag), shared by
//! every duplicate of an fd. Each adopted fd caches it in its poll
//! descriptor, stamped with a process-wide *settings epoch*; every
//! `fcntl(F_SETFL)`, `ioctl(FIONBIO)` and `setsockopt(SO_RCVTIMEO |
//! SO_SNDTIMEO)`, on any fd and any thread, bumps the epoch, so the next
//! park on any fd re-reads its settings. A steady server reads them once
//! per fd. A change made around the hook (a raw `fcntl` system call)
//! goes unseen until the next bump.
//!
//! # Safety (the interposed calls)
//!
//! libc's contract. `fcntl` and `ioctl` are variadic in C; on x86_64 and
//! aarch64 Linux a variadic integer or pointer argument travels in the
//! register a fixed one would, so they take it as one `c_ulong` / pointer
//! and pass it on unchanged.

use std::ffi::{c_int, c_long, c_ulong, c_void};

use crate::loom::static_atomic::{AtomicU64, Ordering::*};
use crate::reactor::Dir;
use crate::reactor::hooked::{FdKind, HookedFd};
use crate::reactor::poll_desc::PollDesc;
use crate::sys::raw::{self, nr};

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "fiberio's `hook` feature reads `fcntl`'s and `ioctl`'s variadic argument as x86_64 and aarch64 pass it"
);

/// Bumped by every call that may change an fd's settings (starts at 1: a
/// poll descriptor's 0 means "never read").
static EPOCH: AtomicU64 = AtomicU64::new(1);

fn changed() {
    EPOCH.fetch_add(1, AcqRel);
}

/// `h`'s poll descriptor, its cached settings — `is_nonblocking`, the
/// program's own `O_NONBLOCK`, and `timeout(dir)`, `SO_RCVTIMEO` /
/// `SO_SNDTIMEO` — up to date: two loads and a compare when no setting
/// of any fd changed since they were read, else read from the kernel.
#[inline]
pub(crate) fn fresh(fd: c_int, h: &HookedFd) -> &'static PollDesc {
    let pd = h.pd();
    let epoch = EPOCH.load(Acquire);
    if pd.hook_epoch.load(Acquire) != epoch {
        reload(fd, h, epoch);
    }
    pd
}

/// Reads `h`'s settings from the kernel into its poll descriptor, and
/// stamps them with `epoch` (loaded before the reads).
#[cold]
#[inline(never)]
fn reload(fd: c_int, h: &HookedFd, epoch: u64) {
    let pd = h.pd();
    let nonblocking =
        raw::fcntl(fd, libc::F_GETFL, 0).is_ok_and(|flags| flags as c_int & libc::O_NONBLOCK != 0);
    let timeouts = if matches!(h.kind, Some(FdKind::Socket { .. })) {
        [true, false].map(|read| raw::socket_timeout(fd, read).ok().flatten())
    } else {
        [None, None]
    };
    pd.set_nonblocking(nonblocking);
    pd.set_timeout(Dir::Read, timeouts[0]);
    pd.set_timeout(Dir::Write, timeouts[1]);
    // A bump since the load of `epoch` leaves this stale stamp behind:
    // the next call reads again.
    pd.hook_epoch.store(epoch, Release);
}

/// `fcntl(2)`, noting a change of file status flags (`F_SETFL`).
///
/// # Safety
///
/// `arg` must be what `cmd` expects (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    // SAFETY: the caller's contract, passed on unchanged.
    let res = unsafe { raw::call(nr::FCNTL, [fd as c_long, cmd as c_long, arg as c_long, 0, 0, 0]) };
    if cmd == libc::F_SETFL {
        changed();
    }
    raw::ret(res) as c_int
}

/// `ioctl(2)`, noting a change of `O_NONBLOCK` (`FIONBIO`, std's
/// `set_nonblocking`).
///
/// # Safety
///
/// `arg` must be what `request` expects (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn ioctl(fd: c_int, request: c_ulong, arg: *mut c_void) -> c_int {
    // SAFETY: the caller's contract, passed on unchanged.
    let res = unsafe { raw::call(nr::IOCTL, [fd as c_long, request as c_long, arg as c_long, 0, 0, 0]) };
    if request == libc::FIONBIO as c_ulong {
        changed();
    }
    raw::ret(res) as c_int
}

/// `setsockopt(2)`, noting a change of `SO_RCVTIMEO`/`SO_SNDTIMEO`
/// (std's `set_read_timeout`/`set_write_timeout`).
///
/// # Safety
///
/// `val` must be valid for reads of `len` bytes (libc's contract).
#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: libc::socklen_t,
) -> c_int {
    let args = [fd as c_long, level as c_long, name as c_long, val as c_long, len as c_long, 0];
    // SAFETY: the caller's contract.
    let res = unsafe { raw::call(nr::SETSOCKOPT, args) };
    if level == libc::SOL_SOCKET && (name == libc::SO_RCVTIMEO || name == libc::SO_SNDTIMEO) {
        changed();
    }
    raw::ret(res) as c_int
}
