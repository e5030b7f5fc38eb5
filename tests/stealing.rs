//! Idle workers steal fibers that have not started: fibers spawned from a
//! fiber on one worker finish on another.

mod util;

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[test]
fn an_idle_worker_steals_unstarted_fibers() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (spawner, ran_on) = rt.block_on(|| {
        let spawner = util::worker_name();
        let handles: Vec<_> = (0..200)
            .map(|_| {
                fiberio::spawn(|| {
                    // CPU work without yielding keeps the spawner's worker busy.
                    let start = Instant::now();
                    while start.elapsed() < Duration::from_micros(500) {
                        std::hint::spin_loop();
                    }
                    util::worker_name()
                })
            })
            .collect();
        let ran_on: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (spawner, ran_on)
    });
    let mut per_worker: HashMap<&str, usize> = HashMap::new();
    for w in &ran_on {
        *per_worker.entry(w).or_default() += 1;
    }
    let elsewhere: usize = per_worker.iter().filter(|(w, _)| **w != spawner).map(|(_, n)| n).sum();
    assert!(elsewhere > 0, "all 200 fibers ran on the spawner's worker {spawner}: {per_worker:?}");
    let steals: u64 = rt.metrics().iter().map(|m| m.steals).sum();
    assert!(steals >= elsewhere as u64, "steals {steals} < fibers run elsewhere {elsewhere}");
}

#[test]
fn a_lone_fiber_spawned_from_a_fiber_runs_on_its_spawners_worker() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let same = rt.block_on(|| {
        (0..100)
            .filter(|_| {
                let here = util::worker_name();
                fiberio::spawn(util::worker_name).join().unwrap() == here
            })
            .count()
    });
    // Another worker may steal in the instant it goes to sleep, rarely.
    assert!(same >= 90, "only {same}/100 spawn+join pairs stayed on one worker");
}
