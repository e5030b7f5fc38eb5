//! fiberio: stackful fibers for blocking-style network code.
//!
//! Write `stream.read(&mut buf)`, `handle.join()`, `fiberio::sleep(d)` in
//! plain blocking style; when an operation would block, only the *fiber*
//! parks and its worker thread runs other fibers.
//!
//! ```text
//!              fiberio::spawn(closure)
//!                      |
//!      +---------------+----------------+            one worker per core
//!      v                                v
//! +-----------------------+   +-----------------------+
//! | worker 0 (OS thread)  |   | worker 1 (OS thread)  |
//! |  local run queue      |   |  local run queue      |
//! |  unstarted queue  <---+-steal--> unstarted queue  |
//! |  remote inbox (MPSC) <+---------+ remote inbox    |
//! |  epoll fd + eventfd   |   |  epoll fd + eventfd   |
//! |  timer heap (local)   |   |  timer heap (local)   |
//! |  stack cache          |   |  stack cache          |
//! +-----------------------+   +-----------------------+
//!         fibers: corosensei coroutines on pooled mmap'd stacks
//! ```
//!
//! - A fiber never changes OS thread once started, so [`spawn`] is safe and
//!   a fiber may hold `!Send` values across blocking calls; idle workers
//!   balance load by stealing fibers that have not started yet.
//! - Each worker is its own dispatcher: it runs fibers, polls its epoll
//!   without blocking every few runs, and blocks in `epoll_wait` only when
//!   it has nothing to run, receive or steal.
//! - Every wait goes through one two-phase park protocol in which exactly
//!   one wakeup wins (readiness, timeout, shutdown).
//! - Outside a fiber, everything blocks the calling thread, like std.
//! - With the cargo feature `hook`, std's and other crates' blocking libc
//!   calls (sockets, pipes, `poll`, sleeps, name resolution) park only the
//!   fiber too: see the README's "Porting from threads".
//! - Async crates run inside [`future::block_on`] on a fiber. With the
//!   features `tokio-io` and `futures-io`, [`net::TcpStream`] and
//!   `UnixStream` implement tokio's and futures' `AsyncRead`/`AsyncWrite`,
//!   so hyper, tokio-postgres and the like drive fiberio's sockets; a
//!   pending poll's waker waits in the reactor beside the fibers.
//!
//! ```
//! use std::time::Duration;
//!
//! let handles: Vec<_> = (0..100u64)
//!     .map(|i| fiberio::spawn(move || {
//!         fiberio::sleep(Duration::from_millis(i % 5));
//!         i
//!     }))
//!     .collect();
//! let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
//! assert_eq!(sum, 4950);
//! ```
//!
//! # Getting started
//!
//! In `Cargo.toml`, with this repository checked out next to your project
//! (or `git = "<its URL>"` in place of `path`):
//!
//! ```toml
//! [dependencies]
//! fiberio = { path = "../fiberio" }
//! ```
//!
//! A TCP echo server in blocking style: one fiber per connection, each
//! parked in `read` until its client sends, while the worker runs the
//! others. [`net`] mirrors `std::net` (and [`os::unix::net`] std's Unix
//! sockets), so porting thread-per-connection code is mostly a change of
//! `use` lines.
//!
//! ```
//! use std::io::{Read, Write};
//! use fiberio::net::{TcpListener, TcpStream};
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! fiberio::spawn(move || {
//!     for stream in listener.incoming() {
//!         let stream = stream.unwrap();
//!         // Copy what the client sends back to it, on a fiber of its own.
//!         fiberio::spawn(move || std::io::copy(&mut &stream, &mut &stream));
//!     }
//! });
//!
//! // Clients on fibers too; outside a fiber the same calls block the thread.
//! let clients: Vec<_> = (0..10u8)
//!     .map(|i| fiberio::spawn(move || -> std::io::Result<u8> {
//!         let mut s = TcpStream::connect(addr)?;
//!         s.write_all(&[i])?;
//!         let mut reply = [0];
//!         s.read_exact(&mut reply)?;
//!         Ok(reply[0])
//!     }))
//!     .collect();
//! for (i, h) in clients.into_iter().enumerate() {
//!     assert_eq!(h.join().unwrap()?, i as u8);
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Runtimes
//!
//! [`spawn`] from a plain thread uses the global runtime, started on first
//! use with one worker per core; the `FIBERIO_WORKERS` environment
//! variable sets its worker count and `FIBERIO_STALL_WARNING_MS` its stall
//! warning (a bad value is an error naming the variable). Its counters are
//! [`Runtime::global_metrics`]. Build a [`Runtime`] of your own
//! ([`Runtime::builder`]) to choose workers, stack size and stall
//! threshold, to run a closure with [`Runtime::block_on`], to read its
//! [`Runtime::metrics`], or to shut it down cleanly.
//!
//! # Seeing inside
//!
//! [`Runtime::dump`] (and [`Runtime::global_dump`]) lists every fiber: its
//! id, name, worker, state (running, runnable, or parked on what: an fd,
//! a timer, a lock, a channel, a join, the helper pool), for how long,
//! where it was spawned, and a parked fiber's backtrace, printed like Go's
//! goroutine dump. `FIBERIO_DUMP_SIGNAL=1` (or
//! [`RuntimeBuilder::dump_signal`]) prints one on SIGQUIT. With the
//! `tracing` feature, [`Builder`] gives a fiber a span entered on each of
//! its runs, and stall reports are `tracing` events. The repository's
//! `gdb/fiberio.py` lists fibers and their backtraces in gdb, live or in a
//! core file.
//!
//! # Examples
//!
//! In the repository's `examples/`: `simple_server` (the Mio paper's
//! SimpleServer with its own load, and what the runtime did per request:
//! `cargo run --release --example simple_server`), `demo` (20,000 fibers
//! doing CPU work and sleeping), `echo_server`, `chat_std` and
//! `chat_fiberio` (a thread-per-connection chat server and its port to
//! fibers), `dump` (a fiber dump), `stack_usage` and `switch_loop`.
//!
//! # Fibers and `Send`
//!
//! A fiber's closure must be `Send` (it may start on another worker), but
//! once running it never moves, which is why `spawn` is safe and a fiber
//! may keep `!Send` values across blocking calls:
//!
//! ```
//! use std::rc::Rc;
//! let h = fiberio::spawn(|| {
//!     let local = Rc::new(5); // !Send, created on the fiber
//!     fiberio::sleep(std::time::Duration::from_millis(1)); // parks; resumes on the same thread
//!     *local
//! });
//! assert_eq!(h.join().unwrap(), 5);
//! ```
//!
//! What crosses threads must be `Send`: the closure before it starts…
//!
//! ```compile_fail
//! let rc = std::rc::Rc::new(1);
//! fiberio::spawn(move || *rc); // error: `Rc` cannot be sent between threads
//! ```
//!
//! …and the result, which the joiner may take on any thread:
//!
//! ```compile_fail
//! let h = fiberio::spawn(|| std::rc::Rc::new(1)); // error: `Rc` cannot be sent between threads
//! ```
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]
// Under `--cfg loom`, `spawn` runs fibers as loom threads (the user loom
// mode): the scheduler still compiles but goes unused.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod blocking;
mod chan;
mod fiber;
pub mod fs;
pub mod future;
#[cfg(feature = "hook")]
mod hook;
pub mod io;
mod loom;
pub mod net;
/// Platform-specific networking, mirroring `std::os`.
pub mod os {
    /// Unix-specific items.
    pub mod unix {
        /// Unix-domain sockets that park only the calling fiber.
        pub mod net {
            pub use crate::net::unix::{UnixListener, UnixStream};
            pub use crate::net::unix_datagram::UnixDatagram;
        }
    }
}
mod reactor;
mod runtime;
mod sched;
mod stack;
pub mod sync;
mod sys;
mod task;
mod time;

pub use blocking::{
    __set_blocking_pool_limits, BlockingPoolMetrics, blocking_pool_metrics, try_unblock, unblock,
};
pub use fiber::Cancelled;
pub use runtime::{
    DumpOptions, FiberDump, FiberInfo, FiberState, Runtime, RuntimeBuilder, WaitReason, WorkerDump,
    WorkerMetrics,
};
pub use task::{Builder, Fiber, FiberId, JoinHandle, LocalKey, current, spawn, yield_now};
pub use time::{sleep, sleep_until};

// Handles that cross threads are `Send + Sync` on purpose; what belongs to
// one worker (its loop state, its coroutines) cannot leave it (STYLE.md 7).
static_assertions::assert_impl_all!(JoinHandle<std::rc::Rc<u8>>: Send, Sync);
static_assertions::assert_impl_all!(Fiber: Send, Sync);
static_assertions::assert_impl_all!(Runtime: Send, Sync);
static_assertions::assert_not_impl_any!(sched::Coro: Send);
static_assertions::assert_not_impl_any!(sched::Worker: Send, Sync);
static_assertions::assert_not_impl_any!(sched::FiberSlot: Send, Sync);

/// Internals exposed for the criterion benchmarks only; not a stable API.
#[doc(hidden)]
#[path = "bench_api/mod.rs"]
pub mod __bench;

/// fiberio's wake-up protocols behind a thin public face, for the loom
/// models in `loom-tests/` (built with `--cfg loom`). Not a stable API.
#[cfg(loom)]
#[doc(hidden)]
#[path = "loom_api/mod.rs"]
pub mod __loom;

/// The README's code, compiled and run as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
