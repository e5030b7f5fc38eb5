//! The load generator, one process for every server: closed-loop clients
//! over N connections spread over a few threads (see [`client`]); a
//! warm-up, then a measurement of fixed duration or fixed request count;
//! every measured request's latency in an hdrhistogram; progress on
//! standard error once a second; one `result ...` line on standard output.
//!
//! With `--control` it also stops between phases for the runner, which
//! snapshots the server's resource usage at exactly those points:
//!
//! ```text
//! stdout: connected N   (every connection open and answered once)
//!         warm          (warm-up over, no request in flight; waits for "go" on stdin)
//!         result ...    (measurement over, drained; waits for a line or EOF on stdin)
//! ```
//!
//! With `--idle` it opens the connections, prints `connected N`, and holds
//! them idle until standard input closes (idle memory per connection).

pub mod client;
mod result;

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use result::LoadResult;

use crate::sys::{self, Usage};
use client::{Job, Phase, Shared, ThreadState};

/// What the load generator does.
#[derive(Clone, Debug)]
pub struct LoadOpts {
    /// The server.
    pub addr: SocketAddr,
    /// Connections.
    pub conns: u64,
    /// Number of the first connection (several generators, one server).
    pub first_conn: u64,
    /// Client threads.
    pub threads: usize,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Measurement length (unless `requests` is set).
    pub duration: Duration,
    /// Measure exactly this many requests instead of a duration.
    pub requests: Option<u64>,
    /// Server work rounds per request (to check replies).
    pub work: u32,
    /// Recompute each reply's work hash.
    pub check_work: bool,
    /// Stop between phases for the runner (see the module docs).
    pub control: bool,
    /// Only open the connections and hold them idle.
    pub idle: bool,
}

struct Threads {
    shared: Arc<Shared>,
    states: Vec<Arc<ThreadState>>,
    handles: Vec<JoinHandle<io::Result<()>>>,
}

impl Threads {
    fn set(&self, p: Phase) {
        self.shared.set(p);
    }

    fn sum(&self, f: impl Fn(&ThreadState) -> u64) -> u64 {
        self.states.iter().map(|s| f(s)).sum()
    }

    /// Fails with the first thread's error, if one has stopped.
    fn check(&mut self) -> io::Result<()> {
        if let Some(i) = self.handles.iter().position(|h| h.is_finished()) {
            let h = self.handles.swap_remove(i);
            h.join().map_err(|_| io::Error::other("a client thread panicked"))??;
            return Err(io::Error::other("a client thread stopped early"));
        }
        Ok(())
    }

    /// Waits until every thread has been idle in the current phase,
    /// printing `what` progress.
    fn wait_idle(&mut self, what: &str, total: u64) -> io::Result<()> {
        let seq = self.shared.phase().1;
        let mut last = Instant::now();
        while !self.states.iter().all(|s| s.idle_in.load(Relaxed) == seq) {
            self.check()?;
            std::thread::sleep(Duration::from_millis(2));
            if last.elapsed() >= Duration::from_secs(1) {
                last = Instant::now();
                eprintln!(
                    "netbench load: {what}: {} of {total} answered",
                    self.sum(|s| s.completed.load(Relaxed))
                );
            }
        }
        Ok(())
    }

    fn stop(mut self) -> io::Result<()> {
        self.set(Phase::Exit);
        for h in self.handles.drain(..) {
            h.join().map_err(|_| io::Error::other("a client thread panicked"))??;
        }
        Ok(())
    }
}

/// Runs the load generator; prints its result line.
pub fn run(o: &LoadOpts) -> io::Result<LoadResult> {
    sys::check_fds(o.conns + 64, "the load generator")?;
    let threads = o.threads.clamp(1, o.conns.max(1) as usize);
    let shared = Arc::new(Shared {
        phase: AtomicU8::new(Phase::Connect as u8),
        seq: AtomicU64::new(0),
        latency: Mutex::new(client::histogram()),
    });
    let states = client::states(threads);
    let mut handles = Vec::new();
    for (t, state) in states.iter().enumerate() {
        let share = |t: u64| o.first_conn + o.conns * t / threads as u64;
        let job = Job {
            addr: o.addr,
            conns: share(t as u64)..share(t as u64 + 1),
            max_opening: 64,
            work: o.work,
            check_work: o.check_work,
        };
        let (shared, state) = (shared.clone(), state.clone());
        handles.push(
            std::thread::Builder::new()
                .name(format!("load-{t}"))
                .spawn(move || client::run(&job, &shared, &state))?,
        );
    }
    let mut th = Threads { shared, states, handles };
    th.wait_idle("connecting", o.conns)?;
    say(&format!("connected {}", o.conns));
    if o.idle {
        wait_stdin();
        th.stop()?;
        return Ok(LoadResult::default());
    }
    th.set(Phase::Warm);
    progress(&mut th, "warm-up", o.warmup, None, Instant::now())?;
    th.set(Phase::Drain);
    th.wait_idle("draining", 0)?;
    if o.control {
        say("warm");
        wait_stdin();
    }
    let (before, completed0) = (Usage::of_self()?, th.sum(|s| s.completed.load(Relaxed)));
    for (t, s) in th.states.iter().enumerate() {
        let q = o
            .requests
            .map_or(u64::MAX, |n| n * (t as u64 + 1) / threads as u64 - n * t as u64 / threads as u64);
        s.quota.store(q, Relaxed);
        s.measured.store(0, Relaxed);
    }
    let t0 = Instant::now();
    th.set(Phase::Measure);
    progress(&mut th, "measure", o.duration, o.requests, t0)?;
    let secs = t0.elapsed().as_secs_f64();
    th.set(Phase::Drain);
    th.wait_idle("draining", 0)?;
    let after = Usage::of_self()?;
    let hist = th.shared.latency.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let r = LoadResult::new(
        th.sum(|s| s.measured.load(Relaxed)),
        th.sum(|s| s.completed.load(Relaxed)) - completed0,
        secs,
        after.cpu_us - before.cpu_us,
        th.sum(|s| s.errors.load(Relaxed)),
        &hist,
    );
    say(&r.to_line());
    if o.control {
        wait_stdin();
    }
    th.stop()?;
    if r.errors > 0 {
        return Err(io::Error::other(format!("{} wrong replies", r.errors)));
    }
    Ok(r)
}

/// Runs the current phase for `length` (or until `count` measured
/// requests), printing the rate once a second.
fn progress(
    th: &mut Threads,
    what: &str,
    length: Duration,
    count: Option<u64>,
    start: Instant,
) -> io::Result<()> {
    let (mut last_t, mut last_n) = (start, th.sum(|s| s.completed.load(Relaxed)));
    loop {
        th.check()?;
        let done = match count {
            Some(n) => th.sum(|s| s.measured.load(Relaxed)) >= n,
            None => start.elapsed() >= length,
        };
        if done {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(if count.is_some() { 1 } else { 5 }));
        if last_t.elapsed() >= Duration::from_secs(1) {
            let n = th.sum(|s| s.completed.load(Relaxed));
            let rate = (n - last_n) as f64 / last_t.elapsed().as_secs_f64();
            eprintln!("netbench load: {what} {:.1} s: {rate:.0} requests/s", start.elapsed().as_secs_f64());
            (last_t, last_n) = (Instant::now(), n);
        }
    }
}

fn say(line: &str) {
    println!("{line}");
    let _ = io::stdout().flush();
}

/// Blocks until a line or EOF arrives on standard input.
fn wait_stdin() {
    let mut line = String::new();
    let _ = io::stdin().lock().read_line(&mut line);
}
