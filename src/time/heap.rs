//! A 4-ary min-heap of timer deadlines that knows where each entry sits,
//! so any entry can be removed in O(log n) (Go's per-P timer heap).
//!
//! Entries are 16 bytes (`at`, `seq`, `slot`), stored in 64-byte aligned
//! [`Quad`]s laid out so that the four children of a node fill exactly one
//! cache line; a million entries are 10 levels deep (a binary heap: 20).
//! Removing the root or an inner entry sinks the hole to a leaf along the
//! earliest children, prefetching the next level while it compares this
//! one, then lifts the displaced last entry back up from there.
//!
//! Invariants, kept by every method and checked by `check` in tests:
//! 1. Heap order: no entry comes [`before`](Entry::before) its parent.
//! 2. Position index: `pos[e.slot]` is the index of `e` for every entry `e`
//!    in the heap; `pos` of a slot not in the heap is meaningless, and the
//!    caller never asks.
//! 3. A slot is in the heap at most once (the caller, `Timers`, hands out
//!    each slot to one pending timer at a time).
//! 4. `quads` holds the quads of entries `0 .. len` and no more, except
//!    that quad 0 stays once allocated; lanes past `len` are never read.
//!
//! Sifting moves a hole instead of swapping: each level costs one entry
//! write and one `pos` write.

/// Children per node.
const ARITY: usize = 4;

/// One pending timer, as ordered by the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    /// Deadline in nanoseconds after the owner's base instant.
    pub(super) at: u64,
    /// Insertion number, wrapping: breaks ties between equal `at` so they
    /// leave in insertion order.
    pub(super) seq: u32,
    /// The owner's slab slot for this timer; also indexes `pos`.
    pub(super) slot: u32,
}

impl Entry {
    /// Whether `self` must leave the heap before `other`: earlier deadline,
    /// or same deadline and inserted earlier. The tie-break compares `seq`
    /// as a wrapping difference, exact while the two were inserted fewer
    /// than 2^31 insertions apart.
    #[inline]
    pub(super) fn before(&self, other: &Entry) -> bool {
        self.at < other.at || (self.at == other.at && (self.seq.wrapping_sub(other.seq) as i32) < 0)
    }
}

/// Four entries on one 64-byte cache line: the children of one node.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Quad([Entry; ARITY]);

static_assertions::assert_eq_size!(Entry, [u64; 2]);
static_assertions::assert_eq_size!(Quad, [u64; 8]);

/// Fills lanes past the end; never read as an entry.
const UNUSED: Entry = Entry { at: u64::MAX, seq: 0, slot: u32::MAX };

/// The heap: entries in heap order plus, per slot, the entry's index.
///
/// Entry `i` (0 is the root) lives at lane `(i + 3) % 4` of quad
/// `(i + 3) / 4`, so the children of entry `i`, `4i + 1 ..= 4i + 4`, are
/// exactly the lanes of quad `i + 1`: one cache line per level.
#[derive(Debug, Default)]
pub(super) struct DeadlineHeap {
    /// Entries in 4-ary heap order, three unused lanes first.
    quads: Vec<Quad>,
    /// Number of entries.
    len: usize,
    /// `pos[slot]` is the index of that slot's entry.
    pos: Vec<u32>,
}

impl DeadlineHeap {
    /// Number of entries.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The earliest entry, in O(1).
    #[inline]
    pub(super) fn peek(&self) -> Option<&Entry> {
        if self.len == 0 { None } else { Some(self.get(0)) }
    }

    /// Adds `e`; its slot must not be in the heap already.
    ///
    /// # Panics
    /// If the heap already holds `u32::MAX` entries.
    pub(super) fn push(&mut self, e: Entry) {
        let i = self.len;
        assert!(i < u32::MAX as usize, "fiberio: more than 4 billion pending timers");
        let slot = e.slot as usize;
        if slot >= self.pos.len() {
            self.pos.resize(slot + 1, 0);
        }
        if (i + 3) / ARITY == self.quads.len() {
            self.quads.push(Quad([UNUSED; ARITY]));
        }
        self.len += 1;
        self.sift_up(i, e);
    }

