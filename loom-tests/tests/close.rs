//! Races 5 and 6: an fd closed while a fiber registers on it, a runtime
//! shut down while a fiber waits (5), and an fd closed and reused while an
//! event for the old one is in flight (6). The poll descriptor
//! (`src/reactor/poll_desc.rs`), the park protocol and the waiters are the
//! runtime's; model threads stand in for fibers, the poller and the
//! closing thread.
#![cfg(loom)]

use fiberio::__loom::{
    self as real, Dir, Parker, REASON_NOTIFIED, Snapshot, WAKE_LOST, WAKE_WON_PARKED, Waiter,
};
use loom::sync::Arc;
use loom_tests::{broken, check};

/// What the fd-close model needs of one direction of a poll descriptor.
trait ClosingFd: Default + Send + Sync + 'static {
    fn snapshot(&self) -> Snapshot;
    fn clear(&self, seen: Snapshot) -> bool;
    fn register_waiter(&self, waiter: Waiter);
    fn close(&self);
}

impl ClosingFd for real::PollDesc {
    fn snapshot(&self) -> Snapshot {
        real::PollDesc::snapshot(self, Dir::Read)
    }
    fn clear(&self, seen: Snapshot) -> bool {
        real::PollDesc::clear(self, Dir::Read, seen)
    }
    fn register_waiter(&self, waiter: Waiter) {
        real::PollDesc::register_waiter(self, Dir::Read, waiter)
    }
    fn close(&self) {
        real::PollDesc::close(self)
    }
}

impl ClosingFd for broken::PdWakesBeforeClosing {
    fn snapshot(&self) -> Snapshot {
        broken::PdWakesBeforeClosing::snapshot(self)
    }
    fn clear(&self, seen: Snapshot) -> bool {
        broken::PdWakesBeforeClosing::clear(self, seen)
    }
    fn register_waiter(&self, waiter: Waiter) {
        broken::PdWakesBeforeClosing::register_waiter(self, waiter)
    }
    fn close(&self) {
        broken::PdWakesBeforeClosing::close(self)
    }
}

/// Race 5, the fd: one thread closes the fd (`IoSource`'s drop) while a
/// fiber reads it — snapshot, `EAGAIN`, clear, register its waiter (with
/// the re-check), and its worker commits the park (`IoSource::run`,
/// `PollDesc::register_waiter`). Asserts: a fiber that registered is
/// always woken (the close took it from the queue, or its re-check saw the
/// token closed), and its retry sees the fd closed — an error, not
/// another wait.
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variant is caught from bound 1).
fn fd_close_model<F: ClosingFd>(preemptions: Option<usize>) {
    check(preemptions, || {
        let fd = Arc::new(F::default());
        let closer = {
            let fd = fd.clone();
            loom::thread::spawn(move || fd.close())
        };
        let fiber = Parker::for_current();
        let seen = fd.snapshot();
        let wait = (!seen.is_closed()).then(|| {
            fd.clear(seen); // the read said EAGAIN
            let seq = fiber.begin().expect("not shut down");
            fd.register_waiter(fiber.waiter(seq));
            fiber.commit(seq);
            seq
        });
        closer.join().unwrap();
        if let Some(seq) = wait {
            assert!(fiber.reason(seq).is_some(), "fd close: a fiber parked on the closed fd is never woken");
            assert!(
                fd.snapshot().is_closed(),
                "fd close: the woken fiber's retry does not see the fd closed"
            );
        }
    });
}

#[test]
fn fd_close_wakes_every_waiter() {
    fd_close_model::<real::PollDesc>(None);
}

#[test]
#[should_panic(expected = "fd close: a fiber parked on the closed fd is never woken")]
fn broken_wake_before_closing_is_caught() {
    fd_close_model::<broken::PdWakesBeforeClosing>(None);
}

/// What the shutdown model needs of a park protocol.
trait Park: Default + Send + Sync + 'static {
    fn begin(&self) -> Result<u64, u8>;
    fn commit(&self, seq: u64) -> bool;
    fn wake(&self, seq: u64, reason: u8) -> u8;
    fn close(&self) -> u8;
    fn reason(&self, seq: u64) -> Option<u8>;
}

macro_rules! park {
    ($t:ty, $begin:ident) => {
        impl Park for $t {
            fn begin(&self) -> Result<u64, u8> {
                <$t>::$begin(self)
            }
            fn commit(&self, seq: u64) -> bool {
                <$t>::commit(self, seq)
            }
            fn wake(&self, seq: u64, reason: u8) -> u8 {
                <$t>::wake(self, seq, reason)
            }
            fn close(&self) -> u8 {
                <$t>::close(self)
            }
            fn reason(&self, seq: u64) -> Option<u8> {
                <$t>::reason(self, seq)
            }
        }
    };
}
park!(real::ParkState, try_begin);
park!(broken::ParkCloseByStore, begin);

