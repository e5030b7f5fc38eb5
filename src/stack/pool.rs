//! Reusing stacks: a per-worker [`StackCache`] in front of a per-runtime
//! [`StackPool`].
//!
//! A finished fiber's stack goes back to its worker's cache (no lock, no
//! syscall); a cache that is full moves its oldest half to the pool (one
//! lock); a pool that is full unmaps. A spawn takes the cache's most
//! recently used stack (its top pages are still resident and in the CPU
//! cache), else one from the pool, else maps a fresh one.
//!
//! RSS policy: a stack a deep fiber used keeps those pages until trimmed
//! ([`FiberStack::trim`]: `madvise(MADV_DONTNEED)` below the top
//! [`TRIM_KEEP`] bytes). Trimming is never done on the get/put path; it is
//! done
//! - by [`StackCache::trim_idle`], which the worker calls right before it
//!   blocks in `epoll_wait`: it trims only the stacks used since the last
//!   trim (kept as a count of clean stacks at the bottom of the LIFO): an
//!   idle transition costs one `madvise` per fiber that finished since the
//!   last one, and nothing when none did;
//! - when stacks move to the pool: every pooled stack is trimmed, so the
//!   pool holds at most `TRIM_KEEP` of RSS per stack.
//!
//! Bounds: a cache holds [`CACHE_CAP`] stacks, a pool [`POOL_CAP`]; see
//! their docs. The figures behind the policy are in `stack/mod.rs`.

use std::collections::VecDeque;
use std::io;

use super::FiberStack;
#[cfg(doc)]
use super::fiber_stack::TRIM_KEEP;
use crate::loom::sync::{Arc, Mutex};

/// Stacks a worker's cache keeps. 64 absorbs a burst of 64 fibers
/// finishing and then 64 spawning on one worker with no lock and no
/// syscall (a cache get+put costs 29 ns, a fresh stack 11 µs to map and
/// unmap plus about 4 µs for each page its fiber first touches: figures in
/// `stack/mod.rs`), while an idle worker's cache holds at most
/// 64 x `TRIM_KEEP` = 1 MiB of RSS and 128 mappings.
pub(crate) const CACHE_CAP: usize = 64;

/// Stacks the runtime's pool keeps. Pooled stacks are trimmed, so 1024
/// of them hold at most 16 MiB of RSS and 2048 mappings (3% of the
/// default `vm.max_map_count`), and cover workers' caches refilling after
/// a burst of a thousand fibers.
pub(crate) const POOL_CAP: usize = 1024;

/// The stacks of one runtime not in use by any fiber or cache. Shared by
/// all workers (and plain threads) behind an `Arc`.
#[derive(Debug)]
pub(crate) struct StackPool {
    /// Usable size of every stack here (page rounded).
    stack_size: usize,
    /// Trimmed stacks, at most [`POOL_CAP`].
    free: Mutex<Vec<FiberStack>>,
}

static_assertions::assert_impl_all!(StackPool: Send, Sync);

impl StackPool {
    /// An empty pool of stacks with `stack_size` usable bytes, rounded up
    /// as [`FiberStack::new`] rounds it.
    pub(crate) fn new(stack_size: usize) -> Self {
        let stack_size = FiberStack::usable_size(stack_size).unwrap_or(stack_size);
        Self { stack_size, free: Mutex::new(Vec::new()) }
    }

    /// Usable bytes of this pool's stacks.
    pub(crate) fn stack_size(&self) -> usize {
        self.stack_size
    }

    /// A pooled stack, or a freshly mapped one.
    ///
    /// # Errors
    ///
    /// As [`FiberStack::new`] (out of mappings, out of memory).
    pub(crate) fn get(&self) -> io::Result<FiberStack> {
        let pooled = self.lock().pop();
        match pooled {
            Some(s) => Ok(s),
            None => FiberStack::new(self.stack_size),
        }
    }

    /// Pools stacks the caller trimmed; unmaps those beyond the bound
    /// (after unlocking: `munmap` is a syscall).
    fn put_trimmed(&self, stacks: impl IntoIterator<Item = FiberStack>) {
        let mut excess = Vec::new();
        {
            let mut free = self.lock();
            for s in stacks {
                if free.len() < POOL_CAP { free.push(s) } else { excess.push(s) }
            }
        }
        drop(excess);
    }

    /// Stacks in the pool now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> crate::loom::sync::MutexGuard<'_, Vec<FiberStack>> {
        crate::loom::lock(&self.free)
    }
}

/// One worker's stacks not in use: a LIFO of at most [`CACHE_CAP`].
/// Owned by the worker; dropping it unmaps its stacks.
#[derive(Debug)]
pub(crate) struct StackCache {
    /// Where overflow goes, and where a miss looks next.
    pool: Arc<StackPool>,
    /// The back is the most recently used stack.
    stacks: VecDeque<FiberStack>,
    /// `stacks[..clean]` are trimmed; those above were used since. Puts
    /// push on top and gets pop from the top, so the trimmed ones are
    /// always a prefix.
    clean: usize,
}

impl StackCache {
    /// An empty cache in front of `pool`.
    pub(crate) fn new(pool: Arc<StackPool>) -> Self {
        Self { pool, stacks: VecDeque::with_capacity(CACHE_CAP), clean: 0 }
    }

