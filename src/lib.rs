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
//! A fiber's closure must be `Send` (it may start on another worker), but
//! once running it never moves, which is why `spawn` is safe:
//!
//! ```compile_fail
//! let rc = std::rc::Rc::new(1);
//! fiberio::spawn(move || *rc); // error: `Rc` cannot be sent between threads
//! ```
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod fiber;
mod loom;
mod sched;
#[allow(dead_code)]
mod stack;
mod sys;
mod time;

pub use fiber::{Builder, Fiber, FiberId, JoinHandle, LocalKey, current, spawn, yield_now};
pub use sched::{Runtime, RuntimeBuilder, WorkerMetrics};
pub use time::{sleep, sleep_until};

// Handles that cross threads are `Send + Sync` on purpose; what belongs to
// one worker (its loop state, its coroutines) cannot leave it (STYLE.md 7).
static_assertions::assert_impl_all!(JoinHandle<std::rc::Rc<u8>>: Send, Sync);
static_assertions::assert_impl_all!(Fiber: Send, Sync);
static_assertions::assert_impl_all!(Runtime: Send, Sync);
static_assertions::assert_not_impl_any!(sched::Coro: Send);
static_assertions::assert_not_impl_any!(sched::Worker: Send, Sync);
static_assertions::assert_not_impl_any!(sched::FiberSlot: Send, Sync);

#[doc(hidden)]
/// Internals exposed for the criterion benchmarks only; not a stable API.
pub mod __bench {
    pub use crate::time::timers::{TimerKey, Timers};
}
