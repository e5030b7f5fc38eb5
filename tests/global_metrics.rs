//! `Runtime::global_metrics`: the counters of the global runtime that plain
//! `fiberio::spawn` uses, `None` before it starts (reading them does not
//! start it), and counting what its fibers did once it has. One test: the
//! global runtime is per process.

use std::time::Duration;

#[test]
fn global_metrics_are_none_until_spawn_starts_it_then_count_its_fibers() {
    assert_eq!(fiberio::Runtime::global_metrics(), None, "before any spawn");
    assert_eq!(fiberio::Runtime::global_metrics(), None, "reading them did not start it");

    let handles: Vec<_> =
        (0..10u64).map(|i| fiberio::spawn(move || fiberio::sleep(Duration::from_millis(i % 3)))).collect();
    handles.into_iter().for_each(|h| h.join().unwrap());

    let metrics = fiberio::Runtime::global_metrics().expect("spawn started the global runtime");
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected = std::env::var("FIBERIO_WORKERS").map_or(workers, |v| v.parse().unwrap());
    assert_eq!(metrics.len(), expected, "one entry per worker of the global runtime");
    let started: u64 = metrics.iter().map(|m| m.started).sum();
    let finished: u64 = metrics.iter().map(|m| m.finished).sum();
    assert_eq!(started, 10, "the ten fibers, and no other, ran on the global runtime");
    assert_eq!(finished, 10);
    // A runtime of one's own is counted apart.
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    rt.block_on(|| fiberio::spawn(|| ()).join().unwrap());
    let again: u64 = fiberio::Runtime::global_metrics().unwrap().iter().map(|m| m.started).sum();
    assert_eq!(again, 10, "fibers of another runtime are not the global runtime's");
}
