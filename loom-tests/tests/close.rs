//! Races 5 and 6: an fd closed while fibers wait on it or register (5), a
//! runtime shut down while a fiber waits (5), and an fd closed and reused
//! while an event for the old one is in flight (6). The poll descriptor
//! (`src/reactor/poll_desc.rs`: its IO loop, event dispatch and close),
//! the park protocol and the waiters are the runtime's; model threads
//! stand in for fibers, the poller and the closing thread. Each broken
//! variant switches on one defect planted in that code.
#![cfg(loom)]

use std::io;
// std's `Arc`: see `models.rs`.
use std::sync::Arc;

use fiberio::__loom::{
    Dir, Mutation, ParkState, PollDesc, REASON_NOTIFIED, Ready, WAKE_LOST, WAKE_WON_PARKED, mutate,
};
use loom_tests::{Waits, check};

/// A socket with nothing to read and no room to write: every call says
/// `EAGAIN`.
fn would_block() -> io::Result<()> {
    Err(io::ErrorKind::WouldBlock.into())
}

/// A fiber's read or write on an fd nothing ever becomes ready on: it can
/// only end by the close (`NotConnected`).
fn blocked_io(pd: &PollDesc, dir: Dir) -> io::ErrorKind {
    blocked_io_waiting(pd, dir, Waits::Fiber)
}

/// [`blocked_io`] by a fiber or by an async task (its waker stored beside
/// the fiber waiters, `PollDesc::poll_io`).
fn blocked_io_waiting(pd: &PollDesc, dir: Dir, waits: Waits) -> io::ErrorKind {
    loom_tests::run_io(pd, dir, waits, would_block).expect_err("nothing to read or write").kind()
}

/// Race 5, the fd: one thread closes the fd (`IoSource`'s drop) while a
/// fiber reads it (`IoSource::run`: snapshot, `EAGAIN`, clear, register
/// its waiter with the re-check, park). Asserts, by the read returning: a
/// fiber that registered is always woken — the close took it from the
/// queue, or its re-check saw the token closed — and its retry sees the fd
/// closed: an error, not another wait. A fiber left parked shows as loom's
/// "deadlock".
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variant is caught at bound 0).
///
/// With `Waits::Task`, the reader is an async task: the close must wake its
/// waker as it wakes fiber waiters, and its next poll fail.
fn fd_close_model(m: Option<Mutation>, waits: Waits) {
    mutate(m);
    check(None, move || {
        let pd = Arc::new(PollDesc::default());
        pd.open();
        let closer = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.close())
        };
        let err = blocked_io_waiting(&pd, Dir::Read, waits);
        assert_eq!(err, io::ErrorKind::NotConnected, "fd close: not seen closed");
        closer.join().unwrap();
    });
}

