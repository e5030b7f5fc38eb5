//! `fiberio::sync::WaitGroup` in the four settings of issue 4: waiters
//! return only once every job is done (the work they see is complete),
//! and a wait on a zero count returns at once.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fiberio::sync::WaitGroup;
use util::{SETTINGS, Watchdog, run_parties, two_workers, yield_any};

const WORKERS: usize = 4;
const WAITERS: usize = 2;

#[test]
fn waiters_see_every_job_done() {
    let _w = Watchdog::new("waiters_see_every_job_done", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        for _ in 0..5 {
            let shared = Arc::new((WaitGroup::new(), AtomicUsize::new(0)));
            shared.0.add(WORKERS);
            let s = shared.clone();
            let seen = run_parties(&rt, setting, WORKERS + WAITERS, move |i| {
                let (wg, work) = &*s;
                if i < WAITERS {
                    wg.wait();
                    wg.wait(); // already zero: returns at once
                    work.load(SeqCst)
                } else {
                    for _ in 0..10 {
                        yield_any();
                        work.fetch_add(1, SeqCst);
                    }
                    wg.done();
                    0
                }
            });
            assert_eq!(&seen[..WAITERS], &[WORKERS * 10; WAITERS], "{setting:?}");
            assert_eq!(shared.0.count(), 0);
        }
    }
}

#[test]
#[should_panic(expected = "more often than add")]
fn done_below_zero_panics() {
    WaitGroup::new().done();
}
