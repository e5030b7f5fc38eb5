//! Races 1–4 (the park protocol, `src/fiber/park.rs`), 11 (the
//! readiness token's clear, through the IO loop of
//! `src/reactor/poll_desc.rs`), also for an async task (a waker stored
//! beside the fd's fiber waiters, `PollDesc::poll_io`: race 1). Every model runs the runtime's own code;
//! each broken variant switches on one defect planted in it
//! (`fiberio::__loom::mutate`), and the model must catch it.
#![cfg(loom)]

use std::io;
// std's `Arc`: when loom reports a deadlock it unwinds the model's main
// thread, and dropping a loom `Arc` there would touch the dead execution
// and abort the test binary. What matters to the model is inside.
use std::sync::Arc;

use fiberio::__loom::{
    Dir, Mutation, ParkState, Parker, PollDesc, REASON_NOTIFIED, REASON_TIMED_OUT, Ready, WAKE_WON_PARKED,
    WAKE_WON_RUNNING, mutate,
};
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom_tests::{Waits, check};

/// Races 1–4: two wakes (an event, a timer) race the worker's commit of a
/// fiber's park. Exactly one wake wins; if it won against the committed
/// park it must schedule the fiber (`WonParked`), else the failed commit
/// resumes it — either way the fiber runs again exactly once and learns the
/// winner's reason; a stale wake never reaches the next wait.
///
/// Bound: none — three threads, every interleaving, in a tenth of a second
/// (the broken variant is caught from bound 1).
fn park_model(m: Option<Mutation>) {
    mutate(m);
    check(None, move || {
        let p = Arc::new(ParkState::default());
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
    park_model(None);
}

#[test]
#[should_panic(expected = "park: ")]
fn broken_park_commit_by_store_is_caught() {
    park_model(Some(Mutation::ParkCommitByStore));
}

/// Race 4: a waker holds the runtime's waiter for wait N of a fiber (a
/// timer, an fd queue) while that wait ends another way — the fiber's own
/// timeout — and the fiber opens wait N+1 and its worker commits it. The
/// late wake for N races `begin` and `commit` of N+1. Asserts: it wins
/// only against wait N, never ends wait N+1, and N+1's commit holds.
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variant is caught at bound 0).
fn stale_wake_model(m: Option<Mutation>) {
    mutate(m);
    check(None, move || {
        let fiber = Parker::for_current();
        let first = fiber.begin().expect("not shut down");
        let waiter = fiber.waiter(first);
        let waker = loom::thread::spawn(move || waiter.wake(REASON_NOTIFIED));
        let timed_out = fiber.waiter(first).wake(REASON_TIMED_OUT);
        let won = !timed_out;
        let next = fiber.begin().expect("not shut down");
        let committed = fiber.commit(next);
        let late_won = waker.join().unwrap();
        assert_eq!(won, late_won, "stale wake: not exactly one wake ended wait N");
        assert!(committed, "stale wake: wait N+1's commit failed");
        assert_eq!(fiber.reason(next), None, "stale wake: a wake for wait N ended wait N+1");
    });
}

#[test]
fn stale_wake_never_ends_a_later_wait() {
    stale_wake_model(None);
}

#[test]
#[should_panic(expected = "stale wake: ")]
fn broken_wake_ignoring_seq_is_caught() {
    stale_wake_model(Some(Mutation::ParkWakeIgnoresSeq));
}

/// Race 11, through the IO loop: a fiber reads a socket
/// (`PollDesc::run_io`: snapshot the token, the non-blocking read, on
/// `EAGAIN` clear with the snapshot's tick, wait for the next edge) while
/// data lands and the poller dispatches its edge. A short read clears the
/// token too. Asserts, by the read returning: no data is stranded — the
/// read got it, or the edge kept the token ready, or woke the waiter. A
/// stale clear that erases the edge leaves the reader parked for good
/// (loom: "deadlock").
///
/// With `Waits::Task`, race 1 for an async task (`PollDesc::poll_io`, the
/// poll behind the `tokio-io` / `futures-io` traits): where the fiber
/// would park, the task stores its waker under the waiter lock with a
/// re-check of the token and returns `Pending`; the edge must find the
/// waker stored, or the re-check the token ready. A registration without
/// the re-check leaves the task asleep for good ("deadlock").
///
/// Bound: none — two threads, every interleaving, in milliseconds (the
/// broken variants are caught from bound 1).
fn readiness_model(m: Option<Mutation>, waits: Waits) {
    mutate(m);
    check(None, move || {
        let pd = Arc::new(PollDesc::default());
        let generation = pd.open();
        let data = Arc::new(AtomicBool::new(false));
        let poller = {
            let (pd, data) = (pd.clone(), data.clone());
            loom::thread::spawn(move || {
                // Bytes land in the socket buffer: an RMW, not a store, as
                // loom lets a plain store slip between the read and the
                // write of the reader's concurrent swap (tokio-rs/loom#254).
                data.swap(true, SeqCst);
                pd.dispatch(generation, Ready { read: true, ..Ready::default() }); // then the edge
            })
        };
        let read = loom_tests::run_io(&pd, Dir::Read, waits, || {
            if data.swap(false, SeqCst) { Ok(()) } else { Err(io::ErrorKind::WouldBlock.into()) }
        });
        assert!(read.is_ok(), "readiness: the read failed");
        poller.join().unwrap();
    });
}

#[test]
fn readiness_clear_keeps_a_newer_edge() {
    readiness_model(None, Waits::Fiber);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_unticked_clear_is_caught() {
    readiness_model(Some(Mutation::ReadinessUntickedClear), Waits::Fiber);
}

#[test]
fn a_task_never_misses_the_edge_after_its_eagain() {
    readiness_model(None, Waits::Task);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_task_registration_without_recheck_is_caught() {
    readiness_model(Some(Mutation::PdTaskNoRecheck), Waits::Task);
}
