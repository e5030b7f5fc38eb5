//! `fiberio::sync::Semaphore` in the four settings of issue 4: never more
//! holders than permits (with a yield inside), every acquisition counted,
//! all permits back at the end; `acquire_timeout` returns `None` when none
//! frees up and a permit when one does; `try_acquire` and `acquire_many`.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fiberio::sync::Semaphore;
use util::{PATIENCE, SETTINGS, Watchdog, run_parties, two_workers, yield_any};

const PERMITS: usize = 2;
const PARTIES: usize = 6;
const ROUNDS: usize = 100;

#[test]
fn never_more_holders_than_permits() {
    let _w = Watchdog::new("never_more_holders_than_permits", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        let shared = Arc::new((Semaphore::new(PERMITS), AtomicUsize::new(0), AtomicUsize::new(0)));
        let s = shared.clone();
        let got = run_parties(&rt, setting, PARTIES, move |i| {
            let (sem, holders, peak) = &*s;
            for r in 0..ROUNDS {
                let permit = if (i + r) % 4 == 0 { sem.acquire_many(2) } else { sem.acquire() };
                let now = holders.fetch_add(permit.num_permits(), SeqCst) + permit.num_permits();
                assert!(now <= PERMITS, "{setting:?}: {now} permits out of {PERMITS}");
                peak.fetch_max(now, SeqCst);
                yield_any();
                holders.fetch_sub(permit.num_permits(), SeqCst);
            }
            ROUNDS
        });
        let (sem, _, peak) = &*shared;
        assert_eq!(got.iter().sum::<usize>(), PARTIES * ROUNDS);
        assert_eq!(peak.load(SeqCst), PERMITS, "{setting:?}: the permits were all used");
        assert_eq!(sem.available_permits(), PERMITS, "{setting:?}: every permit came back");
    }
}

#[test]
fn acquire_timeout_in_every_setting() {
    let _w = Watchdog::new("acquire_timeout_in_every_setting", 120);
    let rt = two_workers();
    for setting in SETTINGS {
        // Party 0 holds the only permit while party 1 times out, then
        // hands it over; party 1 then gets it within an hour-long timeout.
        let shared = Arc::new((Semaphore::new(1), AtomicUsize::new(0)));
        let s = shared.clone();
        run_parties(&rt, setting, 2, move |i| {
            let (sem, step) = &*s;
            if i == 0 {
                let permit = sem.acquire();
                step.store(1, SeqCst);
                util::wait_until(PATIENCE, "party 1 has made its failed attempts", || step.load(SeqCst) == 2);
                drop(permit);
            } else {
                util::wait_until(PATIENCE, "party 0 holds the permit", || step.load(SeqCst) == 1);
                assert!(sem.try_acquire().is_none(), "{setting:?}");
                assert!(sem.acquire_timeout(Duration::from_millis(20)).is_none(), "{setting:?}");
                assert!(sem.acquire_timeout(Duration::ZERO).is_none(), "{setting:?}");
                step.store(2, SeqCst);
                let permit = sem.acquire_timeout(Duration::from_secs(3600));
                assert!(permit.is_some(), "{setting:?}: the permit was released");
            }
        });
        assert_eq!(shared.0.available_permits(), 1, "{setting:?}");
    }
}

#[test]
fn a_big_request_is_served_in_order() {
    let _w = Watchdog::new("a_big_request_is_served_in_order", 60);
    let rt = two_workers();
    rt.block_on(|| {
        let sem = Arc::new(Semaphore::new(0));
        let s = sem.clone();
        // Spawned from a fiber, it starts on this worker as soon as we park.
        let big = fiberio::spawn(move || s.acquire_many(3).num_permits());
        fiberio::sleep(Duration::from_millis(5));
        sem.add_permits(2);
        // The queued request for 3 comes first: a newcomer may not take 1.
        assert!(sem.try_acquire().is_none());
        sem.add_permits(1);
        assert_eq!(big.join().unwrap(), 3);
        assert_eq!(sem.available_permits(), 3);
        let p = sem.acquire_many(3);
        p.forget();
        assert_eq!(sem.available_permits(), 0);
    });
}
