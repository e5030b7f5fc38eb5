//! Fiber stacks: guard-paged anonymous mappings, a per-worker cache and a
//! per-runtime pool.
//!
//! PLACEHOLDER interface (being replaced by the full implementation).

mod fiber_stack;
pub(crate) mod overflow;
mod pool;

pub(crate) use fiber_stack::{FiberStack, TRIM_KEEP};
pub(crate) use pool::{StackCache, StackPool};

/// Usable bytes of a fiber stack when neither the runtime nor the builder sets one.
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;
/// The smallest stack a runtime or builder accepts.
pub(crate) const MIN_STACK_SIZE: usize = 16 * 1024;
