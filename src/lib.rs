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
mod sched;
mod stack;
pub mod sync;
mod sys;
mod time;

pub use blocking::{
    __set_blocking_pool_limits, BlockingPoolMetrics, blocking_pool_metrics, try_unblock, unblock,
};
pub use fiber::{Builder, Cancelled, Fiber, FiberId, JoinHandle, LocalKey, current, spawn, yield_now};
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

    /// Fiber stacks, for `benches/stack_pool.rs` and `examples/stack_usage.rs`.
    pub mod stack {
        use std::io;
        use std::ops::Range;

        use corosensei::stack::StackPointer;

        use crate::loom::sync::Arc;
        use crate::stack::{FiberStack, StackCache, StackPool};

        /// Usable bytes of a fiber stack by default.
        pub const DEFAULT_STACK_SIZE: usize = crate::stack::DEFAULT_STACK_SIZE;
        /// The smallest stack accepted.
        pub const MIN_STACK_SIZE: usize = crate::stack::MIN_STACK_SIZE;
        /// Bytes at the top of a stack that a trim keeps resident.
        pub const TRIM_KEEP: usize = crate::stack::TRIM_KEEP;

        /// A guard-paged fiber stack.
        #[derive(Debug)]
        pub struct Stack(FiberStack);

        impl Stack {
            /// Maps a stack of at least `size` usable bytes.
            pub fn new(size: usize) -> io::Result<Self> {
                FiberStack::new(size).map(Self)
            }
            /// Usable bytes.
            pub fn size(&self) -> usize {
                self.0.size()
            }
            /// The guard page's address range.
            pub fn guard(&self) -> Range<usize> {
                self.0.guard()
            }
            /// Releases the RSS below the top `TRIM_KEEP` bytes.
            pub fn trim(&mut self) {
                self.0.trim()
            }
            /// Writes a byte on every page of the top `depth` bytes.
            pub fn touch(&mut self, depth: usize) {
                self.0.touch(depth)
            }
            /// Resident bytes of the usable range.
            pub fn resident(&self) -> io::Result<usize> {
                self.0.resident()
            }
        }

        // SAFETY: forwards to `FiberStack`, which upholds the trait's contract.
        unsafe impl corosensei::stack::Stack for Stack {
            fn base(&self) -> StackPointer {
                corosensei::stack::Stack::base(&self.0)
            }
            fn limit(&self) -> StackPointer {
                corosensei::stack::Stack::limit(&self.0)
            }
        }

        /// A worker's stack cache in front of its own pool.
        #[derive(Debug)]
        pub struct Cache(StackCache);

        impl Cache {
            /// A cache and pool of stacks with `stack_size` usable bytes.
            pub fn new(stack_size: usize) -> Self {
                Self(StackCache::new(Arc::new(StackPool::new(stack_size))))
            }
            /// A cached, pooled or fresh stack of the pool's size.
            pub fn get(&mut self) -> io::Result<Stack> {
                let size = self.0.pool().stack_size();
                self.0.get(size).map(Stack)
            }
            /// Gives a stack back.
            pub fn put(&mut self, s: Stack) {
                self.0.put(s.0)
            }
            /// Trims the stacks used since the last trim.
            pub fn trim_idle(&mut self) {
                self.0.trim_idle()
            }
        }
    }
}

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
