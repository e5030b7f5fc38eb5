//! fiberio: stackful fibers for blocking-style network code.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

#[allow(dead_code)]
mod loom;
#[allow(dead_code)]
mod stack;
#[allow(dead_code)]
mod sys;
#[allow(dead_code)]
mod time;

#[doc(hidden)]
/// Internals exposed for the criterion benchmarks only; not a stable API.
pub mod __bench {
    pub use crate::time::timers::{TimerKey, Timers};
}
