//! One measurement per function: start the processes, measure, return a
//! row of figures. Server-side figures are deltas of the server's own
//! `getrusage` taken at the exact start and end of the load generator's
//! measurement window, divided by the requests it served in that window.

use std::io;
use std::time::Duration;

use super::Config;
use super::procs::{LoadProc, LoadSpec, ServerProc};
use super::strace::{self, Syscalls, Tracer};
use crate::loadgen::LoadResult;
use crate::servers::Kind;

/// SimpleServer under closed-loop load.
#[derive(Clone, Debug)]
pub struct SimpleRow {
    /// Server.
    pub kind: Kind,
    /// Connections.
    pub conns: u64,
    /// Server workers.
    pub workers: usize,
    /// Work per request, µs (nominal).
    pub work_us: f64,
    /// Server CPU per request, µs.
    pub cpu_us: f64,
    /// Voluntary context switches per request.
    pub nvcsw: f64,
    /// Involuntary context switches per request.
    pub nivcsw: f64,
    /// Server RSS at the end of the window, KiB.
    pub rss_kib: u64,
    /// Server peak RSS, KiB.
    pub hwm_kib: u64,
    /// The generator's CPU per request, µs.
    pub client_cpu_us: f64,
    /// Requests per second and latencies.
    pub load: LoadResult,
}

/// Runs `kind` with `workers` workers under `conns` connections.
pub fn simple(cfg: &Config, kind: Kind, conns: u64, workers: usize, work_us: f64) -> io::Result<SimpleRow> {
    let work = cfg.work_rounds(work_us);
    let mut srv = ServerProc::start(&cfg.exe, kind, workers, work)?;
    let spec = LoadSpec { conns, ..cfg.load_spec(work) };
    let mut load = LoadProc::start(&cfg.exe, srv.addr, &spec)?;
    load.wait_warm()?;
    let u0 = srv.usage()?;
    let r = load.measure()?;
    let u1 = srv.usage()?;
    load.finish()?;
    srv.check_alive()?;
    let per = |x: u64| x as f64 / r.served.max(1) as f64;
    Ok(SimpleRow {
        kind,
        conns,
        workers,
        work_us,
        cpu_us: per(u1.cpu_us - u0.cpu_us),
        nvcsw: per(u1.nvcsw - u0.nvcsw),
        nivcsw: per(u1.nivcsw - u0.nivcsw),
        rss_kib: u1.rss_kib,
        hwm_kib: u1.hwm_kib,
        client_cpu_us: per(r.client_cpu_us),
        load: r,
    })
}

/// The median of each figure over repetitions (latencies from the run of
/// median throughput).
pub fn median(mut rows: Vec<SimpleRow>) -> Option<SimpleRow> {
    fn med(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.load.rate().total_cmp(&b.load.rate()));
    let mut m = rows[rows.len() / 2].clone();
    m.cpu_us = med(rows.iter().map(|r| r.cpu_us).collect());
    m.nvcsw = med(rows.iter().map(|r| r.nvcsw).collect());
    m.nivcsw = med(rows.iter().map(|r| r.nivcsw).collect());
    m.client_cpu_us = med(rows.iter().map(|r| r.client_cpu_us).collect());
    Some(m)
}

/// Syscalls per request by type over a fixed number of requests.
#[derive(Clone, Debug)]
pub struct SyscallRow {
    /// Server.
    pub kind: Kind,
    /// Connections.
    pub conns: u64,
    /// Requests served while traced.
    pub requests: u64,
    /// Counts over those requests.
    pub calls: Syscalls,
}

/// Traces `kind`'s server for `cfg.strace_requests` requests.
pub fn syscalls(cfg: &Config, kind: Kind, conns: u64) -> io::Result<SyscallRow> {
    let mut srv = ServerProc::start(&cfg.exe, kind, cfg.workers, 0)?;
    let spec = LoadSpec {
        conns,
        warmup: cfg.warmup.min(0.5),
        requests: Some(cfg.strace_requests),
        ..cfg.load_spec(0)
    };
    let mut load = LoadProc::start(&cfg.exe, srv.addr, &spec)?;
    load.wait_warm()?;
    let tracer = Tracer::attach(srv.pid())?;
    let r = load.measure()?;
    let calls = tracer.detach()?;
    load.finish()?;
    srv.check_alive()?;
    Ok(SyscallRow { kind, conns, requests: r.served, calls })
}

