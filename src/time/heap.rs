//! A 4-ary min-heap of timer deadlines that knows where each entry sits,
//! so any entry can be removed in O(log n) (Go's per-P timer heap).
//!
//! Entries are 16 bytes (`at`, `seq`, `slot`), so the four children of a
//! node span 64 bytes: one or two cache lines per level, and half the
//! depth of a binary heap (10 levels at one million entries).
//!
//! Invariants, kept by every method and checked by `check` in tests:
//! 1. Heap order: no entry comes [`before`](Entry::before) its parent.
//! 2. Position index: `pos[entries[i].slot] == i` for every `i`; `pos` of a
//!    slot not in the heap is meaningless, and the caller never asks.
//! 3. A slot is in the heap at most once (the caller, `Timers`, hands out
//!    each slot to one pending timer at a time).
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

/// The heap: entries in heap order plus, per slot, the entry's index.
#[derive(Debug, Default)]
pub(super) struct DeadlineHeap {
    /// Entries in 4-ary heap order; the earliest at index 0.
    entries: Vec<Entry>,
    /// `pos[slot]` is the index in `entries` of that slot's entry.
    pos: Vec<u32>,
}

impl DeadlineHeap {
    /// Number of entries.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The earliest entry, in O(1).
    #[inline]
    pub(super) fn peek(&self) -> Option<&Entry> {
        self.entries.first()
    }

    /// Adds `e`; its slot must not be in the heap already.
    ///
    /// # Panics
    /// If the heap already holds `u32::MAX` entries.
    pub(super) fn push(&mut self, e: Entry) {
        let i = self.entries.len();
        assert!(
            i < u32::MAX as usize,
            "fiberio: more than 4 billion pending timers"
        );
        let slot = e.slot as usize;
        if slot >= self.pos.len() {
            self.pos.resize(slot + 1, 0);
        }
        self.entries.push(e);
        self.sift_up(i, e);
    }

    /// Removes and returns the earliest entry.
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let last = self.entries.pop()?;
        let Some(&top) = self.entries.first() else {
            return Some(last);
        };
        self.sift_down(0, last);
        Some(top)
    }

    /// Removes the entry of `slot`, which must be in the heap, and returns it.
    pub(super) fn remove(&mut self, slot: u32) -> Entry {
        let i = self.pos[slot as usize] as usize;
        let removed = self.entries[i];
        debug_assert_eq!(removed.slot, slot, "pos index out of date");
        let last = self.entries.pop().expect("remove from an empty heap");
        if i < self.entries.len() {
            // `last` fills the hole at `i`: it moves up if it beats the
            // parent, else down.
            if i > 0 && last.before(&self.entries[(i - 1) / ARITY]) {
                self.sift_up(i, last);
            } else {
                self.sift_down(i, last);
            }
        }
        removed
    }

    /// Places `e` at the hole `i` or above it.
    #[inline]
    fn sift_up(&mut self, mut i: usize, e: Entry) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let p = self.entries[parent];
            if !e.before(&p) {
                break;
            }
            self.place(i, p);
            i = parent;
        }
        self.place(i, e);
    }

    /// Places `e` at the hole `i` or below it.
    #[inline]
    fn sift_down(&mut self, mut i: usize, e: Entry) {
        let n = self.entries.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let kids = &self.entries[first..n.min(first + ARITY)];
            let mut best = 0;
            for (k, kid) in kids.iter().enumerate().skip(1) {
                if kid.before(&kids[best]) {
                    best = k;
                }
            }
            let child = kids[best];
            if !child.before(&e) {
                break;
            }
            self.place(i, child);
            i = first + best;
        }
        self.place(i, e);
    }

    /// Writes `e` at index `i` and records the index for its slot.
    #[inline]
    fn place(&mut self, i: usize, e: Entry) {
        self.entries[i] = e;
        self.pos[e.slot as usize] = i as u32;
    }

    /// Asserts invariants 1 and 2 (tests only; O(n)).
    #[cfg(test)]
    pub(super) fn check(&self) {
        for (i, e) in self.entries.iter().enumerate() {
            assert_eq!(
                self.pos[e.slot as usize] as usize, i,
                "pos of slot {}",
                e.slot
            );
            if i > 0 {
                assert!(
                    !e.before(&self.entries[(i - 1) / ARITY]),
                    "heap order at {i}"
                );
            }
        }
    }
}
