//! Deliberately broken copies of fiberio's protocols, one defect each, for
//! the models to reject.

use loom::sync::atomic::{AtomicU64, Ordering::*};

const PHASE_MASK: u64 = 0x7f;
const WAITING: u64 = 0;
const PARKED: u64 = 1;

/// The park protocol with `commit` as a plain store instead of a CAS: a
/// wake that lands between the fiber's suspend and the commit is
/// overwritten — the fiber parks with nobody left to wake it (race 2).
#[derive(Debug, Default)]
pub struct ParkCommitByStore {
    word: AtomicU64,
}

impl ParkCommitByStore {
    /// Opens a wait (seq in the high bits, as the real one).
    pub fn begin(&self) -> u64 {
        let seq = (self.word.load(Acquire) >> 8) + 1;
        self.word.store(seq << 8 | WAITING, Release);
        seq
    }

    /// BROKEN: stores PARKED without checking that no wake came first.
    pub fn commit(&self, seq: u64) -> bool {
        self.word.store(seq << 8 | PARKED, Release);
        true
    }

    /// As the real `wake`: 0 lost, 1 won running, 2 won parked.
    pub fn wake(&self, seq: u64, reason: u8) -> u8 {
        let cur = self.word.load(Acquire);
        if cur >> 8 != seq {
            return 0;
        }
        let outcome = match cur & PHASE_MASK {
            WAITING => 1,
            PARKED => 2,
            _ => return 0,
        };
        let new = (cur & !PHASE_MASK) | u64::from(reason);
        if self.word.compare_exchange(cur, new, AcqRel, Acquire).is_ok() { outcome } else { 0 }
    }

    /// The reason wait `seq` ended, if it has.
    pub fn reason(&self, seq: u64) -> Option<u8> {
        let cur = self.word.load(Acquire);
        (cur >> 8 == seq && cur & PHASE_MASK > PARKED).then_some((cur & PHASE_MASK) as u8)
    }
}

/// The readiness token with a clear that ignores the tick: an edge that
/// arrives between the snapshot and the clear is erased (race 11).
#[derive(Debug)]
pub struct ReadinessUntickedClear {
    word: AtomicU64,
}

impl Default for ReadinessUntickedClear {
    fn default() -> Self {
        Self { word: AtomicU64::new(1) }
    }
}

impl ReadinessUntickedClear {
    /// The word, as a snapshot.
    pub fn snapshot(&self) -> u64 {
        self.word.load(Acquire)
    }

    /// An edge: bump the tick, set ready.
    pub fn set_ready(&self) {
        self.word.fetch_add(0b1000, AcqRel);
        self.word.fetch_or(1, AcqRel);
    }

    /// BROKEN: clears ready whatever happened since `_seen`.
    pub fn clear(&self, _seen: u64) -> bool {
        self.word.fetch_and(!1, AcqRel);
        true
    }
}
