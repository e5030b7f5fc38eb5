//! `fiberio::sync::Mutex` against `std::sync::Mutex`, in one run.
//!
//! `cargo bench -p fiberio-benches --bench sync`
//!
//! - `mutex/uncontended/*`: one lock+unlock with nobody else around — on a
//!   fiber and on a plain thread — next to std's.
//! - `mutex/contended/*`: one iteration is one lock/increment/unlock by
//!   one of N = 8 participants hammering one lock: fiberio fibers spread
//!   over 2 workers, next to std's mutex between 2 and between 8 threads.
//!   Our lock lets a running locker barge in, like std's, and switches to
//!   FIFO hand-off only for a waiter that has waited over 1 ms.
//!
//! At the end it prints each case's median (criterion's estimate), the
//! ratios to std, and the per-participant share of acquisitions in a
//! fixed-size contended run for both locks, and the longest wait for the
//! lock in it (what fiberio's lock bounds: about 1 ms plus one turn of
//! those queued ahead).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use std::hint::black_box;

use criterion::{Criterion, SamplingMode};

const WORKERS: usize = 2;
const N: usize = 8;

fn uncontended(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(WORKERS).build().unwrap();
    let m = fiberio::sync::Mutex::new(0u64);
    c.bench_function("mutex/uncontended/fiberio (fiber)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let start = Instant::now();
                for _ in 0..iters {
                    *black_box(&m).lock().unwrap() += 1;
                }
                start.elapsed()
            })
        });
    });
    c.bench_function("mutex/uncontended/fiberio (thread)", |b| {
        b.iter(|| *black_box(&m).lock().unwrap() += 1);
    });
    let s = std::sync::Mutex::new(0u64);
    c.bench_function("mutex/uncontended/std (thread)", |b| {
        b.iter(|| *black_box(&s).lock().unwrap() += 1);
    });
}

