//! `fiberio::sync::Condvar` in the four settings of issue 4: `wait` /
//! `notify_one` turn-taking (no lost wakeup over hundreds of hand-offs),
//! `notify_all` waking every `wait_while` waiter, `wait_timeout` and
//! `wait_timeout_while` returning `timed_out` when nobody notifies — with
//! the lock taken back and still usable.

mod util;

use std::sync::Arc;
use std::time::Duration;

use fiberio::sync::{Condvar, Mutex};
use util::{SETTINGS, Watchdog, run_parties, two_workers};

const TURNS: usize = 300;

#[test]
fn wait_and_notify_one_take_turns() {
    let _w = Watchdog::new("wait_and_notify_one_take_turns", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Party i may move only when `turn % 2 == i`: each step needs the
        // other party's notify, so a lost wakeup hangs (the watchdog fires).
        let shared = Arc::new((Mutex::new(0usize), Condvar::new()));
        let s = shared.clone();
        let moves = run_parties(&rt, setting, 2, move |i| {
            let (lock, cv) = &*s;
            let mut moves = 0;
            let mut turn = lock.lock().unwrap();
            loop {
                while *turn < TURNS && *turn % 2 != i {
                    turn = cv.wait(turn).unwrap();
                }
                if *turn >= TURNS {
                    return moves;
                }
                *turn += 1;
                moves += 1;
                cv.notify_one();
            }
        });
        assert_eq!(moves, vec![TURNS / 2, TURNS / 2], "{setting:?}");
    }
}

#[test]
fn notify_all_wakes_every_waiter() {
    let _w = Watchdog::new("notify_all_wakes_every_waiter", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Parties 1.. wait for `go`; party 0 waits until all are waiting
        // (they count themselves in), then sets `go` and notifies all once.
        const N: usize = 5;
        let shared = Arc::new((Mutex::new((0usize, false)), Condvar::new(), Condvar::new()));
        let s = shared.clone();
        let woke = run_parties(&rt, setting, N, move |i| {
            let (lock, go_cv, ready_cv) = &*s;
            let mut st = lock.lock().unwrap();
            if i == 0 {
                st = ready_cv.wait_while(st, |st| st.0 < N - 1).unwrap();
                st.1 = true;
                drop(st);
                go_cv.notify_all();
                false
            } else {
                st.0 += 1;
                ready_cv.notify_one();
                st = go_cv.wait_while(st, |st| !st.1).unwrap();
                st.1
            }
        });
        assert_eq!(woke.iter().filter(|&&w| w).count(), N - 1, "{setting:?}");
    }
}

#[test]
fn wait_timeout_times_out_without_a_notify() {
    let _w = Watchdog::new("wait_timeout_times_out_without_a_notify", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Two parties time out on the same condvar, each holding the lock
        // on return; the counter shows each got the lock back.
        let shared = Arc::new((Mutex::new(0u32), Condvar::new()));
        let s = shared.clone();
        run_parties(&rt, setting, 2, move |_| {
            let (lock, cv) = &*s;
            let guard = lock.lock().unwrap();
            let (mut guard, res) = cv.wait_timeout(guard, Duration::from_millis(20)).unwrap();
            assert!(res.timed_out(), "{setting:?}: nobody notified");
            *guard += 1;
            let (guard, res) = cv.wait_timeout_while(guard, Duration::from_millis(10), |_| true).unwrap();
            assert!(res.timed_out(), "{setting:?}");
            let (_guard, res) = cv.wait_timeout_while(guard, Duration::from_secs(3600), |_| false).unwrap();
            assert!(!res.timed_out(), "{setting:?}: a false condition returns at once");
        });
        assert_eq!(*shared.0.try_lock().expect("free at the end"), 2, "{setting:?}");
    }
}

#[test]
fn wait_timeout_returns_early_when_notified() {
    let _w = Watchdog::new("wait_timeout_returns_early_when_notified", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        let shared = Arc::new((Mutex::new(false), Condvar::new()));
        let s = shared.clone();
        let results = run_parties(&rt, setting, 2, move |i| {
            let (lock, cv) = &*s;
            if i == 0 {
                // An hour-long timeout: only the notify can end it.
                let (g, res) = cv
                    .wait_timeout_while(lock.lock().unwrap(), Duration::from_secs(3600), |set| !*set)
                    .unwrap();
                assert!(*g);
                res.timed_out()
            } else {
                *lock.lock().unwrap() = true;
                cv.notify_all();
                false
            }
        });
        assert_eq!(results, vec![false, false], "{setting:?}");
    }
}
