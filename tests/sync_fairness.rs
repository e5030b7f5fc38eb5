//! What `fiberio::sync::Mutex` promises under contention: no participant
//! starves. The lock lets a running locker take a released lock ahead of
//! the queue (so a contended hand-off does not pay a wake each time), but
//! a waiter that has waited longer than the bound (1 ms) switches it to
//! FIFO hand-off until the queue drains (`src/sync/raw_mutex.rs`). So the
//! guarantee is about *time*: every waiter gets the lock within about the
//! bound plus one turn of those queued ahead of it — not an equal count of
//! acquisitions over a run shorter than the bound.
//!
//! Here 8 fibers across two workers and 2 plain threads lock one mutex in
//! a loop, each holding it across a 200 µs sleep, until 400 acquisitions
//! are counted (at least 80 ms: every waiter's wait passes the bound many
//! times over). Each participant must get at least a quarter of the fair
//! share. The sleep is a lower bound on each critical section, so
//! scheduling noise only lengthens waits, which makes hand-off mode (FIFO)
//! more certain, not less. A lock that lets the releaser barge back in
//! without the bound fails this: the releaser re-takes it every time
//! (measured: one participant got all 4,000 acquisitions of a shorter run).
//! `tests/sync_mutex_bound.rs` counts the bound itself.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::{Barrier, Mutex};
use util::{Party, Watchdog, spawn_on, two_workers};

const FIBERS: usize = 8;
const THREADS: usize = 2;
const TOTAL: u64 = 400;
const HOLD: Duration = Duration::from_micros(200);

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
                    fiberio::sleep(HOLD);
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
