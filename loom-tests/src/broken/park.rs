//! Broken copies of the park protocol (`src/fiber/park.rs`) and of the
//! readiness token (`src/reactor/readiness.rs`), one defect each.

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

const CLOSED: u64 = 0x80;
const SHUTDOWN: u64 = 5;

/// The park protocol with `close` as a load and a store instead of a CAS:
/// a wake that wins between the two is overwritten, and the fiber is
/// resumed twice — once by the waker, once by the shutdown (race 5).
#[derive(Debug)]
pub struct ParkCloseByStore {
    word: AtomicU64,
}

impl Default for ParkCloseByStore {
    fn default() -> Self {
        // As the real one: "woken", seq 0.
        Self { word: AtomicU64::new(2) }
    }
}

impl ParkCloseByStore {
    /// As the real `begin`.
    pub fn begin(&self) -> Result<u64, u8> {
        let cur = self.word.load(Acquire);
        if cur & CLOSED != 0 {
            return Err(SHUTDOWN as u8);
        }
        let seq = (cur >> 8) + 1;
        self.word.store(seq << 8 | WAITING, Release);
        Ok(seq)
    }

    /// As the real `commit`.
    pub fn commit(&self, seq: u64) -> bool {
        self.word.compare_exchange(seq << 8 | WAITING, seq << 8 | PARKED, AcqRel, Acquire).is_ok()
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

    /// BROKEN: reads the phase, then stores "closed, shut down" blindly.
    pub fn close(&self) -> u8 {
        let cur = self.word.load(Acquire);
        let (phase, outcome) = match cur & PHASE_MASK {
            WAITING => (SHUTDOWN, 1),
            PARKED => (SHUTDOWN, 2),
            p => (p, 0),
        };
        self.word.store((cur & !PHASE_MASK) | CLOSED | phase, Release);
        outcome
    }

    /// As the real `reason`.
    pub fn reason(&self, seq: u64) -> Option<u8> {
        let cur = self.word.load(Acquire);
        if cur >> 8 != seq {
            return Some(SHUTDOWN as u8);
        }
        (cur & PHASE_MASK > PARKED).then_some((cur & PHASE_MASK) as u8)
    }
}
