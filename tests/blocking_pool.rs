//! The helper pool grows on demand (a new thread only when none is idle),
//! stops at its cap and queues beyond it, and idle helpers exit. One test
//! only: the pool is per process and this test changes its limits.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fiberio::blocking_pool_metrics as metrics;
use util::PATIENCE;

const LONG: Duration = Duration::from_secs(60);

#[test]
fn grows_to_the_cap_queues_beyond_it_and_shrinks_when_idle() {
    assert_eq!(metrics().max, 512, "the default cap");
    assert_eq!(metrics().started, 0);

    // 1. Reuse: with a helper idle, no new thread starts.
    fiberio::__set_blocking_pool_limits(8, LONG);
    for i in 0..5 {
        util::wait_until(PATIENCE, "every helper is idle", || metrics().idle == metrics().live);
        assert_eq!(fiberio::spawn(move || fiberio::unblock(move || i)).join().unwrap(), i);
    }
    util::wait_until(PATIENCE, "five jobs completed", || metrics().completed == 5);
    assert_eq!((metrics().started, metrics().live), (1, 1), "one helper ran all five jobs");

    // 2. Growth up to the cap; the rest queue.
    fiberio::__set_blocking_pool_limits(3, LONG);
    let (running, high, gate) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let fibers: Vec<_> = (0..6)
        .map(|i| {
            let (running, high, gate) = (running.clone(), high.clone(), gate.clone());
            fiberio::spawn(move || {
                fiberio::unblock(move || {
                    let now = running.fetch_add(1, SeqCst) + 1;
                    high.fetch_max(now, SeqCst);
                    util::wait_until(PATIENCE, "the test opens the gate", || gate.load(SeqCst));
                    running.fetch_sub(1, SeqCst);
                    i
                })
            })
        })
        .collect();
    // No panic yet: the gate opens before the assertion, so no job is left
    // waiting on it.
    let at_cap = util::holds_within(PATIENCE, || {
        let m = metrics();
        running.load(SeqCst) == 3 && m.queued == 3 && m.live == 3
    });
    let seen = metrics();
    gate.store(true, SeqCst);
    assert!(at_cap, "three jobs running and three queued, got {seen:?}");
    let results: Vec<_> = fibers.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, [0, 1, 2, 3, 4, 5]);
    assert_eq!(high.load(SeqCst), 3, "never more jobs at once than the cap");
    assert_eq!(metrics().started, 3, "two helpers started next to the idle one");

    // 3. Idle helpers exit; the next job starts a fresh one.
    fiberio::__set_blocking_pool_limits(3, Duration::from_millis(20));
    util::wait_until(
        PATIENCE,
        std::fmt::from_fn(|f| write!(f, "the idle helpers exit (now {:?})", metrics())),
        || metrics().live == 0,
    );
    assert_eq!(fiberio::spawn(|| fiberio::unblock(|| "again")).join().unwrap(), "again");
    assert_eq!(metrics().started, 4);
}