/// The chain of hops.
#[derive(Clone, Debug)]
pub struct ChainRow {
    /// Runtime.
    pub kind: Kind,
    /// Fibers / tasks / threads in the chain.
    pub hops: usize,
    /// Time per transfer, ns (median of 3 runs).
    pub ns_per_hop: f64,
    /// Syscalls per transfer, by type.
    pub calls_per_hop: Option<Vec<(String, f64)>>,
}

/// Times the chain (and with `trace`, counts its syscalls per transfer as
/// the difference of two traced runs of different lengths).
pub fn chain(cfg: &Config, kind: Kind, hops: usize, rounds: u64, trace: bool) -> io::Result<ChainRow> {
    let args = |rounds: u64| -> Vec<String> {
        let w = cfg.workers.to_string();
        ["chain-run", "--server", kind.name(), "--workers", &w, "--hops", &hops.to_string()]
            .iter()
            .map(ToString::to_string)
            .chain(["--rounds".to_string(), rounds.to_string()])
            .collect()
    };
    let transfers = |rounds: u64| (rounds * (hops as u64 + 1)) as f64;
    let mut times = Vec::new();
    for _ in 0..3 {
        let o = std::process::Command::new(&cfg.exe).args(args(rounds)).output()?;
        let out = String::from_utf8_lossy(&o.stdout);
        let ns: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("chain elapsed_ns="))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| {
                io::Error::other(format!(
                    "chain on {}: {}",
                    kind.name(),
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            })?;
        times.push(ns / transfers(rounds));
    }
    times.sort_by(f64::total_cmp);
    let calls_per_hop = if trace {
        let (short, long) = (5, 25);
        let (a, _) = strace::run_traced(&cfg.exe, &args(short))?;
        let (b, _) = strace::run_traced(&cfg.exe, &args(long))?;
        let d = b.minus(&a);
        let n = transfers(long - short);
        Some(d.by_name.iter().map(|(name, c, _)| (name.clone(), *c as f64 / n)).collect())
    } else {
        None
    };
    Ok(ChainRow { kind, hops, ns_per_hop: times[1], calls_per_hop })
}

/// Idle memory per connection.
#[derive(Clone, Debug)]
pub struct IdleRow {
    /// Server.
    pub kind: Kind,
    /// Idle connections.
    pub conns: u64,
    /// Server RSS before they connected, KiB.
    pub before_kib: u64,
    /// With them connected and idle, KiB.
    pub after_kib: u64,
}

impl IdleRow {
    /// RSS added per connection, KiB.
    pub fn per_conn(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / self.conns.max(1) as f64
    }
}

/// Connections per load-generator process in the idle test (keeps each
/// process far from the fd limit).
const IDLE_PER_PROC: u64 = 10_000;

/// Opens `conns` connections to `kind` (each answered once), then compares
/// the server's RSS with its RSS before.
pub fn idle(cfg: &Config, kind: Kind, conns: u64) -> io::Result<IdleRow> {
    let mut srv = ServerProc::start(&cfg.exe, kind, cfg.workers, 0)?;
    let spec = |conns, first_conn| LoadSpec { conns, first_conn, idle: true, ..cfg.load_spec(0) };
    // One connection first, so that lazy set-up is not counted per connection.
    LoadProc::start(&cfg.exe, srv.addr, &spec(1, 0))?.finish()?;
    std::thread::sleep(Duration::from_millis(200));
    let before = srv.usage()?;
    let mut loads = Vec::new();
    let mut first = 0;
    while first < conns {
        let n = IDLE_PER_PROC.min(conns - first);
        loads.push(LoadProc::start(&cfg.exe, srv.addr, &spec(n, first))?);
        first += n;
    }
    std::thread::sleep(Duration::from_millis(300));
    let after = srv.usage()?;
    for l in loads {
        l.finish()?;
    }
    srv.check_alive()?;
    Ok(IdleRow { kind, conns, before_kib: before.rss_kib, after_kib: after.rss_kib })
}
