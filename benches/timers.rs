//! Per-worker timers (`fiberio::__bench::Timers`) against a `BTreeMap`
//! baseline (the placeholder they replaced), in one run:
//! `cargo bench -p fiberio-benches --bench timers`.
//!
//! - `insert_cancel/{impl}/{pattern}/{pending}`: arm one timer and cancel
//!   one, with 0, 10k or 1M others pending. Patterns: `const` arms at "now +
//!   a constant" (the newest deadline) and cancels it again (an IO timeout
//!   that did not fire); `random` arms and cancels one at a random deadline
//!   among the pending ones; `fifo` arms at "now + a constant" and cancels
//!   the oldest pending timer, so the pending set rotates (IO completing in
//!   arrival order).
//! - `at_1M/{impl}/{insert,cancel}`: insert alone and cancel alone with 1M
//!   pending, random deadlines, timed in batches of 10k (the batch inserted
//!   is then cancelled in insertion order).
//! - `build_1M/{impl}` and `drain_1M/{impl}`: insert 1M random deadlines
//!   into an empty set; pop 1M expired timers (per-timer cost = median / 1M).
//! - Before the benchmarks it prints the heap bytes per pending timer at
//!   1M pending, counted by a global allocator (Vec capacity included).
//!
//! Values are `u64`. Random numbers come from a fixed-seed xorshift, so
//! every run measures the same sequence.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, VecDeque};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fiberio::__bench::{TimerKey, Timers};

/// Counts live heap bytes, to report memory per timer.
struct CountingAlloc;

/// Bytes currently allocated through [`CountingAlloc`].
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counter only observes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: our caller upholds `alloc`'s contract (non-zero size).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: our caller passes a block from `alloc` with its layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: our caller passes a block from `alloc`, its layout and a
        // valid non-zero new size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One million.
const MILLION: usize = 1_000_000;

/// Spread of random deadlines, and the "constant" of "now + a constant".
const HORIZON_NS: u64 = 60_000_000_000;

/// The interface both implementations share.
trait TimerSet: Default {
    type Key: Copy;
    fn insert(&mut self, deadline: Instant, value: u64) -> Self::Key;
    fn cancel(&mut self, key: Self::Key) -> Option<u64>;
    fn pop_expired(&mut self, now: Instant) -> Option<u64>;
    const NAME: &'static str;
}

impl TimerSet for Timers<u64> {
    type Key = TimerKey;
    fn insert(&mut self, deadline: Instant, value: u64) -> TimerKey {
        Timers::insert(self, deadline, value)
    }
    fn cancel(&mut self, key: TimerKey) -> Option<u64> {
        Timers::cancel(self, key)
    }
    fn pop_expired(&mut self, now: Instant) -> Option<u64> {
        Timers::pop_expired(self, now)
    }
    const NAME: &'static str = "heap4";
}

/// The baseline: the `BTreeMap` placeholder, keyed by (deadline, insertion).
#[derive(Default)]
struct BTreeTimers {
    map: BTreeMap<(Instant, u64), u64>,
    next: u64,
}

impl TimerSet for BTreeTimers {
    type Key = (Instant, u64);
    fn insert(&mut self, deadline: Instant, value: u64) -> (Instant, u64) {
        self.next += 1;
        self.map.insert((deadline, self.next), value);
        (deadline, self.next)
    }
    fn cancel(&mut self, key: (Instant, u64)) -> Option<u64> {
        self.map.remove(&key)
    }
    fn pop_expired(&mut self, now: Instant) -> Option<u64> {
        let entry = self.map.first_entry()?;
        if entry.key().0 <= now { Some(entry.remove()) } else { None }
    }
    const NAME: &'static str = "btree";
}

/// Fixed-seed xorshift64.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        Rng(0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A deadline uniformly within `HORIZON_NS` after `base`.
    fn deadline(&mut self, base: Instant) -> Instant {
        base + Duration::from_nanos(self.next() % HORIZON_NS)
    }
}

/// Deadlines arriving in order, one per microsecond of simulated time,
/// each "now + `HORIZON_NS`".
fn arrival(base: Instant, i: u64) -> Instant {
    base + Duration::from_nanos(HORIZON_NS + i * 1_000)
}

/// How the pending set is filled before `insert_cancel`.
#[derive(Clone, Copy)]
enum Pattern {
    Const,
    Random,
    Fifo,
}

/// A set with `n` pending timers and their keys, oldest first.
fn prefill<S: TimerSet>(n: usize, pattern: Pattern, base: Instant, rng: &mut Rng) -> (S, VecDeque<S::Key>) {
    let mut set = S::default();
    let keys = (0..n as u64)
        .map(|i| match pattern {
            Pattern::Const | Pattern::Fifo => set.insert(arrival(base, i), i),
            Pattern::Random => set.insert(rng.deadline(base), i),
        })
        .collect();
    (set, keys)
}

