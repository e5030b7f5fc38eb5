//! The runtime shapes the tests build.

/// A 1-worker runtime: every fiber of a test on one worker.
pub fn one_worker() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(1).build().expect("a 1-worker runtime")
}

/// A 2-worker runtime, the shape every multi-worker sync test uses.
pub fn two_workers() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().expect("a 2-worker runtime")
}
