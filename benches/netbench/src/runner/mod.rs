//! The runner: starts servers and load generators as child processes,
//! measures each workload (see [`measure`]), and collects the rows the
//! report and the plots are made of. A case that fails (a server that
//! cannot start, a crash, a limit hit) is recorded as a note and the run
//! goes on.

pub mod measure;
pub mod procs;
pub mod strace;

use std::path::PathBuf;
use std::time::Instant;

use crate::servers::Kind;
use measure::{ChainRow, IdleRow, SimpleRow, SyscallRow};
use procs::LoadSpec;

/// How to run the comparison.
#[derive(Clone, Debug)]
pub struct Config {
    /// The netbench executable (started as `serve`, `load`, `chain-run`).
    pub exe: PathBuf,
    /// Servers to compare.
    pub servers: Vec<Kind>,
    /// Workers of every server.
    pub workers: usize,
    /// Load-generator threads.
    pub load_threads: usize,
    /// Warm-up, seconds.
    pub warmup: f64,
    /// Measurement, seconds.
    pub duration: f64,
    /// Repetitions of the 400-connection case (medians reported).
    pub reps: usize,
    /// Count syscalls with strace.
    pub strace: bool,
    /// Requests per traced run.
    pub strace_requests: u64,
    /// Recompute the work hash of each reply.
    pub check_work: bool,
    /// ns per round of `proto::work` on this machine.
    pub round_ns: f64,
    /// Where results go.
    pub out: PathBuf,
}

impl Config {
    /// Rounds of `proto::work` that take about `us` µs.
    pub fn work_rounds(&self, us: f64) -> u32 {
        if us <= 0.0 { 0 } else { ((us * 1000.0 / self.round_ns).round() as u32).max(1) }
    }

    /// The load of a timed run with this configuration.
    pub fn load_spec(&self, work: u32) -> LoadSpec {
        LoadSpec {
            conns: 1,
            first_conn: 0,
            threads: self.load_threads,
            warmup: self.warmup,
            duration: self.duration,
            requests: None,
            work,
            check_work: self.check_work,
            idle: false,
        }
    }
}

/// Everything measured in one run.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// SimpleServer rows (medians where repeated).
    pub simple: Vec<SimpleRow>,
    /// Syscall counts.
    pub syscalls: Vec<SyscallRow>,
    /// Chain rows.
    pub chain: Vec<ChainRow>,
    /// Idle-memory rows.
    pub idle: Vec<IdleRow>,
    /// CPU-work rows, at 1 and at 2 workers.
    pub cpu: Vec<SimpleRow>,
    /// Cases that failed or were skipped, and why.
    pub notes: Vec<String>,
}

/// Runs `f`, logging the case; a failure becomes a note.
pub fn case<T>(results: &mut Results, what: &str, f: impl FnOnce() -> std::io::Result<T>) -> Option<T> {
    let t = Instant::now();
    eprintln!("netbench: == {what}");
    match f() {
        Ok(v) => {
            eprintln!("netbench: -- {what}: done in {:.1} s", t.elapsed().as_secs_f64());
            Some(v)
        }
        Err(e) => {
            eprintln!("netbench: !! {what}: {e}");
            results.notes.push(format!("{what}: {e}"));
            None
        }
    }
}

/// SimpleServer at each of `conns`; the 400-connection case repeated
/// `cfg.reps` times, servers interleaved, medians kept.
pub fn simple(cfg: &Config, conns: &[u64], work_us: f64, r: &mut Results) {
    for &c in conns {
        let reps = if c == 400 { cfg.reps.max(1) } else { 1 };
        let mut runs: Vec<Vec<SimpleRow>> = vec![Vec::new(); cfg.servers.len()];
        for rep in 0..reps {
            for (i, &k) in cfg.servers.iter().enumerate() {
                let what = format!("simple {} {c} conns (run {}/{reps})", k.name(), rep + 1);
                if let Some(row) = case(r, &what, || measure::simple(cfg, k, c, cfg.workers, work_us)) {
                    runs[i].push(row);
                }
            }
        }
        r.simple.extend(runs.into_iter().filter_map(measure::median));
    }
}

/// Syscalls per request at `conns` connections.
pub fn syscalls(cfg: &Config, conns: u64, r: &mut Results) {
    for &k in &cfg.servers {
        let what =
            format!("syscalls {} {conns} conns, {} requests under strace", k.name(), cfg.strace_requests);
        if let Some(row) = case(r, &what, || measure::syscalls(cfg, k, conns)) {
            r.syscalls.push(row);
        }
    }
}

/// The chain on every server's runtime.
pub fn chain(cfg: &Config, hops: usize, rounds: u64, r: &mut Results) {
    for &k in &cfg.servers {
        let what = format!("chain {} {hops} hops x {rounds} rounds", k.name());
        if let Some(row) = case(r, &what, || measure::chain(cfg, k, hops, rounds, cfg.strace)) {
            r.chain.push(row);
        }
    }
}

/// Idle memory per connection at each of `conns`.
pub fn idle(cfg: &Config, conns: &[u64], r: &mut Results) {
    for &c in conns {
        for &k in &cfg.servers {
            if let Some(row) = case(r, &format!("idle {} {c} conns", k.name()), || measure::idle(cfg, k, c)) {
                r.idle.push(row);
            }
        }
    }
}

/// 1 and 2 (well, 1 and `cfg.workers`) workers with `work_us` of CPU work
/// per request, at `conns` connections.
pub fn cpu(cfg: &Config, conns: u64, work_us: f64, r: &mut Results) {
    for &k in &cfg.servers {
        for w in [1, cfg.workers.max(2)] {
            let what = format!("cpu {} {w} workers, {work_us} µs/request, {conns} conns", k.name());
            if let Some(row) = case(r, &what, || measure::simple(cfg, k, conns, w, work_us)) {
                r.cpu.push(row);
            }
        }
    }
}