/// `n` fibers of `rt` each doing `per` lock/increment/unlock on one
/// fiberio mutex; returns the elapsed time.
fn fiberio_contended(rt: &fiberio::Runtime, n: usize, per: u64) -> Duration {
    let m = Arc::new((fiberio::sync::Mutex::new(0u64), fiberio::sync::Barrier::new(n + 1)));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let m = m.clone();
            rt.spawn(move || {
                m.1.wait();
                for _ in 0..per {
                    *m.0.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    m.1.wait();
    let start = Instant::now();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let elapsed = start.elapsed();
    assert_eq!(*m.0.lock().unwrap(), n as u64 * per);
    elapsed
}

fn std_contended(n: usize, per: u64) -> Duration {
    let m = Arc::new((std::sync::Mutex::new(0u64), std::sync::Barrier::new(n + 1)));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                m.1.wait();
                for _ in 0..per {
                    *m.0.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    m.1.wait();
    let start = Instant::now();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let elapsed = start.elapsed();
    assert_eq!(*m.0.lock().unwrap(), n as u64 * per);
    elapsed
}

fn contended(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(WORKERS).build().unwrap();
    // Flat sampling, few samples: a contended hand-off between workers can
    // cost a remote wake (tens of µs on this VM), and criterion's default
    // linear sampling then plans runs of many minutes.
    let mut g = c.benchmark_group("mutex/contended");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(300));
    g.bench_function("fiberio (8 fibers, 2 workers)", |b| {
        b.iter_custom(|iters| fiberio_contended(&rt, N, iters.div_ceil(N as u64)));
    });
    g.bench_function("std (2 threads)", |b| {
        b.iter_custom(|iters| std_contended(2, iters.div_ceil(2)));
    });
    g.bench_function("std (8 threads)", |b| {
        b.iter_custom(|iters| std_contended(N, iters.div_ceil(N as u64)));
    });
    g.finish();
}

/// Per-participant acquisitions when `n` participants race to `total`,
/// yielding inside the critical section so that the others queue up;
/// counted once all have started. Also each one's longest wait for the
/// lock (from the `lock` call to holding it): what fiberio's lock bounds.
fn shares(n: usize, total: u64, fiberio_lock: bool) -> Vec<(u64, Duration)> {
    let rt = fiberio::Runtime::builder().workers(WORKERS).build().unwrap();
    let fm = Arc::new((fiberio::sync::Mutex::new(0u64), fiberio::sync::Barrier::new(n)));
    let sm = Arc::new(std::sync::Mutex::new(0u64));
    let arrived = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (fm, sm, arrived) = (fm.clone(), sm.clone(), arrived.clone());
            let body = move || {
                fm.1.wait();
                arrived.fetch_add(1, SeqCst);
                // `None` once the total is reached, else whether it counted.
                let step = |t: &mut u64| {
                    if *t == total {
                        return None;
                    }
                    fiberio::yield_now();
                    let counts = arrived.load(SeqCst) == n;
                    *t += u64::from(counts);
                    Some(counts)
                };
                let (mut mine, mut longest) = (0, Duration::ZERO);
                loop {
                    let asked = Instant::now();
                    let step = if fiberio_lock {
                        let mut g = fm.0.lock().unwrap();
                        longest = longest.max(asked.elapsed());
                        step(&mut g)
                    } else {
                        let mut g = sm.lock().unwrap();
                        longest = longest.max(asked.elapsed());
                        step(&mut g)
                    };
                    match step {
                        None => return (mine, longest),
                        Some(counted) => mine += u64::from(counted),
                    }
                }
            };
            if fiberio_lock {
                let h = rt.spawn(body);
                Box::new(move || h.join().unwrap()) as Box<dyn FnOnce() -> (u64, Duration)>
            } else {
                let h = std::thread::spawn(body);
                Box::new(move || h.join().unwrap()) as Box<dyn FnOnce() -> (u64, Duration)>
            }
        })
        .collect();
    handles.into_iter().map(|join| join()).collect()
}

fn median_ns(name: &str) -> Option<f64> {
    // Criterion writes to the workspace's target directory; a bench runs in
    // its package's directory, `benches/`.
    let dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
    // A lone function's directory is its name with `/` as `_`; a group's
    // member's is `<group, / as _>/<member>`.
    let flat = format!("{dir}/criterion/{}/new/estimates.json", name.replace('/', "_"));
    let (group, member) = name.rsplit_once('/')?;
    let grouped = format!("{dir}/criterion/{}/{member}/new/estimates.json", group.replace('/', "_"));
    let text = std::fs::read_to_string(&flat).or_else(|_| std::fs::read_to_string(&grouped)).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let pe = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    rest[pe..].split([',', '}']).next()?.trim().parse().ok()
}

fn summary() {
    println!("\n== sync summary: medians per lock+unlock (criterion estimates) ==");
    let cases = [
        ("mutex/uncontended/fiberio (fiber)", "mutex/uncontended/std (thread)"),
        ("mutex/uncontended/fiberio (thread)", "mutex/uncontended/std (thread)"),
        ("mutex/contended/fiberio (8 fibers, 2 workers)", "mutex/contended/std (2 threads)"),
        ("mutex/contended/fiberio (8 fibers, 2 workers)", "mutex/contended/std (8 threads)"),
    ];
    for (ours, theirs) in cases {
        match (median_ns(ours), median_ns(theirs)) {
            (Some(a), Some(b)) => {
                println!("{ours:48} {a:9.1} ns   vs {theirs:34} {b:9.1} ns   ratio {:.2}x", a / b)
            }
            _ => println!("{ours}: no estimate found (run the whole bench)"),
        }
    }
    for (label, fiberio_lock) in [("fiberio Mutex, 8 fibers", true), ("std Mutex, 8 threads", false)] {
        let total = 40_000;
        let runs = shares(N, total, fiberio_lock);
        let fair = total as f64 / N as f64;
        let counts: Vec<u64> = runs.iter().map(|r| r.0).collect();
        let min = *counts.iter().min().unwrap() as f64 / fair;
        let max = *counts.iter().max().unwrap() as f64 / fair;
        let longest = runs.iter().map(|r| r.1).max().unwrap();
        println!(
            "contention, {label}: longest wait for the lock {:.2} ms; shares min {min:.3}x max {max:.3}x \
             of the fair share; counts {counts:?}",
            longest.as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    uncontended(&mut c);
    contended(&mut c);
    c.final_summary();
    summary();
}
