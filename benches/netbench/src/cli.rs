//! Command-line parsing and the commands. Bad input gets a message that
//! says what is wrong and exit status 2; a failed measurement exits 1.

mod flags;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::loadgen::{self, LoadOpts};
use crate::runner::{self, Config, Results};
use crate::servers::{self, Kind, ServeOpts};
use crate::{plot, proto, report, sys};
use flags::Flags;

const USAGE: &str = "\
usage: netbench COMMAND [FLAGS]

commands (each runs every server unless --server is given):
  all      the whole comparison, defaults sized for < 10 minutes on 2 cores:
           simple at 1, 100, 400, 10000 conns (400 repeated --reps times),
           syscalls at 400 conns, chain, idle memory, 1 vs 2 workers with CPU work
  simple   SimpleServer        [--conns LIST (400)] [--work-us US (0)] [--strace]
  single   one client's round trip (simple --conns 1)
  chain    hops passing a byte [--hops N (500)] [--rounds N (200)] [--strace]
  idle     idle RSS per conn   [--conns LIST (1000,10000,19000)]
  cpu      1 vs 2 workers      [--conns N (100)] [--work-us US (200)]
  help     this text

flags for all of them:
  --server LIST        fiberio,tokio,may,threads,epoll (default: all five)
  --workers N          workers of every server (default: CPUs available)
  --threads N          load-generator threads (default: as --workers)
  --warmup S           seconds of warm-up per run (default 1)
  --duration S         seconds measured per run (default 3)
  --reps N             repetitions of the 400-connection case, medians kept (default 3 for all, 1 otherwise)
  --strace-requests N  requests counted under strace (default 20000)
  --no-strace          (all) skip the syscall counts
  --check-work         recompute every reply's work hash in the load generator
  --out DIR            where the report and plots go (default: target/netbench)

parts the runner starts (also usable by hand):
  serve --server K [--workers N] [--addr HOST:PORT] [--work ROUNDS]
  load --addr HOST:PORT [--conns N] [--threads N] [--warmup S] [--duration S]
       [--requests N] [--work ROUNDS] [--check-work] [--first-conn N] [--control] [--idle]
  chain-run --server K [--workers N] [--hops N] [--rounds N]
";

/// CPU work per request in the 1-vs-2-workers case. 200 µs, not less:
/// the load generator shares the two cores and costs ~10 µs a request, so
/// with `w` µs of work two workers can serve at most about
/// `2(w + 10) / (w + 20)` times one (1.5x at 20 µs, 1.9x at 200 µs).
const CPU_WORK_US: f64 = 200.0;

/// Runs the command line; returns the exit status.
pub fn main(args: Vec<String>) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return 2;
    };
    let res = match cmd.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return 0;
        }
        "serve" => Flags::parse(rest, &["server", "workers", "addr", "work"], &[]).and_then(|f| serve(&f)),
        "load" => Flags::parse(
            rest,
            &["addr", "conns", "threads", "warmup", "duration", "requests", "work", "first-conn"],
            &["check-work", "control", "idle"],
        )
        .and_then(|f| load(&f)),
        "chain-run" => {
            Flags::parse(rest, &["server", "workers", "hops", "rounds"], &[]).and_then(|f| chain_run(&f))
        }
        "all" | "simple" | "single" | "chain" | "idle" | "cpu" => {
            const VALUED: [&str; 12] = [
                "server",
                "workers",
                "threads",
                "warmup",
                "duration",
                "reps",
                "strace-requests",
                "out",
                "conns",
                "work-us",
                "hops",
                "rounds",
            ];
            Flags::parse(rest, &VALUED, &["strace", "no-strace", "check-work"]).and_then(|f| compare(cmd, &f))
        }
        _ => Err(flags::bad(format!("unknown command {cmd:?}"))),
    };
    match res {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("netbench: {e}\n\n{USAGE}");
            2
        }
        Err(e) => {
            eprintln!("netbench: {e}");
            1
        }
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn serve(f: &Flags) -> io::Result<()> {
    let kind = Kind::parse(&f.req("server")?).map_err(flags::bad)?;
    let addr: SocketAddr = f.num("addr", "127.0.0.1:7878".parse().expect("an address"))?;
    let o = ServeOpts { kind, workers: f.num("workers", default_workers())?, addr, work: f.num("work", 0)? };
    if o.workers == 0 {
        return Err(flags::bad("--workers must be at least 1"));
    }
    servers::serve(&o)
}

fn load(f: &Flags) -> io::Result<()> {
    let secs = |name, d: f64| f.num(name, d).map(Duration::from_secs_f64);
    let o = LoadOpts {
        addr: f.num("addr", "127.0.0.1:7878".parse().expect("an address"))?,
        conns: f.num("conns", 400)?,
        first_conn: f.num("first-conn", 0)?,
        threads: f.num("threads", default_workers())?,
        warmup: secs("warmup", 1.0)?,
        duration: secs("duration", 3.0)?,
        requests: f.opt_num("requests")?,
        work: f.num("work", 0)?,
        check_work: f.has("check-work"),
        control: f.has("control"),
        idle: f.has("idle"),
    };
    if o.conns == 0 {
        return Err(flags::bad("--conns must be at least 1"));
    }
    let r = loadgen::run(&o)?;
    if !o.control && !o.idle {
        eprintln!(
            "netbench load: {} requests/s, p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs",
            report::thousands(r.rate()),
            r.p50 as f64 / 1e3,
            r.p99 as f64 / 1e3,
            r.p999 as f64 / 1e3
        );
    }
    Ok(())
}

