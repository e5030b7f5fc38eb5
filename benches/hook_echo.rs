//! Server CPU per request of an echo server on fibers: written against
//! `std::net` with the `hook` feature, next to the same server on
//! `fiberio::net`, in one run. The goal: the std server costs at
//! most 1.05x the fiberio::net one.
//!
//! `cargo bench -p fiberio-benches --bench hook_echo --features hook` (or
//! `benches/hook.sh`)
//!
//! One worker serves 16 connections, each a closed loop of 32-byte
//! requests and replies from a plain client thread. The server's CPU time
//! is read from the kernel's per-thread accounting
//! (`/proc/self/task/<tid>/schedstat`, nanoseconds) of the worker thread
//! before and after the requests; rounds alternate the two servers and the
//! best round of each is reported (the machine may be shared).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

const CONNS: usize = 16;
/// Round trips per connection (`HOOK_ECHO_REQUESTS` overrides, for slow
/// runs under callgrind).
fn per_conn() -> usize {
    std::env::var("HOOK_ECHO_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}
const ROUNDS: usize = 5;
const WORKER: &str = "hookecho";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Server {
    StdHooked,
    FiberioNet,
}

/// CPU nanoseconds used so far by this process's threads named `prefix*`.
fn cpu_ns(prefix: &str) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.starts_with(prefix) {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += stat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    total
}

/// Echoes until the peer closes.
fn echo(mut s: impl Read + Write) {
    let mut buf = [0u8; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Starts `server` on `rt`, accepting `CONNS` connections.
fn start(rt: &fiberio::Runtime, server: Server) -> SocketAddr {
    match server {
        Server::StdHooked => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            rt.spawn(move || {
                for s in l.incoming().take(CONNS) {
                    let s = s.unwrap();
                    s.set_nodelay(true).unwrap();
                    fiberio::spawn(move || echo(s));
                }
            });
            addr
        }
        Server::FiberioNet => {
            let l = fiberio::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            rt.spawn(move || {
                for s in l.incoming().take(CONNS) {
                    let s = s.unwrap();
                    s.set_nodelay(true).unwrap();
                    fiberio::spawn(move || echo(s));
                }
            });
            addr
        }
    }
}

/// Server CPU ns per request of one round.
fn round(server: Server) -> f64 {
    let rt = fiberio::Runtime::builder().workers(1).name(WORKER).build().unwrap();
    let addr = start(&rt, server);
    let conns: Vec<TcpStream> = (0..CONNS)
        .map(|_| {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nodelay(true).unwrap();
            s
        })
        .collect();
    let before = cpu_ns(WORKER);
    let clients: Vec<_> = conns
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                let (req, mut reply) = ([7u8; 32], [0u8; 32]);
                for _ in 0..per_conn() {
                    s.write_all(&req).unwrap();
                    s.read_exact(&mut reply).unwrap();
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
    let used = cpu_ns(WORKER) - before;
    drop(rt);
    used as f64 / (CONNS * per_conn()) as f64
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and friends
    }
    // `hook_echo std` / `hook_echo net`: one round of one server (for strace, perf).
    if let Some(one) = std::env::args().nth(1).filter(|a| a == "std" || a == "net") {
        let server = if one == "std" { Server::StdHooked } else { Server::FiberioNet };
        println!("{server:?}: {:.0} ns server CPU/request", round(server));
        return;
    }
    let start = Instant::now();
    let (mut std_best, mut net_best) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        std_best = std_best.min(round(Server::StdHooked));
        net_best = net_best.min(round(Server::FiberioNet));
    }
    println!(
        "echo server, 1 worker, {CONNS} connections x {} requests, best of {ROUNDS} rounds:",
        per_conn()
    );
    println!("  std::net + hook   {std_best:8.0} ns server CPU/request");
    println!("  fiberio::net      {net_best:8.0} ns server CPU/request");
    println!(
        "  ratio std+hook / fiberio::net = {:.3} (goal <= 1.05)   [{:.1?}]",
        std_best / net_best,
        start.elapsed()
    );
}
