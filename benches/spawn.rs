//! Spawn+join of an empty fiber (pooled stack) next to tokio's
//! `spawn(..).await` on its multi-thread runtime and `std::thread`
//! spawn+join, in the same run. Each loop runs *inside* its runtime (a
//! fiber; a tokio task), as a server's accept loop would.
//!
//! `cargo bench -p fiberio-benches --bench spawn`
//!
//! DESIGN.md section 5: fiberio at most 0.5x tokio, at least 50x cheaper
//! than a thread.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn fiberio_spawn_join(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(workers()).build().unwrap();
    c.bench_function("spawn+join/fiberio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    fiberio::spawn(|| ()).join().unwrap();
                }
                start.elapsed()
            })
        });
    });
}

fn tokio_spawn_await(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers()).build().unwrap();
    c.bench_function("spawn+join/tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                tokio::spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        tokio::spawn(async {}).await.unwrap();
                    }
                    start.elapsed()
                })
                .await
                .unwrap()
            })
        });
    });
}

fn thread_spawn_join(c: &mut Criterion) {
    c.bench_function("spawn+join/std::thread", |b| {
        b.iter(|| std::thread::spawn(|| ()).join().unwrap());
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = fiberio_spawn_join, tokio_spawn_await, thread_spawn_join
}
criterion_main!(benches);
