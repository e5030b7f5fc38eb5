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

pub(crate) mod epoll;
pub(crate) mod eventfd;
pub(crate) mod fd;
pub(crate) mod mmap;
pub(crate) mod poll;
pub(crate) mod signal;
pub(crate) mod socket;
