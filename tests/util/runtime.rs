//! The runtime shapes the tests build, and a fiber that shows whether a
//! worker is free to run fibers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

/// A 1-worker runtime: every fiber of a test on one worker.
pub fn one_worker() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(1).build().expect("a 1-worker runtime")
}

/// A 2-worker runtime, the shape every multi-worker sync test uses.
pub fn two_workers() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().expect("a 2-worker runtime")
}

/// A fiber on `rt` that counts and yields until `stop`: it advances only
/// while its worker is free to run it, so a worker blocked by a call that
/// should have left it free shows as a count that stands still.
pub fn spawn_counter(
    rt: &fiberio::Runtime,
    count: &Arc<AtomicU64>,
    stop: &Arc<AtomicBool>,
) -> fiberio::JoinHandle<()> {
    let (count, stop) = (count.clone(), stop.clone());
    rt.spawn(move || {
        while !stop.load(SeqCst) {
            count.fetch_add(1, SeqCst);
            fiberio::yield_now();
        }
    })
}
