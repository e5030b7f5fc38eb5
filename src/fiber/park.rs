//! The park protocol: two-phase park, exactly one wakeup per wait.
//!
//! Every fiber and every OS thread that blocks in fiberio owns one
//! [`ParkState`]. A wait goes through it in this order:
//!
//! 1. the waiting side calls [`ParkState::begin`], which opens a new wait
//!    with a fresh sequence number (`seq`) and returns it;
//! 2. it hands `(state, seq)` to every source that may end the wait (a
//!    waiter list, a readiness token, a timer), then re-checks its
//!    condition;
//! 3. a fiber suspends into its worker with a park request; the worker, back
//!    on its own stack, calls [`ParkState::commit`]. If a wake arrived in
//!    between, `commit` fails and the worker resumes the fiber at once.
//!    (A thread skips this phase: it just sleeps until notified.)
//!
//! A waker calls [`ParkState::wake`] with the `seq` it was given. One
//! compare-and-swap decides the winner among IO readiness, a timeout, a
//! cancellation and shutdown (DESIGN.md decision 7): the first wake of the
//! current `seq` wins and records its [`Reason`]; every later or stale wake
//! (an older `seq`, race 4 of DESIGN.md section 3) loses and does nothing.
//! Only a win against a *committed* park ([`Wake::WonParked`]) obliges the
//! waker to schedule the fiber; a win against a running fiber
//! ([`Wake::WonRunning`]) is picked up by the failing `commit` (races 1
//! and 2). [`ParkState::close`] makes the state sticky-closed for runtime
//! shutdown (race 5). [`ParkState::cancel`] ends the open wait with
//! [`Reason::Cancelled`], or, when no wait is open, leaves a pending
//! cancellation that the next `begin` consumes and reports: a cancellation
//! is delivered exactly once. While the waiting side has *masked*
//! cancellation ([`ParkState::set_cancel_masked`]: a fiber blocking in a
//! destructor during an unwind, where a second unwind would abort the
//! process), `cancel` only leaves the cancellation pending, and neither
//! `begin` nor `take_cancel` consumes it until the mask is lifted.
//!
//! This module performs no context switch and takes no lock, so the loom
//! models check exactly this code (STYLE.md convention 4).
//!
//! Word layout (`u64`):
//!
//! ```text
//!  63                                   8 7 6 5 4       0
//! +--------------------------------------+-+-+-+---------+
//! |            seq (56 bits)             |C|X|M|  phase  |
//! +--------------------------------------+-+-+-+---------+
//! C      closed: sticky, every later `begin` fails with `Reason::Shutdown`
//! X      cancellation pending: the next `begin` fails with
//!        `Reason::Cancelled` and clears it (unless M is set)
//! M      cancellation masked: set and cleared by the waiting side only
//! phase  0 = waiting (not committed), 1 = parked (committed),
//!        2.. = woken, the value is the winning `Reason`
//! ```

use crate::loom::cas_loop_load;
use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::atomic::{AtomicU64, Ordering::*};

/// Sequence number of one wait; wakes carrying an older one are stale.
pub(crate) type Seq = u64;

/// Why a wait ended. Exactly one reason wins per wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Reason {
    /// Woken by the thing it waited for (a join, a lock, a channel, IO).
    Notified = 2,
    /// Its deadline passed.
    TimedOut = 3,
    /// `JoinHandle::cancel`.
    Cancelled = 4,
    /// The runtime is shutting down.
    Shutdown = 5,
}

impl Reason {
    fn from_phase(phase: u64) -> Option<Self> {
        match phase {
            2 => Some(Reason::Notified),
            3 => Some(Reason::TimedOut),
            4 => Some(Reason::Cancelled),
            5 => Some(Reason::Shutdown),
            _ => None,
        }
    }
}