/// Race 5, the runtime: a fiber's wait is open and its waker (an event, a
/// remote wake) races the fiber's worker, which first commits the park and
/// then, shutting down, closes the fiber's park state
/// (`ParkState::close` in `Worker::shutdown`) to unwind it. Asserts: the
/// fiber is resumed exactly once — by the failed commit, the waker, or the
/// shutdown; its wait has ended; a wait it opens afterwards (a destructor
/// that blocks) fails at once — the closed state is sticky — and a late
/// wake loses.
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variant is caught from bound 1).
fn shutdown_model<P: Park>(preemptions: Option<usize>) {
    check(preemptions, || {
        let p = Arc::new(P::default());
        let seq = p.begin().expect("not shut down yet");
        let waker = {
            let p = p.clone();
            loom::thread::spawn(move || p.wake(seq, REASON_NOTIFIED))
        };
        let committed = p.commit(seq);
        let by_close = p.close();
        let by_wake = waker.join().unwrap();
        let resumes = usize::from(!committed)
            + usize::from(by_wake == WAKE_WON_PARKED)
            + usize::from(by_close == WAKE_WON_PARKED);
        assert_eq!(resumes, 1, "shutdown: the fiber is resumed {resumes} times, not once");
        assert!(p.reason(seq).is_some(), "shutdown: the fiber's wait never ends");
        assert!(p.begin().is_err(), "shutdown: a wait opened after close (closed state not sticky)");
        assert_eq!(p.wake(seq, REASON_NOTIFIED), WAKE_LOST, "shutdown: a late wake won after close");
    });
}

#[test]
fn shutdown_resumes_once_and_stays_closed() {
    shutdown_model::<real::ParkState>(None);
}

#[test]
#[should_panic(expected = "shutdown: the fiber is resumed 2 times")]
fn broken_close_by_store_is_caught() {
    shutdown_model::<broken::ParkCloseByStore>(None);
}

/// What the fd-reuse model needs of a poll descriptor.
trait ReusedFd: Default + Send + Sync + 'static {
    fn pd(&self) -> &real::PollDesc;
    fn deliver(&self, generation: u32, dir: Dir, hup: bool);
}

impl ReusedFd for real::PollDesc {
    fn pd(&self) -> &real::PollDesc {
        self
    }
    fn deliver(&self, generation: u32, dir: Dir, hup: bool) {
        real::PollDesc::deliver(self, generation, dir, hup)
    }
}

macro_rules! reused {
    ($($t:ident),*) => {$(
        impl ReusedFd for broken::$t {
            fn pd(&self) -> &real::PollDesc {
                &self.0
            }
            fn deliver(&self, generation: u32, dir: Dir, hup: bool) {
                broken::$t::deliver(self, generation, dir, hup)
            }
        }
    )*};
}
reused!(DispatchIgnoresGeneration, DispatchChecksGenerationEarly);

/// Race 6: the worker took an event for fd `n`, generation `g`, from
/// `epoll_wait` — the old peer hung up, the worst case, since a hang-up is
/// sticky — and dispatches it (`reactor::dispatch`) while another thread
/// closes the fd and a new socket reuses number `n` at generation `g + 2`
/// (`IoSource`'s drop and `IoSource::new`): its first read says `EAGAIN`
/// and parks. Asserts: the stale event neither makes the new fd ready nor
/// wakes its waiter.
///
/// Bound: none — two threads, every interleaving, in milliseconds (both
/// broken variants are caught at bound 0: the poller's thread runs its
/// check, blocks on the waiter lock the owner holds, and delivers late).
fn fd_reuse_model<F: ReusedFd>(preemptions: Option<usize>) {
    check(preemptions, || {
        let fd = Arc::new(F::default());
        let old = fd.pd().open();
        let poller = {
            let fd = fd.clone();
            loom::thread::spawn(move || fd.deliver(old, Dir::Read, true))
        };
        let pd = fd.pd();
        pd.close();
        assert_ne!(pd.open(), old);
        let reader = Parker::for_current();
        let seen = pd.snapshot(Dir::Read);
        pd.clear(Dir::Read, seen); // the new socket has no data: EAGAIN
        let seq = reader.begin().expect("not shut down");
        pd.register_waiter(Dir::Read, reader.waiter(seq));
        poller.join().unwrap();
        assert!(
            !pd.snapshot(Dir::Read).is_ready(),
            "fd reuse: an event of the closed fd made the new one ready"
        );
        assert_eq!(
            reader.reason(seq),
            None,
            "fd reuse: an event of the closed fd woke a waiter of the new one"
        );
    });
}

#[test]
fn fd_reuse_drops_stale_events() {
    fd_reuse_model::<real::PollDesc>(None);
}

#[test]
#[should_panic(expected = "fd reuse: an event of the closed fd")]
fn broken_generation_ignored_is_caught() {
    fd_reuse_model::<broken::DispatchIgnoresGeneration>(None);
}

#[test]
#[should_panic(expected = "fd reuse: an event of the closed fd")]
fn broken_generation_checked_before_delivery_is_caught() {
    fd_reuse_model::<broken::DispatchChecksGenerationEarly>(None);
}
