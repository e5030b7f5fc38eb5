//! The chain workload: `hops` fibers / tasks / coroutines / threads in a
//! ring of Unix socketpairs, each reading one byte from its left pair and
//! writing it to its right one; the main flow injects a byte at the left
//! end and waits for it at the right end, `rounds` times.
//!
//! ```text
//! main --p0--> hop 0 --p1--> hop 1 --p2--> ... hop H-1 --pH--> main
//! ```
//!
//! A round is `hops + 1` transfers, each a write, a wakeup of the reader
//! and a read: the time per transfer is the cost of one blocking-style
//! wakeup through the runtime. Closing `p0` ends the chain (each hop sees
//! EOF and drops its right end).

mod epoll_chain;

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use crate::servers::Kind;
use crate::sys;

/// A spawned hop's join.
type Join = Box<dyn FnOnce()>;
/// Spawns a hop on the runtime under test.
type Spawn<'a> = &'a dyn Fn(Box<dyn FnOnce() + Send>) -> Join;

/// Runs the chain on `kind` with `workers` workers; returns the time of
/// the `rounds` rounds (setup and teardown excluded).
pub fn run(kind: Kind, workers: usize, hops: usize, rounds: u64) -> io::Result<Duration> {
    sys::raise_fd_limit()?;
    sys::check_fds(2 * hops as u64 + 64, "the chain")?;
    sys::restrict_cpus(workers)?;
    match kind {
        Kind::Threads => {
            let pairs = pairs(hops, std::os::unix::net::UnixStream::pair)?;
            blocking_chain(pairs, rounds, &|f| {
                let h = std::thread::spawn(f);
                Box::new(move || drop(h.join()))
            })
        }
        Kind::Fiberio => {
            let rt = fiberio::Runtime::builder().workers(workers).build()?;
            rt.block_on(|| {
                let pairs = pairs(hops, fiberio::os::unix::net::UnixStream::pair)?;
                blocking_chain(pairs, rounds, &|f| {
                    let h = fiberio::spawn(f);
                    Box::new(move || drop(h.join()))
                })
            })
        }
        Kind::May => {
            may::config().set_workers(workers);
            let main = may_go(move || {
                let pairs = pairs(hops, may::os::unix::net::UnixStream::pair)?;
                blocking_chain(pairs, rounds, &|f| {
                    let h = may_go(f);
                    Box::new(move || drop(h.join()))
                })
            });
            main.join().map_err(|_| io::Error::other("the may chain panicked"))?
        }
        Kind::Tokio => tokio_chain(workers, hops, rounds),
        Kind::Epoll => epoll_chain::run(workers, hops, rounds),
    }
}

/// `hops + 1` socketpairs.
fn pairs<S>(hops: usize, pair: impl Fn() -> io::Result<(S, S)>) -> io::Result<Vec<(S, S)>> {
    (0..=hops).map(|_| pair()).collect()
}

/// The chain over blocking-style streams (std, fiberio, may).
fn blocking_chain<S: Read + Write + Send + 'static>(
    pairs: Vec<(S, S)>,
    rounds: u64,
    spawn: Spawn<'_>,
) -> io::Result<Duration> {
    let (mut writers, mut readers): (Vec<Option<S>>, Vec<Option<S>>) =
        pairs.into_iter().map(|(w, r)| (Some(w), Some(r))).unzip();
    let hops = writers.len() - 1;
    let joins: Vec<Join> = (0..hops)
        .map(|i| {
            let (mut from, mut to) =
                (readers[i].take().expect("reader"), writers[i + 1].take().expect("writer"));
            spawn(Box::new(move || {
                let mut b = [0u8; 1];
                while matches!(from.read(&mut b), Ok(1)) {
                    if to.write_all(&b).is_err() {
                        return;
                    }
                }
            }))
        })
        .collect();
    let (mut first, mut last) = (writers[0].take().expect("first"), readers[hops].take().expect("last"));
    let start = Instant::now();
    let mut b = [7u8; 1];
    for _ in 0..rounds {
        first.write_all(&b)?;
        last.read_exact(&mut b)?;
    }
    let elapsed = start.elapsed();
    drop(first);
    for j in joins {
        j();
    }
    Ok(elapsed)
}

/// Spawns a may coroutine.
fn may_go<F: FnOnce() -> T + Send + 'static, T: Send + 'static>(f: F) -> may::coroutine::JoinHandle<T> {
    // SAFETY: may makes spawning unsafe because a coroutine may move between
    // worker threads while holding thread-local state; the chain's closures
    // touch no thread-locals and hold no `!Send` values across IO.
    unsafe { may::coroutine::spawn(f) }
}

/// The chain on tokio tasks.
fn tokio_chain(workers: usize, hops: usize, rounds: u64) -> io::Result<Duration> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    rt.block_on(async {
        let pairs = pairs(hops, tokio::net::UnixStream::pair)?;
        let (mut writers, mut readers): (Vec<_>, Vec<_>) =
            pairs.into_iter().map(|(w, r)| (Some(w), Some(r))).unzip();
        let tasks: Vec<_> = (0..hops)
            .map(|i| {
                let (mut from, mut to) =
                    (readers[i].take().expect("reader"), writers[i + 1].take().expect("writer"));
                tokio::spawn(async move {
                    let mut b = [0u8; 1];
                    while matches!(from.read(&mut b).await, Ok(1)) {
                        if to.write_all(&b).await.is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        let (mut first, mut last) = (writers[0].take().expect("first"), readers[hops].take().expect("last"));
        let start = Instant::now();
        let mut b = [7u8; 1];
        for _ in 0..rounds {
            first.write_all(&b).await?;
            last.read_exact(&mut b).await?;
        }
        let elapsed = start.elapsed();
        drop(first);
        for t in tasks {
            let _ = t.await;
        }
        Ok(elapsed)
    })
}