/// The outcome of [`ParkState::wake`] for the waker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Another wake won, or the wait it targeted is over: do nothing.
    Lost,
    /// Won before the park was committed: the committing worker resumes it.
    WonRunning,
    /// Won against a committed park: the waker must schedule the fiber.
    WonParked,
}

const PHASE_MASK: u64 = 0x1f;
const CANCEL_MASKED: u64 = 0x20;
const CANCEL_PENDING: u64 = 0x40;
const CLOSED: u64 = 0x80;
const WAITING: u64 = 0;
const PARKED: u64 = 1;
const SEQ_SHIFT: u32 = 8;

/// One fiber's or thread's park state (see the module docs).
#[derive(Debug)]
pub(crate) struct ParkState {
    word: AtomicU64,
}

impl ParkState {
    /// A state with no wait open.
    pub(crate) fn new() -> Self {
        // Phase "woken" with seq 0: no wait is open, every wake is stale.
        Self { word: AtomicU64::new(Reason::Notified as u64) }
    }

    /// Opens a new wait. Only the waiting side calls this, and never while
    /// a previous wait of its own is still open.
    ///
    /// Returns `Err(Reason::Shutdown)` once the state is closed, and
    /// `Err(Reason::Cancelled)` (once) when a cancellation is pending.
    pub(crate) fn begin(&self) -> Result<Seq, Reason> {
        let mut cur = cas_loop_load(&self.word, Acquire);
        loop {
            if cur & CLOSED != 0 {
                return Err(Reason::Shutdown);
            }
            // The previous wait has ended, so the word is in a woken phase,
            // from which no wake's CAS succeeds; only `cancel` may change it
            // meanwhile (setting `CANCEL_PENDING`), hence a CAS, not a store.
            let (new, result) = if cur & CANCEL_PENDING != 0 && cur & CANCEL_MASKED == 0 {
                if mutation::on(Mutation::ParkBeginKeepsCancel) {
                    return Err(Reason::Cancelled);
                }
                (cur & !CANCEL_PENDING, Err(Reason::Cancelled))
            } else {
                let seq = (cur >> SEQ_SHIFT).wrapping_add(1) & (u64::MAX >> SEQ_SHIFT);
                // A masked cancellation stays pending through the wait.
                ((seq << SEQ_SHIFT) | (cur & (CANCEL_PENDING | CANCEL_MASKED)) | WAITING, Ok(seq))
            };
            // Release: whoever receives the waiter sees the new seq.
            match self.word.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => return result,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Takes a pending cancellation, if any (a cancellation point that is
    /// not a wait: a fiber's start, `yield_now`).
    pub(crate) fn take_cancel(&self) -> bool {
        // Relaxed first: the common case is "none pending", one plain load.
        // Only the waiting side changes the mask, so it cannot change here.
        let cur = self.word.load(Relaxed);
        cur & CANCEL_PENDING != 0
            && cur & CANCEL_MASKED == 0
            && self.word.fetch_and(!CANCEL_PENDING, AcqRel) & CANCEL_PENDING != 0
    }

    /// Masks (`true`) or unmasks cancellation (see the module docs). Only
    /// the waiting side calls this, with no wait of its own open.
    pub(crate) fn set_cancel_masked(&self, masked: bool) {
        if masked {
            self.word.fetch_or(CANCEL_MASKED, AcqRel);
        } else {
            self.word.fetch_and(!CANCEL_MASKED, AcqRel);
        }
    }

    /// Cancels: ends the open wait with [`Reason::Cancelled`] (the outcome
    /// says whether the caller must schedule the fiber), or, when no wait
    /// is open, leaves the cancellation pending for the next `begin`.
    pub(crate) fn cancel(&self) -> Wake {
        let mut cur = cas_loop_load(&self.word, Acquire);
        loop {
            let masked = cur & CANCEL_MASKED != 0 && !mutation::on(Mutation::ParkCancelIgnoresMask);
            let (new, outcome) = match cur & PHASE_MASK {
                _ if cur & CLOSED != 0 => return Wake::Lost,
                _ if masked => (cur | CANCEL_PENDING, Wake::Lost),
                WAITING => ((cur & !PHASE_MASK) | Reason::Cancelled as u64, Wake::WonRunning),
                PARKED => ((cur & !PHASE_MASK) | Reason::Cancelled as u64, Wake::WonParked),
                _ => (cur | CANCEL_PENDING, Wake::Lost),
            };
            match self.word.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Commits the park of wait `seq`, on the worker's stack after the
    /// fiber's context is saved. `false`: a wake won meanwhile, resume now.
    pub(crate) fn commit(&self, seq: Seq) -> bool {
        // Not one exact CAS: a masked cancellation may set `CANCEL_PENDING`
        // during the wait; the flags are kept.
        let mut cur = cas_loop_load(&self.word, Acquire);
        loop {
            if cur >> SEQ_SHIFT != seq || cur & PHASE_MASK != WAITING {
                return false;
            }
            let parked = (cur & !PHASE_MASK) | PARKED;
            if mutation::on(Mutation::ParkCommitByStore) {
                self.word.store(parked, Release);
                return true;
            }
            match self.word.compare_exchange_weak(cur, parked, AcqRel, Acquire) {
                Ok(_) => return true,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Tries to end wait `seq` with `reason` (see [`Wake`]).
    pub(crate) fn wake(&self, seq: Seq, reason: Reason) -> Wake {
        let mut cur = cas_loop_load(&self.word, Acquire);
        loop {
            if cur >> SEQ_SHIFT != seq && !mutation::on(Mutation::ParkWakeIgnoresSeq) {
                return Wake::Lost;
            }
            let outcome = match cur & PHASE_MASK {
                WAITING => Wake::WonRunning,
                PARKED => Wake::WonParked,
                _ => return Wake::Lost,
            };
            let new = (cur & !PHASE_MASK) | reason as u64;
            match self.word.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Closes the state for good and ends the open wait, if any, with
    /// [`Reason::Shutdown`]. Later `begin`s fail; later wakes lose.
    pub(crate) fn close(&self) -> Wake {
        let mut cur = cas_loop_load(&self.word, Acquire);
        loop {
            let phase = cur & PHASE_MASK;
            let (new, outcome) = match phase {
                WAITING => ((cur & !PHASE_MASK) | CLOSED | Reason::Shutdown as u64, Wake::WonRunning),
                PARKED => ((cur & !PHASE_MASK) | CLOSED | Reason::Shutdown as u64, Wake::WonParked),
                _ => (cur | CLOSED, Wake::Lost),
            };
            if mutation::on(Mutation::ParkCloseByStore) {
                self.word.store(new, Release);
                return outcome;
            }
            match self.word.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => return outcome,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Whether a committed park waits for its wake right now: a snapshot,
    /// for the fiber dump (a wake may win the next moment).
    pub(crate) fn is_parked(&self) -> bool {
        self.word.load(Acquire) & PHASE_MASK == PARKED
    }

    /// The reason wait `seq` ended, or `None` while it is still open.
    /// Acquire: everything the winning waker wrote before waking is visible.
    pub(crate) fn reason(&self, seq: Seq) -> Option<Reason> {
        let cur = self.word.load(Acquire);
        if cur >> SEQ_SHIFT != seq {
            // Only `close` changes the word without the waiting side, and it
            // keeps the seq; a different seq means this wait is not ours.
            return Some(Reason::Shutdown);
        }
        Reason::from_phase(cur & PHASE_MASK)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_before_commit_makes_commit_fail() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert_eq!(p.wake(seq, Reason::Notified), Wake::WonRunning);
        assert!(!p.commit(seq));
        assert_eq!(p.reason(seq), Some(Reason::Notified));
    }

    #[test]
    fn wake_after_commit_must_schedule() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.reason(seq), None);
        assert_eq!(p.wake(seq, Reason::TimedOut), Wake::WonParked);
        assert_eq!(p.reason(seq), Some(Reason::TimedOut));
    }

    #[test]
    fn exactly_one_wake_wins() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.wake(seq, Reason::Notified), Wake::WonParked);
        assert_eq!(p.wake(seq, Reason::TimedOut), Wake::Lost);
        assert_eq!(p.close(), Wake::Lost);
        assert_eq!(p.reason(seq), Some(Reason::Notified));
    }

    #[test]
    fn stale_wake_never_reaches_a_later_wait() {
        let p = ParkState::new();
        let old = p.begin().unwrap();
        assert_eq!(p.wake(old, Reason::Notified), Wake::WonRunning);
        let new = p.begin().unwrap();
        assert_ne!(old, new);
        assert!(p.commit(new));
        assert_eq!(p.wake(old, Reason::TimedOut), Wake::Lost);
        assert_eq!(p.reason(new), None);
    }

    #[test]
    fn close_is_sticky() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.close(), Wake::WonParked);
        assert_eq!(p.reason(seq), Some(Reason::Shutdown));
        assert_eq!(p.begin(), Err(Reason::Shutdown));
        assert_eq!(p.wake(seq, Reason::Notified), Wake::Lost);
    }

    #[test]
    fn cancel_ends_the_open_wait() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.cancel(), Wake::WonParked);
        assert_eq!(p.reason(seq), Some(Reason::Cancelled));
        assert_eq!(p.wake(seq, Reason::Notified), Wake::Lost);
        // Delivered through the wait: nothing is left pending.
        assert!(p.begin().is_ok());
    }

    #[test]
    fn cancel_without_a_wait_is_delivered_once_by_the_next_begin() {
        let p = ParkState::new();
        let seq = p.begin().unwrap();
        assert_eq!(p.wake(seq, Reason::Notified), Wake::WonRunning);
        assert_eq!(p.cancel(), Wake::Lost);
        assert_eq!(p.cancel(), Wake::Lost, "two cancels, one delivery");
        assert_eq!(p.begin(), Err(Reason::Cancelled));
        let next = p.begin().unwrap();
        assert_eq!(p.reason(next), None);
        assert!(!p.take_cancel());
        p.cancel();
        assert!(p.reason(next).is_some(), "the open wait was cancelled");
        assert_eq!(p.cancel(), Wake::Lost);
        assert!(p.take_cancel());
        assert!(!p.take_cancel());
    }

    #[test]
    fn a_masked_cancel_stays_pending_until_unmasked() {
        let p = ParkState::new();
        p.set_cancel_masked(true);
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.cancel(), Wake::Lost, "a masked wait is not ended");
        assert_eq!(p.reason(seq), None);
        assert_eq!(p.wake(seq, Reason::Notified), Wake::WonParked);
        let next = p.begin().expect("still masked: not delivered");
        assert_eq!(p.wake(next, Reason::Notified), Wake::WonRunning);
        assert!(!p.take_cancel(), "masked");
        p.set_cancel_masked(false);
        assert_eq!(p.begin(), Err(Reason::Cancelled), "delivered once unmasked");
        let seq = p.begin().unwrap();
        assert!(p.commit(seq));
        assert_eq!(p.cancel(), Wake::WonParked);
    }

    #[test]
    fn close_beats_cancel() {
        let p = ParkState::new();
        p.cancel();
        assert_eq!(p.close(), Wake::Lost);
        assert_eq!(p.begin(), Err(Reason::Shutdown));
        assert_eq!(p.cancel(), Wake::Lost);
    }

    #[test]
    fn a_fresh_state_ignores_wakes() {
        let p = ParkState::new();
        assert_eq!(p.wake(0, Reason::Notified), Wake::Lost);
        assert_eq!(p.close(), Wake::Lost);
    }
}
