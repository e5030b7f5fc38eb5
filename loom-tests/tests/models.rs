//! The loom models. Each is written once against a small trait, run on the
//! runtime's protocol (must pass) and on a broken copy (must fail).
#![cfg(loom)]

use fiberio::__loom::{self as real, REASON_NOTIFIED, REASON_TIMED_OUT, WAKE_WON_PARKED, WAKE_WON_RUNNING};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom_tests::broken;

/// What the park model needs of a park protocol.
trait Park: Default + Send + Sync + 'static {
    fn begin(&self) -> u64;
    fn commit(&self, seq: u64) -> bool;
    fn wake(&self, seq: u64, reason: u8) -> u8;
    fn reason(&self, seq: u64) -> Option<u8>;
}

impl Park for real::ParkState {
    fn begin(&self) -> u64 {
        real::ParkState::begin(self)
    }
    fn commit(&self, seq: u64) -> bool {
        real::ParkState::commit(self, seq)
    }
    fn wake(&self, seq: u64, reason: u8) -> u8 {
        real::ParkState::wake(self, seq, reason)
    }
    fn reason(&self, seq: u64) -> Option<u8> {
        real::ParkState::reason(self, seq)
    }
}

impl Park for broken::ParkCommitByStore {
    fn begin(&self) -> u64 {
        broken::ParkCommitByStore::begin(self)
    }
    fn commit(&self, seq: u64) -> bool {
        broken::ParkCommitByStore::commit(self, seq)
    }
    fn wake(&self, seq: u64, reason: u8) -> u8 {
        broken::ParkCommitByStore::wake(self, seq, reason)
    }
    fn reason(&self, seq: u64) -> Option<u8> {
        broken::ParkCommitByStore::reason(self, seq)
    }
}

/// Races 1–4: two wakes (an event, a timer) race the worker's commit of a
/// fiber's park. Exactly one wake wins; if it won against the committed
/// park it must schedule the fiber (`WonParked`), else the failed commit
/// resumes it — either way the fiber runs again exactly once and learns the
/// winner's reason; a stale wake never reaches the next wait.
fn park_model<P: Park>() {
    loom::model(|| {
        let p = Arc::new(P::default());
        let seq = p.begin();
        let (a, b) = (p.clone(), p.clone());
        let event = loom::thread::spawn(move || a.wake(seq, REASON_NOTIFIED));
        let timer = loom::thread::spawn(move || b.wake(seq, REASON_TIMED_OUT));
        let committed = p.commit(seq);
        let (ra, rb) = (event.join().unwrap(), timer.join().unwrap());
        let scheduled = [ra, rb].iter().filter(|w| **w == WAKE_WON_PARKED).count();
        let won_running = [ra, rb].iter().filter(|w| **w == WAKE_WON_RUNNING).count();
        assert_eq!(scheduled + won_running, 1, "park: exactly one wake wins");
        // The fiber runs again exactly once: scheduled by the winner, or
        // resumed at once by the failed commit — never both, never neither.
        let resumed_by_commit = usize::from(!committed);
        assert_eq!(scheduled + resumed_by_commit, 1, "park: the fiber resumes exactly once");
        let why = p.reason(seq).expect("the wait ended");
        assert!(why == REASON_NOTIFIED || why == REASON_TIMED_OUT);
        let next = p.begin();
        assert_eq!(p.reason(next), None, "park: a stale wake reached the next wait");
    });
}

#[test]
fn park_protocol_one_wake_one_resume() {
    park_model::<real::ParkState>();
}

#[test]
#[should_panic(expected = "park: ")]
fn broken_park_commit_by_store_is_caught() {
    park_model::<broken::ParkCommitByStore>();
}

/// What the readiness model needs of a readiness token.
trait Token: Default + Send + Sync + 'static {
    type Seen: Copy + Send;
    fn snapshot(&self) -> Self::Seen;
    fn is_ready(&self) -> bool;
    fn set_ready(&self);
    fn clear(&self, seen: Self::Seen) -> bool;
}

impl Token for real::Readiness {
    type Seen = real::Snapshot;
    fn snapshot(&self) -> real::Snapshot {
        real::Readiness::snapshot(self)
    }
    fn is_ready(&self) -> bool {
        real::Readiness::snapshot(self).is_ready()
    }
    fn set_ready(&self) {
        real::Readiness::set_ready(self)
    }
    fn clear(&self, seen: real::Snapshot) -> bool {
        real::Readiness::clear(self, seen)
    }
}

impl Token for broken::ReadinessUntickedClear {
    type Seen = u64;
    fn snapshot(&self) -> u64 {
        broken::ReadinessUntickedClear::snapshot(self)
    }
    fn is_ready(&self) -> bool {
        broken::ReadinessUntickedClear::snapshot(self) & 1 != 0
    }
    fn set_ready(&self) {
        broken::ReadinessUntickedClear::set_ready(self)
    }
    fn clear(&self, seen: u64) -> bool {
        broken::ReadinessUntickedClear::clear(self, seen)
    }
}

/// Race 11: a fiber snapshots the token and makes its syscall; if that
/// finds nothing (EAGAIN) it clears the token — while data arrives and the
/// poller delivers its edge. No data may be stranded: either the syscall
/// got it, or the token is still ready so the next read tries again (an
/// edge-triggered epoll never repeats the edge).
fn readiness_model<T: Token>() {
    loom::model(|| {
        let t = Arc::new(T::default());
        let data = Arc::new(AtomicBool::new(false));
        let poller = {
            let (t, data) = (t.clone(), data.clone());
            loom::thread::spawn(move || {
                data.store(true, SeqCst); // bytes land in the socket buffer
                t.set_ready(); // then epoll reports the edge
            })
        };
        let seen = t.snapshot();
        // The non-blocking syscall: takes the data if it is there.
        let got = data.swap(false, SeqCst);
        if !got {
            t.clear(seen); // EAGAIN
        }
        poller.join().unwrap();
        let stranded = data.load(SeqCst);
        assert!(
            !stranded || t.is_ready(),
            "data arrived but the token says wait: a stale clear erased its edge"
        );
    });
}

#[test]
fn readiness_clear_keeps_a_newer_edge() {
    readiness_model::<real::Readiness>();
}

#[test]
#[should_panic(expected = "a stale clear erased its edge")]
fn broken_unticked_clear_is_caught() {
    readiness_model::<broken::ReadinessUntickedClear>();
}
