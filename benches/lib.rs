//! `fiberio-benches`: a crate with no code of its own. It holds fiberio's
//! criterion benchmarks (`cargo bench -p fiberio-benches --bench NAME`) and
//! the channel property tests (`cargo test -p fiberio-benches`), so that
//! their dependencies — criterion, proptest, tokio — are not
//! dev-dependencies of fiberio and a first `cargo run --example` builds
//! fiberio and its own dependencies only.
