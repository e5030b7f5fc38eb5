//! The platform boundary: the only module that calls `libc`.
//!
//! Every raw call goes through [`syscall!`], which turns `-1` into
//! `io::Error::last_os_error()`. File descriptors leave this module as
//! `OwnedFd`/`BorrowedFd`, created `CLOEXEC | NONBLOCK` (STYLE.md 6).

/// Calls a libc function and maps a `-1` result to the OS error.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: each call site passes arguments that satisfy the libc
        // function's contract; the invariants are stated where it is used.
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

/// Whether `e` says "try again later" (`EAGAIN`): an errno compare, where
/// `io::Error::kind` is an out-of-line table lookup on the hot path.
#[inline]
pub(crate) fn would_block(e: &std::io::Error) -> bool {
    match e.raw_os_error() {
        Some(errno) => errno == libc::EAGAIN,
        None => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}

/// Whether `e` is `EINTR` (see [`would_block`]).
#[inline]
pub(crate) fn interrupted(e: &std::io::Error) -> bool {
    match e.raw_os_error() {
        Some(errno) => errno == libc::EINTR,
        None => e.kind() == std::io::ErrorKind::Interrupted,
    }
}

#[cfg(feature = "hook")]
pub(crate) mod carrier_word;
pub(crate) mod epoll;
pub(crate) mod eventfd;
pub(crate) mod fd;
pub(crate) mod mmap;
pub(crate) mod poll;
pub(crate) mod quit_signal;
#[cfg(feature = "hook")]
pub(crate) mod raw;
pub(crate) mod signal;
pub(crate) mod socket;
pub(crate) mod ticks;