    /// Removes and returns the earliest entry.
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let last = self.take_last()?;
        if self.len == 0 {
            return Some(last);
        }
        let top = *self.get(0);
        self.refill(0, last);
        Some(top)
    }

    /// Removes the entry of `slot`, which must be in the heap, and returns it.
    pub(super) fn remove(&mut self, slot: u32) -> Entry {
        let i = self.pos[slot as usize] as usize;
        let removed = *self.get(i);
        debug_assert_eq!(removed.slot, slot, "pos index out of date");
        let last = self.take_last().expect("remove from an empty heap");
        if i < self.len {
            // `refill` alone would be correct (its final lift may pass `i`);
            // lifting directly skips the descent when `last` belongs above.
            if i > 0 && last.before(self.get((i - 1) / ARITY)) {
                self.sift_up(i, last);
            } else {
                self.refill(i, last);
            }
        }
        removed
    }

    /// Removes the last entry, dropping its quad once empty (except quad 0).
    fn take_last(&mut self) -> Option<Entry> {
        self.len = self.len.checked_sub(1)?;
        let last = *self.get(self.len);
        if (self.len + 3).is_multiple_of(ARITY) {
            self.quads.pop();
        }
        Some(last)
    }

    /// Entry `i`.
    #[inline]
    fn get(&self, i: usize) -> &Entry {
        let a = i + 3;
        &self.quads[a / ARITY].0[a % ARITY]
    }

    /// Places `e` at the hole `i` or above it.
    #[inline]
    fn sift_up(&mut self, mut i: usize, e: Entry) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = *self.get(parent);
            if !e.before(&p) {
                break;
            }
            self.place(i, p);
            i = parent;
        }
        self.place(i, e);
    }

    /// Fills the hole `i` with `e`, which is not before the hole's parent:
    /// moves the hole down to a leaf along the earliest children, then
    /// sifts `e` up from there ("bottom-up" deletion: `e` usually belongs
    /// near the bottom, so this saves a comparison per level).
    #[inline]
    fn refill(&mut self, mut i: usize, e: Entry) {
        let n = self.len;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            // While this level is compared, fetch the next one: the kids of
            // all four kids, quads `4i + 2 ..= 4i + 5`, one 256-byte run.
            prefetch_quads(&self.quads, ARITY * i + 2);
            let kids = &self.quads[i + 1].0[..(n - first).min(ARITY)];
            let best = earliest(kids);
            let child = kids[best];
            self.place(i, child);
            i = first + best;
        }
        self.sift_up(i, e);
    }

    /// Writes `e` at index `i` and records the index for its slot.
    #[inline]
    fn place(&mut self, i: usize, e: Entry) {
        let a = i + 3;
        self.quads[a / ARITY].0[a % ARITY] = e;
        self.pos[e.slot as usize] = i as u32;
    }

    /// Asserts invariants 1, 2 and 4 (tests only; O(n)).
    #[cfg(test)]
    pub(super) fn check(&self) {
        // The last entry, `len - 1`, is in quad `(len + 2) / 4`; quad 0 stays
        // once allocated.
        let quads = if self.len == 0 { self.quads.len().min(1) } else { (self.len + 6) / ARITY };
        assert_eq!(self.quads.len(), quads, "quads for {} entries", self.len);
        for i in 0..self.len {
            let e = self.get(i);
            assert_eq!(self.pos[e.slot as usize] as usize, i, "pos of slot {}", e.slot);
            if i > 0 {
                assert!(!e.before(self.get((i - 1) / ARITY)), "heap order at {i}");
            }
        }
    }
}

/// Index of the earliest of 1 to 4 `kids`.
#[inline]
fn earliest(kids: &[Entry]) -> usize {
    if let [a, b, c, d] = kids {
        // Full quad: a tournament, two independent comparisons then one.
        let ab = if b.before(a) { 1 } else { 0 };
        let cd = if d.before(c) { 3 } else { 2 };
        return if kids[cd].before(&kids[ab]) { cd } else { ab };
    }
    let mut best = 0;
    for (k, kid) in kids.iter().enumerate().skip(1) {
        if kid.before(&kids[best]) {
            best = k;
        }
    }
    best
}

/// Hints the CPU to fetch quads `from .. from + 4`, those that exist, so
/// that a descent through a heap larger than the caches overlaps the miss
/// of the next level with the comparisons of this one.
#[inline(always)]
fn prefetch_quads(quads: &[Quad], from: usize) {
    let Some(next) = quads.get(from..) else {
        return;
    };
    for quad in next.iter().take(ARITY) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `sse` is in the x86_64 baseline; a prefetch is only a hint,
        // reads nothing architecturally and cannot fault; the pointer comes
        // from a reference anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (quad as *const Quad).cast(),
            )
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = quad;
    }
}