#[test]
fn fd_close_wakes_every_waiter() {
    fd_close_model(None, Waits::Fiber);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_wake_before_closing_is_caught() {
    fd_close_model(Some(Mutation::PdWakesBeforeClosing), Waits::Fiber);
}

#[test]
fn the_close_wakes_a_waiting_task() {
    fd_close_model(None, Waits::Task);
}

/// The preemption bound of [`fd_close_several_model`] (see there).
const CLOSE_SEVERAL_BOUND: Option<usize> = Some(2);

/// Race 5 with several waiters on both directions: two fibers read the fd
/// and one writes it, all finding it not ready, while a thread closes it.
/// Asserts, by every operation returning `NotConnected`: the close wakes
/// each waiter of each queue, and one registering meanwhile sees the
/// token closed.
///
/// Bound: 2 preemptions (switches at blocking points — a held lock, a
/// join, a park — come free). The closer is spawned last and the model's
/// own thread reads, so the run without preemptions already queues all
/// three waiters before the close: the broken variant is caught at bound
/// 0. 2 leaves two of margin at a few seconds (bound 1: a fraction of a
/// second; 3: minutes).
fn fd_close_several_model(m: Option<Mutation>) {
    mutate(m);
    check(CLOSE_SEVERAL_BOUND, || {
        let pd = Arc::new(PollDesc::default());
        pd.open();
        let spawn = |f: fn(&PollDesc) -> io::ErrorKind| {
            let pd = pd.clone();
            loom::thread::spawn(move || f(&pd))
        };
        let others = [
            spawn(|pd| blocked_io(pd, Dir::Read)),
            spawn(|pd| blocked_io(pd, Dir::Write)),
            spawn(|pd| {
                pd.close();
                io::ErrorKind::NotConnected
            }),
        ];
        assert_eq!(blocked_io(&pd, Dir::Read), io::ErrorKind::NotConnected, "fd close: not seen closed");
        for other in others {
            assert_eq!(other.join().unwrap(), io::ErrorKind::NotConnected, "fd close: not seen closed");
        }
    });
}

#[test]
fn fd_close_wakes_every_waiter_of_both_directions() {
    fd_close_several_model(None);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_close_waking_the_first_only_is_caught() {
    fd_close_several_model(Some(Mutation::PdCloseWakesFirstOnly));
}

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
fn shutdown_model(m: Option<Mutation>) {
    mutate(m);
    check(None, move || {
        let p = Arc::new(ParkState::default());
        let seq = p.begin();
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
        assert!(p.try_begin().is_err(), "shutdown: a wait opened after close (closed state not sticky)");
        assert_eq!(p.wake(seq, REASON_NOTIFIED), WAKE_LOST, "shutdown: a late wake won after close");
    });
}

#[test]
fn shutdown_resumes_once_and_stays_closed() {
    shutdown_model(None);
}

#[test]
#[should_panic(expected = "shutdown: the fiber is resumed 2 times")]
fn broken_close_by_store_is_caught() {
    shutdown_model(Some(Mutation::ParkCloseByStore));
}

/// Race 6: the worker took an event for fd `n`, generation `g`, from
/// `epoll_wait` — the old peer hung up, the worst case, since a hang-up is
/// sticky — and dispatches it (`PollDesc::dispatch`) while another thread
/// closes the fd and a new socket reuses number `n` at generation `g + 2`
/// (`IoSource`'s drop and `IoSource::new`). The new socket is read with a
/// timeout: its first read says `EAGAIN` and it waits (under loom the
/// deadline has passed: the wait races the stale event with its timeout);
/// a second read would find data only if something woke it or left the
/// token ready. Asserts: the read times out, and the stale event left the
/// new fd's token clear.
///
/// Bound: none — two threads, every interleaving, in milliseconds (both
/// broken variants are caught at bound 0: the poller's thread runs its
/// check, blocks on the waiter lock the owner holds, and delivers late).
fn fd_reuse_model(m: Option<Mutation>) {
    mutate(m);
    check(None, move || {
        let pd = Arc::new(PollDesc::default());
        let old = pd.open();
        let poller = {
            let pd = pd.clone();
            loom::thread::spawn(move || pd.dispatch(old, Ready { read_hup: true, ..Ready::default() }))
        };
        pd.close();
        assert_ne!(pd.open(), old);
        let mut reads = 0;
        let read = pd.run_io(
            Dir::Read,
            true,
            || {
                reads += 1;
                if reads == 1 { would_block() } else { Ok(()) }
            },
            |_| true,
        );
        poller.join().unwrap();
        assert_eq!(
            read.map_err(|e| e.kind()),
            Err(io::ErrorKind::TimedOut),
            "fd reuse: an event of the closed fd woke the reader of the new one"
        );
        assert!(
            !pd.snapshot(Dir::Read).is_ready(),
            "fd reuse: an event of the closed fd made the new one ready"
        );
    });
}

#[test]
fn fd_reuse_drops_stale_events() {
    fd_reuse_model(None);
}

#[test]
#[should_panic(expected = "fd reuse: an event of the closed fd")]
fn broken_generation_ignored_is_caught() {
    fd_reuse_model(Some(Mutation::DispatchIgnoresGeneration));
}

#[test]
#[should_panic(expected = "fd reuse: an event of the closed fd")]
fn broken_generation_checked_before_delivery_is_caught() {
    fd_reuse_model(Some(Mutation::DispatchChecksGenerationEarly));
}
