//! `fiberio::__bench`: internals exposed for the criterion benchmarks
//! (`benches/`) and `examples/stack_usage.rs` only. Not a stable API.

pub use crate::time::timers::{TimerKey, Timers};

/// How many of `rt`'s workers may spin at once before they sleep
/// (`src/sched/spin.rs`; 0: none), for `benches/channel.rs` to measure the
/// spin side by side.
pub fn set_max_spinners(rt: &crate::Runtime, max: usize) {
    rt.core().shared().spinners.set_max(max);
}

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