fn chain_run(f: &Flags) -> io::Result<()> {
    let kind = Kind::parse(&f.req("server")?).map_err(flags::bad)?;
    let hops: usize = f.num("hops", 500)?;
    if hops == 0 {
        return Err(flags::bad("--hops must be at least 1"));
    }
    let t = crate::chain::run(kind, f.num("workers", default_workers())?, hops, f.num("rounds", 200)?)?;
    println!("chain elapsed_ns={}", t.as_nanos());
    Ok(())
}

/// `target/netbench`: next to the executable's profile directory.
fn default_out() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("netbench");
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map_or_else(|| PathBuf::from("target/netbench"), |t| t.join("netbench"))
}

/// The runner commands.
fn compare(cmd: &str, f: &Flags) -> io::Result<()> {
    let started = Instant::now();
    let servers = match f.get("server") {
        None | Some("all") => Kind::ALL.to_vec(),
        Some(list) => list.split(',').map(Kind::parse).collect::<Result<_, _>>().map_err(flags::bad)?,
    };
    let workers = f.num("workers", default_workers())?;
    let round_ns = 20_000.0 / f64::from(proto::calibrate(Duration::from_micros(20)));
    let cfg = Config {
        exe: std::env::current_exe()?,
        servers,
        workers,
        load_threads: f.num("threads", workers)?,
        warmup: f.num("warmup", 1.0)?,
        duration: f.num("duration", 3.0)?,
        reps: f.num("reps", if cmd == "all" { 3 } else { 1 })?,
        strace: if cmd == "all" { !f.has("no-strace") } else { f.has("strace") },
        strace_requests: f.num("strace-requests", 20_000)?,
        check_work: f.has("check-work"),
        round_ns,
        out: f.get("out").map_or_else(default_out, PathBuf::from),
    };
    if cfg.workers == 0 || cfg.load_threads == 0 || cfg.duration <= 0.0 || cfg.warmup < 0.0 {
        return Err(flags::bad(
            "--workers and --threads must be at least 1, --duration above 0, --warmup not negative",
        ));
    }
    sys::raise_fd_limit()?;
    let mut r = Results::default();
    let conns = |d: &[u64]| f.list("conns", d);
    let work_us = |d| f.num("work-us", d);
    let strace_ok = !cfg.strace || runner::strace::available();
    if !strace_ok {
        r.notes.push("syscall counts: strace is not installed (apt-get install -y strace)".into());
    }
    let cfg_traced = Config { strace: cfg.strace && strace_ok, ..cfg.clone() };
    match cmd {
        "all" => {
            runner::simple(&cfg, &[1, 100, 400, 10_000], 0.0, &mut r);
            if cfg_traced.strace {
                runner::syscalls(&cfg, 400, &mut r);
            }
            runner::chain(&cfg_traced, 500, 200, &mut r);
            runner::idle(&cfg, &[1_000, 10_000, 19_000], &mut r);
            runner::cpu(&cfg, 100, CPU_WORK_US, &mut r);
        }
        "simple" | "single" => {
            let list = if cmd == "single" { vec![1] } else { conns(&[400])? };
            runner::simple(&cfg, &list, work_us(0.0)?, &mut r);
            if cfg_traced.strace {
                for c in list {
                    runner::syscalls(&cfg, c, &mut r);
                }
            }
        }
        "chain" => runner::chain(&cfg_traced, f.num("hops", 500)?, f.num("rounds", 200)?, &mut r),
        "idle" => runner::idle(&cfg, &conns(&[1_000, 10_000, 19_000])?, &mut r),
        _ => runner::cpu(&cfg, f.num("conns", 100)?, work_us(CPU_WORK_US)?, &mut r),
    }
    write_report(cmd, &cfg, &r, started)
}

fn write_report(cmd: &str, cfg: &Config, r: &Results, started: Instant) -> io::Result<()> {
    let header = format!(
        "## netbench {cmd}\n\n{}\n\nCommand: `netbench {}`; {} workers per server, {} load-generator threads, \
         {} s warm-up + {} s per run; CPU work calibrated to {:.1} ns per hash round; wall time {:.0} s.\n",
        machine(),
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        cfg.workers,
        cfg.load_threads,
        cfg.warmup,
        cfg.duration,
        cfg.round_ns,
        started.elapsed().as_secs_f64()
    );
    let md = report::markdown(r, &header);
    println!("{md}");
    std::fs::create_dir_all(&cfg.out)?;
    let name = if cmd == "all" { "results.md".to_string() } else { format!("{cmd}.md") };
    std::fs::write(cfg.out.join(&name), &md)?;
    eprintln!("netbench: wrote {}", cfg.out.join(&name).display());
    for p in plot::all(r, &cfg.out)? {
        eprintln!("netbench: wrote {}", p.display());
    }
    Ok(())
}

/// CPU model, cores, kernel and load, for the report header.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("?", |m| m.trim_start_matches([' ', '\t', ':']));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "Machine: {} CPUs ({model}), Linux {}, load average at the end {}.",
        default_workers(),
        kernel.trim(),
        load.join(" ")
    )
}
