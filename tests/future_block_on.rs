//! `fiberio::future::block_on`: a future runs to completion on a fiber,
//! which parks (and only it) while the future is pending, and resumes on
//! its own worker whenever and wherever its `Waker` is woken; off a fiber
//! the thread blocks. Race 13's model is `loom-tests/tests/race13_waker.rs`.

mod util;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use fiberio::future::block_on;
use util::{Watchdog, one_worker, spawn_on, two_workers};

/// A future completed from outside: `fire` makes it ready and wakes the
/// last waker it was polled with.
#[derive(Default)]
struct Trigger {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
    polls: AtomicU64,
}

impl Trigger {
    fn fire(&self) {
        self.fired.store(true, SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }

    fn wait(self: &Arc<Self>) -> impl Future<Output = u64> + use<> {
        let t = self.clone();
        poll_fn(move |cx| {
            let polls = t.polls.fetch_add(1, SeqCst) + 1;
            *t.waker.lock().unwrap() = Some(cx.waker().clone());
            if t.fired.load(SeqCst) { Poll::Ready(polls) } else { Poll::Pending }
        })
    }
}

#[test]
fn a_ready_future_completes_without_parking() {
    let rt = one_worker();
    assert_eq!(rt.block_on(|| block_on(async { 7 })), 7);
    assert_eq!(rt.metrics()[0].parks, 0, "a ready future never parks its fiber");
}

#[test]
fn a_pending_future_parks_only_its_fiber() {
    let _w = Watchdog::new("a_pending_future_parks_only_its_fiber", 60);
    let rt = one_worker();
    let trigger = Arc::new(Trigger::default());
    let t = trigger.clone();
    let waiting = rt.spawn(move || block_on(t.wait()));
    // The same worker runs this fiber while the other is blocked in
    // `block_on`: it fires the trigger once the future has been polled.
    let t = trigger.clone();
    rt.spawn(move || {
        while t.polls.load(SeqCst) == 0 {
            fiberio::yield_now();
        }
        t.fire();
    })
    .join()
    .unwrap();
    assert_eq!(waiting.join().unwrap(), 2, "polled once pending, once ready");
}

#[test]
fn a_wake_from_another_worker_resumes_the_fiber_on_its_own() {
    let _w = Watchdog::new("a_wake_from_another_worker_resumes_the_fiber_on_its_own", 60);
    let rt = two_workers();
    for _ in 0..200 {
        let trigger = Arc::new(Trigger::default());
        let t = trigger.clone();
        let waiting = spawn_on(&rt, 0, move || {
            let before = std::thread::current().id();
            block_on(t.wait());
            before == std::thread::current().id()
        });
        let t = trigger.clone();
        spawn_on(&rt, 1, move || {
            while t.polls.load(SeqCst) == 0 {
                fiberio::yield_now();
            }
            t.fire();
        })
        .join()
        .unwrap();
        assert!(waiting.join().unwrap(), "resumed on its own worker");
    }
}

/// Wakes from plain threads at any moment — before the first poll, during
/// a poll, after it, several at once — are never lost.
#[test]
fn racing_wakes_from_threads_are_never_lost() {
    let _w = Watchdog::new("racing_wakes_from_threads_are_never_lost", 120);
    let rt = two_workers();
    for round in 0..500 {
        let trigger = Arc::new(Trigger::default());
        let t = trigger.clone();
        let waiting = rt.spawn(move || block_on(t.wait()));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let t = trigger.clone();
                std::thread::spawn(move || {
                    // Wake whatever waker is there, a few times, then fire.
                    for _ in 0..round % 4 {
                        if let Some(w) = t.waker.lock().unwrap().clone() {
                            w.wake();
                        }
                    }
                    t.fire();
                })
            })
            .collect();
        wakers.into_iter().for_each(|h| h.join().unwrap());
        assert!(waiting.join().unwrap() >= 1);
    }
}

#[test]
fn off_a_fiber_the_thread_blocks() {
    let _w = Watchdog::new("off_a_fiber_the_thread_blocks", 60);
    let trigger = Arc::new(Trigger::default());
    let t = trigger.clone();
    let firer = std::thread::spawn(move || {
        while t.polls.load(SeqCst) == 0 {
            std::thread::yield_now();
        }
        t.fire();
    });
    assert!(block_on(trigger.wait()) >= 2);
    firer.join().unwrap();
}

/// A fiber blocked in `block_on` is cancelled like any other wait: it
/// unwinds, dropping the future.
#[test]
fn cancellation_drops_the_pending_future() {
    let _w = Watchdog::new("cancellation_drops_the_pending_future", 60);
    struct Forever(Arc<AtomicBool>);
    impl Future for Forever {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }
    impl Drop for Forever {
        fn drop(&mut self) {
            self.0.store(true, SeqCst);
        }
    }
    let rt = one_worker();
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let h = rt.spawn(move || block_on(Forever(d)));
    util::wait_until(util::PATIENCE, "the fiber parks in block_on", || rt.metrics()[0].parks >= 1);
    h.cancel();
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
    assert!(dropped.load(SeqCst), "the future was dropped as the fiber unwound");
}
