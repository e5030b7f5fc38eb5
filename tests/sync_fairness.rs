//! Fairness of `fiberio::sync::Mutex` under contention: 8 fibers across
//! two workers and 2 plain threads lock one mutex in a loop (yielding
//! inside the critical section, so that the others queue up) until 20,000
//! acquisitions are counted; each participant's share is printed, and
//! every one must get at least a quarter of the fair share (1/10).
//!
//! Why the bound cannot fail from scheduling noise: the lock hands itself
//! to the longest *queued* waiter whether or not that waiter's thread is
//! running, so an OS thread (or a worker) that is descheduled while queued
//! or holding stalls everyone instead of losing its turns. A participant
//! can lose turns only while it is outside the queue — between its unlock
//! and its next `lock` call, a few instructions — and would have to stay
//! there for three quarters of the run. Counting starts only once every
//! participant has reached its loop, so a late start costs nothing.
//! (A lock that lets the releaser barge back in fails this: the releaser
//! re-takes it many times in a row.)

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fiberio::sync::{Barrier, Mutex};
use util::{Party, Watchdog, spawn_on, two_workers};

const FIBERS: usize = 8;
const THREADS: usize = 2;
const TOTAL: u64 = 4_000;

#[test]
fn no_participant_starves() {
    let _w = Watchdog::new("no_participant_starves", 120);
    let rt = two_workers();
    let n = FIBERS + THREADS;
    let shared = Arc::new((Mutex::new(0u64), Barrier::new(n), AtomicUsize::new(0)));
    let parties: Vec<Party<u64>> = (0..n)
        .map(|i| {
            let s = shared.clone();
            let body = move || {
                let (lock, start, arrived) = &*s;
                start.wait();
                arrived.fetch_add(1, SeqCst);
                let mut mine = 0;
                loop {
                    let mut total = lock.lock().unwrap();
                    if *total == TOTAL {
                        return mine;
                    }
                    util::yield_any();
                    if arrived.load(SeqCst) == n {
                        *total += 1;
                        mine += 1;
                    }
                }
            };
            if i < FIBERS {
                Party::Fiber(spawn_on(&rt, i % 2, body))
            } else {
                Party::Thread(std::thread::spawn(body))
            }
        })
        .collect();
    let counts: Vec<u64> = parties.into_iter().map(|p| p.join().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), TOTAL);
    let fair = TOTAL as f64 / n as f64;
    let min = *counts.iter().min().unwrap() as f64 / fair;
    let max = *counts.iter().max().unwrap() as f64 / fair;
    println!("fairness: counts {counts:?} (fibers first); min {min:.3}x, max {max:.3}x of the fair share");
    for (i, &c) in counts.iter().enumerate() {
        assert!(c as f64 >= fair / 4.0, "participant {i} starved: {c} of {TOTAL} ({counts:?})");
    }
}
