//! What a fiber stack costs: from the cache, freshly mapped, and what
//! trimming its RSS and faulting it back in cost. The figures behind the
//! trim policy in `src/stack/pool.rs` (quoted in `src/stack/mod.rs`).
//!
//! ```text
//! cargo bench -p fiberio-benches --bench stack_pool
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fiberio::__bench::stack::{Cache, DEFAULT_STACK_SIZE, Stack, TRIM_KEEP};

const SIZE: usize = DEFAULT_STACK_SIZE;

fn cache_get_put(c: &mut Criterion) {
    let mut cache = Cache::new(SIZE);
    let warm = cache.get().unwrap();
    cache.put(warm);
    c.bench_function("cache get+put (hit)", |b| {
        b.iter(|| {
            let s = cache.get().unwrap();
            cache.put(black_box(s));
        })
    });
}

fn fresh(c: &mut Criterion) {
    c.bench_function("fresh map+guard+unmap", |b| b.iter(|| black_box(Stack::new(SIZE).unwrap())));
    // What a spawn without a pool really pays: the fiber's first frames
    // fault in the top pages.
    c.bench_function("fresh map+guard, touch 16 KiB, unmap", |b| {
        b.iter(|| {
            let mut s = Stack::new(SIZE).unwrap();
            s.touch(16 * 1024);
            black_box(s)
        })
    });
}

/// Times `timed` over `iters` runs, running `setup` untimed before each.
fn timed_loop(iters: u64, mut setup: impl FnMut(), mut timed: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        setup();
        let start = Instant::now();
        timed();
        total += start.elapsed();
    }
    total
}

fn trim(c: &mut Criterion) {
    let below = (SIZE - TRIM_KEEP) / 1024;
    let mut s = Stack::new(SIZE).unwrap();
    s.touch(TRIM_KEEP);
    c.bench_function("trim, nothing resident below the kept top", |b| b.iter(|| s.trim()));

    let cell = std::cell::RefCell::new(Stack::new(SIZE).unwrap());
    c.bench_function(&format!("trim, {below} KiB resident below the kept top"), |b| {
        b.iter_custom(|iters| {
            timed_loop(iters, || cell.borrow_mut().touch(SIZE), || cell.borrow_mut().trim())
        })
    });
    c.bench_function(&format!("trim + refault {below} KiB"), |b| {
        b.iter_custom(|iters| {
            timed_loop(
                iters,
                || cell.borrow_mut().touch(SIZE),
                || {
                    let mut s = cell.borrow_mut();
                    s.trim();
                    s.touch(SIZE);
                },
            )
        })
    });
    c.bench_function(&format!("touch {below} KiB already resident"), |b| {
        b.iter(|| cell.borrow_mut().touch(SIZE))
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = cache_get_put, fresh, trim
}
criterion_main!(benches);
