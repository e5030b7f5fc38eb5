//! SIGQUIT as a request: a handler that only writes one byte to a
//! self-pipe, and the blocking read that a helper thread waits in.
//!
//! The handler is async-signal-safe: it loads the pipe's write end from a
//! static and calls `write(2)` on it — non-blocking, so a full pipe (a
//! burst of signals not yet read) drops the byte instead of blocking — and
//! restores `errno`, which the interrupted code may be about to read.
//! Everything else (dumping, printing) is done by whoever reads the pipe,
//! on an ordinary thread.
//!
//! Installed once per process; the pipe lives as long as the process.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::loom::static_atomic::{AtomicUsize, Ordering::SeqCst};

/// The pipe's write end, plus one (0: not installed).
static WRITE_END: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_quit(_signal: libc::c_int) {
    let fd = WRITE_END.load(SeqCst);
    if fd == 0 {
        return;
    }
    // SAFETY: `__errno_location` returns this thread's errno slot.
    let errno = unsafe { *libc::__errno_location() };
    let byte = 1u8;
    // SAFETY: `fd - 1` is the pipe's write end, open for the whole process;
    // `byte` is a valid one-byte buffer. `write` is async-signal-safe.
    unsafe { libc::write((fd - 1) as libc::c_int, (&raw const byte).cast(), 1) };
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Creates the self-pipe and makes SIGQUIT write to it; returns the read
/// end (blocking, `CLOEXEC`), which receives one byte per signal (bursts
/// may coalesce). Call once per process.
///
/// # Errors
///
/// When the pipe cannot be created or `sigaction` fails.
pub(crate) fn install() -> io::Result<OwnedFd> {
    let mut fds = [0 as libc::c_int; 2];
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC))?;
    // SAFETY: `pipe2` just created both fds; each is owned once, here.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let flags = syscall!(fcntl(write.as_raw_fd(), libc::F_GETFL))?;
    syscall!(fcntl(write.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    // The write end stays open for the life of the process: the handler
    // may run at any time.
    let write = std::mem::ManuallyDrop::new(write);
    WRITE_END.store(write.as_raw_fd() as usize + 1, SeqCst);
    // SAFETY: an all-zero `sigaction` is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_quit as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a valid signal set to initialise.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    syscall!(sigaction(libc::SIGQUIT, &action, std::ptr::null_mut()))?;
    Ok(read)
}

/// Blocks until at least one byte arrives on `fd` (the pipe's read end)
/// and consumes what is there. `Ok(false)`: the pipe was closed.
///
/// # Errors
///
/// A read error other than `EINTR`.
pub(crate) fn wait(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut buf = [0u8; 64];
    loop {
        match syscall!(read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())) {
            Ok(n) => return Ok(n > 0),
            Err(e) if super::interrupted(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}
