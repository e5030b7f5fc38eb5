//! The libc hook (cargo feature `hook`, off by default): inside a fiber,
//! the libc calls std and pure-Rust crates block in park only the fiber.
//!
//! # How: symbol interposition
//!
//! This module defines `read`, `recv`, `connect`, `poll`, `nanosleep`,
//! `getaddrinfo`, ... as `#[no_mangle] extern "C"` functions with libc's
//! signatures (the list: [`io`], [`socket`], [`settings`], [`wait`],
//! [`resolve`]). The
//! static linker resolves every reference to those names in the
//! executable's own code — std's, every crate's, fiberio's — to these
//! definitions before it looks at `libc.so`, as libco does in C. Each one
//! asks, with one thread-local read, whether it runs on a fiber (a load
//! without a call, `sys::carrier_word`, so the entry point saves no
//! register), before anything else:
//!
//! - off a fiber (a plain thread, the helper pool, `main` before a runtime
//!   exists) it is libc's call, made as a raw system call (`sys::raw`) —
//!   fewer instructions than glibc's wrapper, which in a process with
//!   threads also enters and leaves a cancellation point;
//! - on a fiber, on a socket or pipe, the call is made non-blocking by
//!   itself — `MSG_DONTWAIT`, `RWF_NOWAIT` — and on `EAGAIN` the fiber
//!   parks in the fd's IO loop, the one `fiberio::net` runs, until the
//!   worker's epoll reports the fd ready (`fd`).
//!
//! The hook never changes an fd's flags, so the program sees what it set:
//! `fcntl(F_GETFL)` is the kernel's answer; a socket the program made
//! non-blocking fails with `EAGAIN`; its `SO_RCVTIMEO`/`SO_SNDTIMEO` are
//! read when a fiber parks and end the wait with `EAGAIN` (std's
//! `WouldBlock`); a duplicate of the fd, an fd shared with another process
//! or used on a plain thread behaves as without the hook. `close` of an fd
//! a fiber waits on wakes that fiber with `EBADF`, and a reused fd number
//! starts afresh (`reactor::hooked`).
//!
//! # How the symbols reach the executable
//!
//! An object file of an rlib is linked only if something refers to a
//! symbol it defines. The runtime's start-up (`sched::runtime`) calls
//! [`link`], which takes the address of every interposed function: any
//! program that runs a fiber starts a runtime, so its executable defines
//! them all (with lld, Rust's default linker on x86_64 Linux, std's own
//! references would pull them anyway; [`link`] makes it hold with GNU ld
//! too). rustc exports `#[no_mangle]` functions from the executable, so
//! the dynamic linker binds shared libraries' calls of these names to them
//! as well. `tests/hook_plain_thread.rs` checks that each name resolves to
//! the executable; `nm -D <binary>` lists them.
//!
//! # What stays outside
//!
//! - libc's calls inside libc (its resolver, stdio, `system`) and C code
//!   that makes system calls itself; `libc::syscall` and inline `syscall`
//!   instructions.
//! - std's futex-based `Mutex`, `Condvar`, channels and `thread::park`
//!   still block the worker: use `fiberio::sync` and `fiberio::chan`.
//! - Other blocking calls: `select`, `epoll_pwait2`, `sendfile`, file IO
//!   (use `fiberio::fs`), waits with a signal mask (`ppoll`,
//!   `epoll_pwait`), and `accept` raced by fibers of two workers on one
//!   blocking listener (see [`socket`]).
//! - Thread-local state of libraries: tokio's runtime context is per OS
//!   thread, so two fibers of one worker cannot each be inside a tokio
//!   runtime at once — `fiberio::unblock` is the path for such libraries.
//!
//! # Fork
//!
//! In the child of a `fork` (until it `exec`s) every hooked call is the
//! kernel's: the child's copy of the forking thread may say "on a fiber",
//! but no worker runs there, and locks other threads held stay locked.
//!
//! # Cancellation and shutdown
//!
//! A fiber cannot unwind through a C-ABI frame (the process would abort),
//! so a hooked call that a cancellation or a runtime shutdown interrupts
//! returns `-1` with `ECANCELED` instead (a sleep returns early); a
//! cancellation stays pending, and the fiber's next fiberio blocking
//! point unwinds as usual.
//!
//! The hook is a platform boundary like `sys/`: its entry points carry
//! libc's types and constants; the calls themselves go through `sys::raw`.

pub(crate) mod fd;
pub(crate) mod io;
pub(crate) mod resolve;
pub(crate) mod settings;
pub(crate) mod socket;
pub(crate) mod wait;

#[cfg(not(target_os = "linux"))]
compile_error!("fiberio's `hook` feature supports Linux only");

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::loom::static_atomic::{AtomicBool, Ordering::Relaxed};

/// Set in the child of a `fork` (std's `Command` with `pre_exec`, say):
/// until it `exec`s, the child runs on the forking thread's copy of
/// memory — its thread-local "on a fiber" included, and locks that other
/// threads may have held —, so every hooked call there is the kernel's
/// call, and nothing the hook keeps is touched.
static FORKED: AtomicBool = AtomicBool::new(false);

extern "C" fn forked() {
    FORKED.store(true, Relaxed);
}

/// Whether a hooked call runs on a fiber (and not in a forked child).
#[inline]
pub(crate) fn on_fiber() -> bool {
    crate::fiber::carrier::in_fiber_hooked() && !FORKED.load(Relaxed)
}

/// [`reactor::hooked::release`](crate::reactor::hooked::release), except
/// in a forked child.
#[inline]
pub(crate) fn release(fd: std::ffi::c_int) {
    if !FORKED.load(Relaxed) {
        crate::reactor::hooked::release(fd);
    }
}

/// Takes the address of every interposed function, so that their object
/// files are linked into any executable that starts a runtime (see the
/// module docs). Called once per runtime start.
#[inline(never)]
pub(crate) fn link() {
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| crate::sys::raw::at_fork_child(forked));
    let fns: [*const (); 28] = [
        io::read as *const (),
        io::write as *const (),
        io::readv as *const (),
        io::writev as *const (),
        io::recv as *const (),
        io::recvfrom as *const (),
        io::recvmsg as *const (),
        io::send as *const (),
        io::sendto as *const (),
        io::sendmsg as *const (),
        socket::socket as *const (),
        socket::accept as *const (),
        socket::accept4 as *const (),
        socket::connect as *const (),
        socket::close as *const (),
        socket::dup as *const (),
        socket::dup2 as *const (),
        socket::dup3 as *const (),
        settings::fcntl as *const (),
        settings::ioctl as *const (),
        settings::setsockopt as *const (),
        wait::poll as *const (),
        wait::ppoll as *const (),
        wait::nanosleep as *const (),
        wait::clock_nanosleep as *const (),
        wait::epoll_wait as *const (),
        wait::epoll_pwait as *const (),
        resolve::getaddrinfo as *const (),
    ];
    std::hint::black_box(fns);
}

/// Runs a wait of a hooked call, turning an unwind that would reach the C
/// boundary — a cancellation, or the forced unwind of a runtime shutting
/// down — into `ECANCELED` (a cancellation is left pending again).
#[inline]
pub(crate) fn guard<T>(f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(res) => res,
        Err(payload) => {
            if payload.is::<crate::Cancelled>() {
                crate::fiber::cancel::repend();
            }
            // A forced unwind starts again at the fiber's next suspension.
            drop(payload);
            Err(crate::sys::raw::err(libc::ECANCELED))
        }
    }
}
