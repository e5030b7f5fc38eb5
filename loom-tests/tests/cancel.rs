//! Cancellation of a park (`JoinHandle::cancel` → `ParkState::cancel`,
//! race 3 of DESIGN.md with a cancel among the wakers) and its mask (a
//! fiber blocking in a destructor during an unwind). The park protocol of
//! `src/fiber/park.rs` is the runtime's; model threads stand in for the
//! fiber and its worker, a waker, and the cancelling thread. Each broken
//! variant switches on one defect planted in that code.
#![cfg(loom)]

// std's `Arc`: see `models.rs`.
use std::sync::Arc;

use fiberio::__loom::{
    Mutation, ParkState, REASON_CANCELLED, REASON_NOTIFIED, WAKE_LOST, WAKE_WON_PARKED, mutate,
};
use loom_tests::check;

/// How many times the fiber's next cancellation points deliver a pending
/// cancellation: a wait it opens (`begin`) and a `yield_now`
/// (`take_cancel`), in that order or the other (`yield_first`); asserts
/// that nothing is left pending after them (a third point, a wait, opens).
fn deliveries_after(p: &ParkState, yield_first: bool) -> usize {
    let wait = || match p.try_begin() {
        Err(reason) => {
            assert_eq!(reason, REASON_CANCELLED);
            1
        }
        // Not cancelled: the wait ends some other way.
        Ok(seq) => {
            assert_ne!(p.wake(seq, REASON_NOTIFIED), WAKE_LOST);
            0
        }
    };
    let yield_now = || usize::from(p.take_cancel());
    // In this order: each point may take what the other would have.
    let (first, second): (&dyn Fn() -> usize, &dyn Fn() -> usize) =
        if yield_first { (&yield_now, &wait) } else { (&wait, &yield_now) };
    let delivered = first() + second();
    let seq = p.try_begin().expect("cancel: a cancellation left pending after its delivery");
    p.wake(seq, REASON_NOTIFIED);
    delivered
}

/// Race 3 with a cancellation: a fiber's wait is open; a waker and a
/// cancelling thread race the worker's commit of the park. Asserts: the
/// fiber resumes exactly once (the failed commit, or the winner against
/// the committed park); the wait ends as the winner says; a cancel that
/// lost the wait stays pending; the cancellation is delivered exactly once
/// — by the wait, or by the fiber's next cancellation point.
///
/// Bound: none — three threads, every interleaving, in well under a
/// second (the broken variant is caught at bound 0).
fn cancel_model(m: Option<Mutation>) {
    mutate(m);
    check(None, || {
        let p = Arc::new(ParkState::default());
        let seq = p.begin();
        let spawn = |f: fn(&ParkState, u64) -> u8| {
            let p = p.clone();
            loom::thread::spawn(move || f(&p, seq))
        };
        let waker = spawn(|p, seq| p.wake(seq, REASON_NOTIFIED));
        let canceller = spawn(|p, _| p.cancel());
        let committed = p.commit(seq);
        let (by_wake, by_cancel) = (waker.join().unwrap(), canceller.join().unwrap());
        let resumes = usize::from(!committed)
            + usize::from(by_wake == WAKE_WON_PARKED)
            + usize::from(by_cancel == WAKE_WON_PARKED);
        assert_eq!(resumes, 1, "cancel: the fiber resumes {resumes} times, not once");
        let reason = p.reason(seq).expect("cancel: the wait never ends");
        assert_eq!(reason == REASON_CANCELLED, by_cancel != WAKE_LOST, "cancel: the wait ended by a loser");
        assert_eq!(reason == REASON_NOTIFIED, by_wake != WAKE_LOST, "cancel: the wait ended by a loser");
        let delivered = usize::from(reason == REASON_CANCELLED) + deliveries_after(&p, false);
        assert_eq!(delivered, 1, "cancel: delivered {delivered} times, not once");
    });
}

#[test]
fn cancel_wake_and_commit_one_outcome_one_delivery() {
    cancel_model(None);
}

#[test]
#[should_panic(expected = "cancel: delivered 2 times")]
fn broken_begin_keeping_the_cancellation_is_caught() {
    cancel_model(Some(Mutation::ParkBeginKeepsCancel));
}

/// A masked cancellation: a fiber blocks while its thread unwinds (a
/// destructor's wait: `fiber::cancel::masked`), so it masks cancellation,
/// opens its wait and parks; a cancel races the mask, the wait and the
/// wake that ends it. Asserts: the masked wait never ends as cancelled —
/// a second unwind out of a destructor would abort — and the fiber
/// resumes exactly once; once unmasked, the cancellation is delivered
/// exactly once (here first at a `yield_now`, in [`cancel_model`] first at
/// a wait).
///
/// Bound: none — three threads, every interleaving, in well under a
/// second (the broken variant is caught at bound 0).
fn masked_cancel_model(m: Option<Mutation>) {
    mutate(m);
    check(None, || {
        let p = Arc::new(ParkState::default());
        let canceller = {
            let p = p.clone();
            loom::thread::spawn(move || p.cancel())
        };
        p.set_cancel_masked(true);
        let seq = p.try_begin().expect("cancel: delivered while masked");
        let waker = {
            let p = p.clone();
            loom::thread::spawn(move || p.wake(seq, REASON_NOTIFIED))
        };
        let committed = p.commit(seq);
        let (by_wake, by_cancel) = (waker.join().unwrap(), canceller.join().unwrap());
        assert_eq!(p.reason(seq), Some(REASON_NOTIFIED), "cancel: delivered while masked");
        let resumes = usize::from(!committed)
            + usize::from(by_wake == WAKE_WON_PARKED)
            + usize::from(by_cancel == WAKE_WON_PARKED);
        assert_eq!(resumes, 1, "cancel: the fiber resumes {resumes} times, not once");
        p.set_cancel_masked(false);
        let delivered = deliveries_after(&p, true);
        assert_eq!(delivered, 1, "cancel: delivered {delivered} times after the mask, not once");
    });
}

#[test]
fn masked_cancel_waits_for_the_unmask() {
    masked_cancel_model(None);
}

#[test]
#[should_panic(expected = "cancel: delivered while masked")]
fn broken_cancel_ignoring_the_mask_is_caught() {
    masked_cancel_model(Some(Mutation::ParkCancelIgnoresMask));
}
