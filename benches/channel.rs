//! Channel ping-pong: one round trip = a request over one unbounded
//! channel and the reply over another, in the same run for
//!
//! - `fiberio/same worker`: two fibers on a one-worker runtime (a send
//!   makes the partner runnable on the local queue; no syscall);
//! - `fiberio/cross worker`: two fibers pinned to the two workers of a
//!   two-worker runtime (placed with `tests/util`'s `spawn_on`, checked to
//!   run on different threads): each wake crosses the inbox, and costs an
//!   eventfd write when the partner's worker has gone to sleep;
//! - `block_on(tokio mpsc)/cross worker`: the same two pinned fibers, each
//!   waiting in `fiberio::future::block_on(rx.recv())` on tokio's
//!   runtime-agnostic unbounded channels: a `Waker` woken from the other
//!   worker (issue 10's goal: no worse than the channel hand-off above);
//! - `block_on/ready future`: `block_on` of an already-ready future on a
//!   fiber, per call (issue 10's goal: at most 50 ns);
//! - `std::sync::mpsc/thread↔thread`: two OS threads;
//! - `tokio mpsc/...`: two tasks, unbounded channels, on a current-thread
//!   runtime and on a two-worker multi-thread runtime.
//!
//! `cargo bench -p fiberio-benches --bench channel`
//!
//! Issue 4's goal: a same-worker round trip at least 10x faster than
//! std's thread↔thread.

#[path = "../tests/util/mod.rs"]
mod util;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fiberio::sync::mpsc;

/// Answers each request until the requests channel closes.
fn echo(rx: mpsc::Receiver<u64>, tx: mpsc::Sender<u64>) {
    for v in rx {
        tx.send(v + 1).unwrap();
    }
}

/// `iters` round trips through `echo`; the time they took.
fn ping(iters: u64, tx: mpsc::Sender<u64>, rx: &mpsc::Receiver<u64>) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        tx.send(i).unwrap();
        assert_eq!(rx.recv(), Ok(i + 1));
    }
    start.elapsed()
}

fn fiberio_same_worker(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    c.bench_function("ping-pong/fiberio/same worker", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let ((req_tx, req_rx), (rep_tx, rep_rx)) = (mpsc::channel(), mpsc::channel());
                let partner = fiberio::spawn(move || echo(req_rx, rep_tx));
                let took = ping(iters, req_tx, &rep_rx);
                partner.join().unwrap();
                took
            })
        });
    });
}

fn fiberio_cross_worker(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    c.bench_function("ping-pong/fiberio/cross worker", |b| {
        b.iter_custom(|iters| {
            let ((req_tx, req_rx), (rep_tx, rep_rx)) = (mpsc::channel(), mpsc::channel());
            let partner = util::spawn_on(&rt, 1, move || {
                echo(req_rx, rep_tx);
                std::thread::current().id()
            });
            let pinger =
                util::spawn_on(&rt, 0, move || (ping(iters, req_tx, &rep_rx), std::thread::current().id()));
            let (took, here) = pinger.join().unwrap();
            assert_ne!(here, partner.join().unwrap(), "the fibers ran on different workers");
            took
        });
    });
}

fn block_on_cross_worker(c: &mut Criterion) {
    use fiberio::future::block_on;
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    c.bench_function("ping-pong/block_on(tokio mpsc)/cross worker", |b| {
        b.iter_custom(|iters| {
            let (req_tx, mut req_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let (rep_tx, mut rep_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let partner = util::spawn_on(&rt, 1, move || {
                while let Some(v) = block_on(req_rx.recv()) {
                    rep_tx.send(v + 1).unwrap();
                }
                std::thread::current().id()
            });
            let pinger = util::spawn_on(&rt, 0, move || {
                let start = Instant::now();
                for i in 0..iters {
                    req_tx.send(i).unwrap();
                    assert_eq!(block_on(rep_rx.recv()), Some(i + 1));
                }
                (start.elapsed(), std::thread::current().id())
            });
            let (took, here) = pinger.join().unwrap();
            assert_ne!(here, partner.join().unwrap(), "the fibers ran on different workers");
            took
        });
    });
}

fn block_on_ready(c: &mut Criterion) {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    c.bench_function("block_on/ready future (fiber)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(|| {
                let start = Instant::now();
                for i in 0..iters {
                    std::hint::black_box(fiberio::future::block_on(std::future::ready(i)));
                }
                start.elapsed()
            })
        });
    });
}

fn std_threads(c: &mut Criterion) {
    c.bench_function("ping-pong/std::sync::mpsc/thread<->thread", |b| {
        b.iter_custom(|iters| {
            let ((req_tx, req_rx), (rep_tx, rep_rx)) =
                (std::sync::mpsc::channel::<u64>(), std::sync::mpsc::channel::<u64>());
            let partner = std::thread::spawn(move || {
                for v in req_rx {
                    rep_tx.send(v + 1).unwrap();
                }
            });
            let start = Instant::now();
            for i in 0..iters {
                req_tx.send(i).unwrap();
                assert_eq!(rep_rx.recv(), Ok(i + 1));
            }
            let took = start.elapsed();
            drop(req_tx);
            partner.join().unwrap();
            took
        });
    });
}

fn tokio_tasks(c: &mut Criterion, name: &str, rt: tokio::runtime::Runtime) {
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                tokio::spawn(async move {
                    let (req_tx, mut req_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
                    let (rep_tx, mut rep_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
                    let partner = tokio::spawn(async move {
                        while let Some(v) = req_rx.recv().await {
                            rep_tx.send(v + 1).unwrap();
                        }
                    });
                    let start = Instant::now();
                    for i in 0..iters {
                        req_tx.send(i).unwrap();
                        assert_eq!(rep_rx.recv().await, Some(i + 1));
                    }
                    let took = start.elapsed();
                    drop(req_tx);
                    partner.await.unwrap();
                    took
                })
                .await
                .unwrap()
            })
        });
    });
}

fn tokio_current_thread(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    tokio_tasks(c, "ping-pong/tokio mpsc/current-thread", rt);
}

fn tokio_multi_thread(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    tokio_tasks(c, "ping-pong/tokio mpsc/multi-thread (2 workers)", rt);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    targets = fiberio_same_worker, fiberio_cross_worker, block_on_cross_worker, block_on_ready, std_threads,
        tokio_current_thread, tokio_multi_thread
}
criterion_main!(benches);
