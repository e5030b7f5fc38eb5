//! The runtime on its defaults: many fibers doing real work and sleeping,
//! and a report of what ran where.
//!
//! `cargo run --release --example demo [-- <fibers>]` (default 20,000;
//! a whole number from 1 up)
//!
//! Each fiber checks a range of numbers for primes (CPU work), sleeps a few
//! milliseconds (a timer, parking only the fiber), and does it again. One
//! fiber spawns all the others, so the balance you see across workers comes
//! from idle workers stealing fibers that have not started yet.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d))
}

const USAGE: &str = "usage: demo [FIBERS]   (a whole number from 1 up; default 20000)";

/// The fiber count from the command line, or a usage message.
fn fibers_arg() -> Result<u64, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(20_000),
        [n] => match n.parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!("{n:?} is not a number of fibers")),
        },
        _ => Err(format!("expected at most one argument, got {}", args.len())),
    }
}

fn main() {
    let fibers = fibers_arg().unwrap_or_else(|problem| {
        eprintln!("demo: {problem}\n{USAGE}");
        std::process::exit(2);
    });
    if let Err(e) = run(fibers) {
        eprintln!("demo: error: {e}");
        std::process::exit(1);
    }
}

fn run(fibers: u64) -> std::io::Result<()> {
    let rt = fiberio::Runtime::new()?;
    let s = |n: u64| if n == 1 { "" } else { "s" };
    let workers = rt.workers() as u64;
    println!(
        "fiberio demo: {fibers} fiber{} on {workers} worker{} (FIBERIO_WORKERS overrides)",
        s(fibers),
        s(workers)
    );
    let start = Instant::now();
    let results = rt.block_on(|| {
        let handles: Vec<_> = (0..fibers)
            .map(|i| {
                fiberio::spawn(move || {
                    let mut primes = 0;
                    let mut workers = Vec::new();
                    for round in 0..3 {
                        let base = (i * 3 + round) * 50;
                        primes += (base..base + 50).filter(|&n| is_prime(n)).count();
                        workers.push(std::thread::current().name().unwrap_or("?").to_string());
                        fiberio::sleep(Duration::from_millis(1 + (i + round) % 5));
                    }
                    (primes, workers)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a demo fiber panicked")).collect::<Vec<_>>()
    });
    let elapsed = start.elapsed();

    let primes: usize = results.iter().map(|(p, _)| p).sum();
    let mut per_worker: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, workers) in &results {
        for w in workers {
            *per_worker.entry(w.as_str()).or_default() += 1;
        }
    }
    let expected = (0..fibers * 150).filter(|&n| is_prime(n)).count();
    assert_eq!(primes, expected, "every fiber's work was counted exactly once");
    println!("found {primes} primes below {} in {elapsed:.2?}", fibers * 150);
    println!("\nwork slices run per worker thread (3 per fiber, a sleep between each):");
    for (w, n) in &per_worker {
        println!("  {w:<20} {n:>8}");
    }
    println!("\nper-worker counters:");
    println!(
        "  {:<8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10}",
        "worker", "started", "switches", "parks", "timers", "steals", "polls(0)", "blocking"
    );
    for (i, m) in rt.metrics().iter().enumerate() {
        println!(
            "  {:<8} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10}",
            i,
            m.started,
            m.switches,
            m.parks,
            m.timers_fired,
            m.steals,
            m.polls_nonblocking,
            m.polls_blocking
        );
    }
    Ok(())
}
