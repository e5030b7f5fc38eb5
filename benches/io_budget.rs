//! The IO budget (`RuntimeBuilder::io_budget`), side by side in one run:
//! a fiber reads a loopback stream flat out (a plain thread writes 2 GiB
//! as fast as it can) while a second fiber
//! on the same worker sleeps 1 ms at a time and records how late each
//! sleep ends. With the budget the reader yields every 128 reads; with it
//! off (`io_budget(0)`) it holds the worker until the stream ends.
//!
//! `cargo bench -p fiberio-benches --bench io_budget` (or `-- RUNS`, or
//! `-- RUNS WORK_US`: WORK_US µs of CPU work after each read, the issue's
//! second case — a reader slow enough that the socket never runs dry)
//!
//! Prints, per run and mode, the reader's throughput and the sleeper's
//! longest wait past its deadline; then the medians and the ratio of the
//! reader's throughput with the budget to without. Issue 10's goals: the
//! sleeper's longest wait at most 10 ms; the throughput ratio at least
//! 0.9x.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

const BYTES: usize = 2 << 30;
const READ: usize = 4096;

struct Run {
    mib_per_s: f64,
    longest_wait: Duration,
    yields: u64,
}

fn one(budget: u32, work: Duration) -> Run {
    let rt = fiberio::Runtime::builder().workers(1).io_budget(budget).build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let chunk = vec![1u8; 1 << 20];
        for _ in 0..BYTES / chunk.len() {
            s.write_all(&chunk).unwrap();
        }
    });
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let sleeper = rt.spawn(move || {
        let mut longest = Duration::ZERO;
        while !d.load(SeqCst) {
            let deadline = Instant::now() + Duration::from_millis(1);
            fiberio::sleep_until(deadline);
            longest = longest.max(Instant::now().saturating_duration_since(deadline));
        }
        longest
    });
    let reader = rt.spawn(move || {
        let mut s = fiberio::net::TcpStream::connect(addr).unwrap();
        let mut buf = vec![0u8; READ];
        let (start, mut total) = (Instant::now(), 0usize);
        loop {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            let until = Instant::now() + work;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        let took = start.elapsed();
        done.store(true, SeqCst);
        assert_eq!(total, BYTES);
        total as f64 / (1 << 20) as f64 / took.as_secs_f64()
    });
    let mib_per_s = reader.join().unwrap();
    let longest_wait = sleeper.join().unwrap();
    writer.join().unwrap();
    let yields = rt.metrics()[0].io_yields;
    Run { mib_per_s, longest_wait, yields }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut numbers = std::env::args().skip(1).filter_map(|a| a.parse::<u64>().ok());
    let runs = numbers.next().map_or(5, |n| n.max(1) as usize);
    let work = Duration::from_micros(numbers.next().unwrap_or(0));
    println!(
        "io_budget: {runs} runs per mode, {} MiB read in {READ}-byte reads, {} µs of work per read, 1 worker",
        BYTES >> 20,
        work.as_micros()
    );
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // Alternate which mode goes first.
        let order: [u32; 2] = if i % 2 == 0 { [128, 0] } else { [0, 128] };
        for budget in order {
            let r = one(budget, work);
            let label = if budget == 0 { "off" } else { "128" };
            println!(
                "run {i} budget {label:>3}: reader {:7.0} MiB/s, sleeper's longest wait {:8.2} ms, {} budget yields",
                r.mib_per_s,
                r.longest_wait.as_secs_f64() * 1e3,
                r.yields
            );
            if budget == 0 { without.push(r) } else { with.push(r) }
        }
    }
    let t = |v: &[Run]| median(v.iter().map(|r| r.mib_per_s).collect());
    let w = |v: &[Run]| median(v.iter().map(|r| r.longest_wait.as_secs_f64() * 1e3).collect());
    let wmax = |v: &[Run]| v.iter().map(|r| r.longest_wait.as_secs_f64() * 1e3).fold(0.0, f64::max);
    println!(
        "medians: budget 128: {:.0} MiB/s, longest wait {:.2} ms (max over runs {:.2} ms)",
        t(&with),
        w(&with),
        wmax(&with)
    );
    println!(
        "         budget off: {:.0} MiB/s, longest wait {:.2} ms (max over runs {:.2} ms)",
        t(&without),
        w(&without),
        wmax(&without)
    );
    println!("reader throughput, budget / no budget: {:.3}x", t(&with) / t(&without));
}
