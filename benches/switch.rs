//! Context-switch cost: a `yield_now` round trip between two fibers on one
//! worker, next to a raw corosensei resume+suspend, in the same run.
//!
//! `cargo bench -p fiberio-benches --bench switch`
//!
//! - `corosensei/resume+suspend`: the floor — one switch in, one out.
//! - `fiberio/yield_now round trip (2 fibers)`: fiber A yields, the worker
//!   runs fiber B, B yields, the worker runs A again: four switches plus
//!   two passes through the worker loop. DESIGN.md section 5 asks for at
//!   most 3x the floor.
//! - `fiberio/yield_now (1 fiber)`: a lone fiber yielding to its worker and
//!   straight back: two switches plus one loop pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use corosensei::Coroutine;
use criterion::{Criterion, criterion_group, criterion_main};

fn raw_corosensei(c: &mut Criterion) {
    let mut co = Coroutine::new(|y, ()| {
        loop {
            y.suspend(());
        }
    });
    c.bench_function("corosensei/resume+suspend", |b| {
        b.iter(|| co.resume(()));
    });
}

fn fiberio_yield(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    c.bench_function("fiberio/yield_now round trip (2 fibers)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let stop = Arc::new(AtomicBool::new(false));
                let s = stop.clone();
                let partner = fiberio::spawn(move || {
                    while !s.load(Relaxed) {
                        fiberio::yield_now();
                    }
                });
                fiberio::yield_now(); // let the partner start
                let start = Instant::now();
                for _ in 0..iters {
                    fiberio::yield_now();
                }
                let elapsed = start.elapsed();
                stop.store(true, Relaxed);
                partner.join().unwrap();
                elapsed
            })
        });
    });
    c.bench_function("fiberio/yield_now (1 fiber)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    fiberio::yield_now();
                }
                start.elapsed()
            })
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = raw_corosensei, fiberio_yield
}
criterion_main!(benches);