fn insert_cancel_for<S: TimerSet>(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert_cancel");
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(1200));
    g.sample_size(40);
    for (pname, pattern) in [("const", Pattern::Const), ("random", Pattern::Random), ("fifo", Pattern::Fifo)]
    {
        for (nname, n) in [("0", 0), ("10k", 10_000), ("1M", MILLION)] {
            let base = Instant::now();
            let mut rng = Rng::new();
            let (mut set, mut keys) = prefill::<S>(n, pattern, base, &mut rng);
            let mut i = n as u64;
            g.bench_function(format!("{}/{pname}/{nname}", S::NAME), |b| match pattern {
                Pattern::Const => b.iter(|| {
                    i += 1;
                    let k = set.insert(arrival(base, i), i);
                    black_box(set.cancel(k))
                }),
                Pattern::Random => b.iter(|| {
                    let k = set.insert(rng.deadline(base), i);
                    black_box(set.cancel(k))
                }),
                Pattern::Fifo => b.iter(|| {
                    i += 1;
                    keys.push_back(set.insert(arrival(base, i), i));
                    let oldest = keys.pop_front().expect("one was just pushed");
                    black_box(set.cancel(oldest))
                }),
            });
        }
    }
    g.finish();
}

/// Which half of the batched insert-then-cancel loop `at_1m` reports.
#[derive(Clone, Copy, PartialEq)]
enum Half {
    Insert,
    Cancel,
}

fn at_1m_for<S: TimerSet>(c: &mut Criterion) {
    let mut g = c.benchmark_group("at_1M");
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_millis(1500));
    g.sample_size(30);
    let base = Instant::now();
    let mut rng = Rng::new();
    let (mut set, _) = prefill::<S>(MILLION, Pattern::Random, base, &mut rng);
    let mut batch = Vec::with_capacity(10_000);
    for (name, half) in [("insert", Half::Insert), ("cancel", Half::Cancel)] {
        g.bench_function(format!("{}/{name}", S::NAME), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let n = left.min(10_000);
                    left -= n;
                    let start = Instant::now();
                    for v in 0..n {
                        batch.push(set.insert(rng.deadline(base), v));
                    }
                    let inserted = start.elapsed();
                    let start = Instant::now();
                    for k in batch.drain(..) {
                        black_box(set.cancel(k));
                    }
                    let cancelled = start.elapsed();
                    timed += if half == Half::Insert { inserted } else { cancelled };
                }
                timed
            });
        });
    }
    g.finish();
}

/// Random deadlines for `build_1M` and `drain_1M`.
fn million_deadlines(base: Instant) -> Vec<Instant> {
    let mut rng = Rng::new();
    (0..MILLION).map(|_| rng.deadline(base)).collect()
}

fn build_drain_for<S: TimerSet>(c: &mut Criterion) {
    let base = Instant::now();
    let deadlines = million_deadlines(base);
    let fill = |set: &mut S| {
        for (v, d) in deadlines.iter().enumerate() {
            set.insert(*d, v as u64);
        }
    };
    let mut g = c.benchmark_group("build_1M");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(MILLION as u64));
    g.bench_function(S::NAME, |b| b.iter_batched_ref(S::default, |set| fill(set), BatchSize::PerIteration));
    g.finish();

    let mut g = c.benchmark_group("drain_1M");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(300));
    g.measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(MILLION as u64));
    let end = base + Duration::from_nanos(HORIZON_NS);
    g.bench_function(S::NAME, |b| {
        b.iter_batched_ref(
            || {
                let mut set = S::default();
                fill(&mut set);
                set
            },
            |set| {
                let mut n = 0;
                while let Some(v) = set.pop_expired(end) {
                    n += 1;
                    black_box(v);
                }
                assert_eq!(n, MILLION);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Prints live heap bytes per pending timer with 1M pending.
fn bytes_per_timer<S: TimerSet>() {
    let base = Instant::now();
    let deadlines = million_deadlines(base);
    let before = LIVE.load(Relaxed);
    let mut set = S::default();
    for (v, d) in deadlines.iter().enumerate() {
        set.insert(*d, v as u64);
    }
    let bytes = LIVE.load(Relaxed) - before;
    println!("memory/{}: {:.1} bytes per pending timer at 1M", S::NAME, bytes as f64 / MILLION as f64);
    drop(black_box(set));
}

fn memory(_: &mut Criterion) {
    bytes_per_timer::<Timers<u64>>();
    bytes_per_timer::<BTreeTimers>();
}

fn insert_cancel(c: &mut Criterion) {
    insert_cancel_for::<Timers<u64>>(c);
    insert_cancel_for::<BTreeTimers>(c);
}

fn at_1m(c: &mut Criterion) {
    at_1m_for::<Timers<u64>>(c);
    at_1m_for::<BTreeTimers>(c);
}

fn build_drain(c: &mut Criterion) {
    build_drain_for::<Timers<u64>>(c);
    build_drain_for::<BTreeTimers>(c);
}

criterion_group!(benches, memory, insert_cancel, at_1m, build_drain);
criterion_main!(benches);
