//! Ten thousand fibers across all workers, each sleeping a random few
//! milliseconds and returning a value that `join` checks.

mod util;

use std::collections::HashSet;
use std::time::Duration;

use util::Rng;

#[test]
fn ten_thousand_sleeping_fibers_return_their_values() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let mut rng = Rng::new(7);
    let handles: Vec<_> = (0..10_000u64)
        .map(|i| {
            let ms = rng.range(1, 6);
            rt.spawn(move || {
                fiberio::sleep(Duration::from_millis(ms));
                (i.wrapping_mul(2_654_435_761) ^ ms, util::worker_name())
            })
        })
        .collect();
    let mut rng = Rng::new(7);
    let mut workers = HashSet::new();
    for (i, h) in handles.into_iter().enumerate() {
        let ms = rng.range(1, 6);
        let (value, worker) = h.join().unwrap();
        assert_eq!(value, (i as u64).wrapping_mul(2_654_435_761) ^ ms, "fiber {i}");
        workers.insert(worker);
    }
    assert_eq!(workers.len(), 2, "both workers ran fibers: {workers:?}");
    let m = rt.metrics();
    let finished: u64 = m.iter().map(|w| w.finished).sum();
    assert_eq!(finished, 10_000);
    let fired: u64 = m.iter().map(|w| w.timers_fired).sum();
    assert_eq!(fired, 10_000, "every sleep ended by its own timer");
}

#[test]
fn fibers_spawned_from_fibers_join_each_other() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    // A binary tree of fibers 10 levels deep: 2^11 - 1 fibers in all.
    fn tree(depth: u32) -> u64 {
        if depth == 0 {
            return 1;
        }
        let left = fiberio::spawn(move || tree(depth - 1));
        let right = fiberio::spawn(move || tree(depth - 1));
        fiberio::yield_now();
        1 + left.join().unwrap() + right.join().unwrap()
    }
    assert_eq!(rt.block_on(|| tree(10)), 2047);
}

#[test]
fn join_from_plain_threads_and_from_fibers() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let slow = rt.spawn(|| {
        fiberio::sleep(Duration::from_millis(20));
        "slow"
    });
    let joiner = rt.spawn(move || slow.join().unwrap());
    let thread = std::thread::spawn(move || joiner.join().unwrap());
    assert_eq!(thread.join().unwrap(), "slow");
}