    /// A stack with at least `size` usable bytes: for the pool's size, the
    /// most recently used cached one, else a pooled one, else a fresh one;
    /// for any other size, a fresh one.
    ///
    /// # Errors
    ///
    /// As [`FiberStack::new`] (out of mappings, out of memory).
    #[inline]
    pub(crate) fn get(&mut self, size: usize) -> io::Result<FiberStack> {
        let pooled = self.pool.stack_size();
        if size != pooled && FiberStack::usable_size(size) != Some(pooled) {
            return FiberStack::new(size);
        }
        match self.stacks.pop_back() {
            Some(s) => {
                self.clean = self.clean.min(self.stacks.len());
                Ok(s)
            }
            None => self.pool.get(),
        }
    }

    /// Takes a stack back. Not the pool's size: unmapped. Cache full: the
    /// oldest half moves (trimmed) to the pool first.
    pub(crate) fn put(&mut self, s: FiberStack) {
        if s.size() != self.pool.stack_size() {
            return;
        }
        if self.stacks.len() >= CACHE_CAP {
            self.spill(CACHE_CAP / 2);
        }
        self.stacks.push_back(s);
    }

    /// Moves the `n` oldest stacks to the pool, trimming the dirty ones.
    fn spill(&mut self, n: usize) {
        let n = n.min(self.stacks.len());
        let mut moved: Vec<FiberStack> = self.stacks.drain(..n).collect();
        for s in &mut moved[self.clean.min(n)..] {
            s.trim();
        }
        self.clean = self.clean.saturating_sub(n);
        self.pool.put_trimmed(moved);
    }

    /// Gives back the RSS of the stacks used since the last trim (see the
    /// module docs). The worker calls it once it has stayed idle a while
    /// (`sched::worker::IDLE_BEFORE_TRIM`).
    pub(crate) fn trim_idle(&mut self) {
        for s in self.stacks.range_mut(self.clean..) {
            s.trim();
        }
        self.clean = self.stacks.len();
    }

    /// Whether a stack was used since the last trim (`trim_idle` would
    /// make a syscall).
    pub(crate) fn needs_trim(&self) -> bool {
        self.clean < self.stacks.len()
    }

    /// Stacks in the cache now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.stacks.len()
    }

    /// The pool behind this cache.
    pub(crate) fn pool(&self) -> &Arc<StackPool> {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::fiber_stack::TRIM_KEEP;

    const SIZE: usize = 64 * 1024;

    fn cache() -> StackCache {
        StackCache::new(Arc::new(StackPool::new(SIZE)))
    }

    #[test]
    fn the_cache_gives_the_same_stack_back() {
        let mut c = cache();
        let s = c.get(SIZE).unwrap();
        let guard = s.guard();
        c.put(s);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(SIZE).unwrap().guard(), guard);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn the_pool_gives_the_same_stack_back() {
        let pool = StackPool::new(SIZE - 100);
        assert_eq!(pool.stack_size(), SIZE, "rounded up to pages");
        let s = pool.get().unwrap();
        let guard = s.guard();
        pool.put_trimmed(std::iter::once(s));
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.get().unwrap().guard(), guard);
    }

    #[test]
    fn other_sizes_bypass_the_cache() {
        let mut c = cache();
        let big = c.get(2 * SIZE).unwrap();
        assert_eq!(big.size(), 2 * SIZE);
        c.put(big);
        assert_eq!((c.len(), c.pool().len()), (0, 0));
    }

    #[test]
    fn a_full_cache_spills_its_oldest_half_trimmed() {
        let mut c = cache();
        let mut stacks: Vec<_> = (0..CACHE_CAP + 1).map(|_| c.get(SIZE).unwrap()).collect();
        for s in &mut stacks {
            s.touch(SIZE);
        }
        let oldest = stacks[0].guard();
        let newest = stacks[CACHE_CAP].guard();
        for s in stacks {
            c.put(s);
        }
        assert_eq!(c.len(), CACHE_CAP / 2 + 1);
        assert_eq!(c.pool().len(), CACHE_CAP / 2);
        let from_pool = c.pool().get().unwrap();
        assert_eq!(from_pool.resident().unwrap(), TRIM_KEEP, "pooled stacks are trimmed");
        assert!(from_pool.guard() != newest);
        let hot = c.get(SIZE).unwrap();
        assert_eq!(hot.guard(), newest);
        assert_eq!(hot.resident().unwrap(), SIZE, "the cache does not trim on put");
        let mut guards = vec![];
        while c.pool().len() > 0 {
            guards.push(c.pool().get().unwrap().guard());
        }
        assert!(guards.contains(&oldest) || from_pool.guard() == oldest);
    }

    #[test]
    fn the_pool_bound_holds() {
        let pool = StackPool::new(SIZE);
        let stacks: Vec<_> = (0..POOL_CAP + 3).map(|_| FiberStack::new(SIZE).unwrap()).collect();
        pool.put_trimmed(stacks);
        assert_eq!(pool.len(), POOL_CAP);
    }

    #[test]
    fn trim_idle_drops_the_rss_of_used_stacks_only() {
        let mut c = cache();
        let (mut a, mut b) = (c.get(SIZE).unwrap(), c.get(SIZE).unwrap());
        a.touch(SIZE);
        b.touch(SIZE);
        let (ga, gb) = (a.guard(), b.guard());
        c.put(a);
        c.trim_idle();
        c.put(b);
        // `b` was put after the trim: still dirty. `a` is trimmed.
        let b = c.get(SIZE).unwrap();
        assert_eq!((b.guard(), b.resident().unwrap()), (gb, SIZE));
        let mut a = c.get(SIZE).unwrap();
        assert_eq!((a.guard(), a.resident().unwrap()), (ga, TRIM_KEEP));
        a.touch(SIZE);
        c.put(a);
        c.put(b);
        c.trim_idle();
        for _ in 0..2 {
            assert_eq!(c.get(SIZE).unwrap().resident().unwrap(), TRIM_KEEP);
        }
    }
}
