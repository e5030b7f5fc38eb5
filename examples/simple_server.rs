//! The Mio paper's SimpleServer: each connection reads a fixed-length
//! request and sends a fixed reply, until the client closes.
//!
//! `cargo run --release --example simple_server` runs the server on the
//! runtime's defaults and drives it from 400 client fibers in the same
//! process for 5 seconds, then prints requests per second and what the
//! runtime did per request.
//!
//! Options (all optional):
//!
//! ```text
//! --mode both|server|client   both (default): server and clients in one process;
//!                             server: serve --addr for --seconds, then report;
//!                             client: load --addr for --seconds, then report
//! --addr HOST:PORT            default 127.0.0.1:0 (both), 127.0.0.1:7878 (server, client)
//! --clients N                 concurrent connections, default 400
//! --seconds S                 default 5
//! --request N / --reply N     bytes, default 32 / 32
//! ```
//!
//! Measuring the server alone (`strace -c -f` counts syscalls by type):
//!
//! ```text
//! cargo build --release --example simple_server
//! strace -c -f -o /tmp/server.strace target/release/examples/simple_server --mode server --seconds 10 &
//! target/release/examples/simple_server --mode client --seconds 8
//! ```

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use fiberio::net::{TcpListener, TcpStream};

struct Options {
    mode: String,
    addr: Option<String>,
    clients: usize,
    seconds: u64,
    request: usize,
    reply: usize,
}

fn options() -> Options {
    let mut o = Options { mode: "both".into(), addr: None, clients: 400, seconds: 5, request: 32, reply: 32 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        // Every number is a count of something the run needs at least one of.
        let number = |v: String| match v.parse() {
            Ok(n) if n >= 1 => n,
            _ => usage(&format!("{flag} {v:?} is not a whole number from 1 up")),
        };
        match flag.as_str() {
            "--mode" => o.mode = value(),
            "--addr" => o.addr = Some(value()),
            "--clients" => o.clients = number(value()),
            "--seconds" => o.seconds = number(value()) as u64,
            "--request" => o.request = number(value()),
            "--reply" => o.reply = number(value()),
            _ => usage(&format!("unknown option {flag:?}")),
        }
    }
    if !["both", "server", "client"].contains(&o.mode.as_str()) {
        usage(&format!("--mode {:?} is not one of both, server, client", o.mode));
    }
    o
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}

fn usage(problem: &str) -> ! {
    eprintln!("simple_server: {problem}");
    eprintln!(
        "usage: simple_server [--mode both|server|client] [--addr HOST:PORT] [--clients N] [--seconds S] [--request BYTES] [--reply BYTES]"
    );
    std::process::exit(2);
}

/// Serves one connection until the client closes it.
fn serve(mut s: TcpStream, request: usize, reply: &[u8], served: &AtomicU64) {
    let _ = s.set_nodelay(true);
    let mut buf = vec![0; request];
    while s.read_exact(&mut buf).is_ok() {
        if s.write_all(reply).is_err() {
            return;
        }
        served.fetch_add(1, Relaxed);
    }
}

/// Accepts on `listener` from one fiber per worker, each connection on a
/// fiber of its own.
fn run_server(listener: TcpListener, workers: usize, request: usize, reply: usize, served: Arc<AtomicU64>) {
    let listener = Arc::new(listener);
    let reply: Arc<[u8]> = vec![b'r'; reply].into();
    for _ in 0..workers {
        let (listener, reply, served) = (listener.clone(), reply.clone(), served.clone());
        fiberio::spawn(move || {
            loop {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (reply, served) = (reply.clone(), served.clone());
                        fiberio::spawn(move || serve(s, request, &reply, &served));
                    }
                    // Out of fds, say: report it and back off, never spin.
                    Err(e) => {
                        eprintln!("simple_server: accept: {e}");
                        fiberio::sleep(Duration::from_millis(100));
                    }
                }
            }
        });
    }
}

/// Runs `clients` client fibers against `addr` until `stop`; returns how
/// many requests completed, or the first client's error.
fn run_clients(
    addr: SocketAddr,
    clients: usize,
    request: usize,
    reply: usize,
    stop: Arc<AtomicBool>,
) -> io::Result<u64> {
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let stop = stop.clone();
            fiberio::spawn(move || -> io::Result<u64> {
                let context =
                    |what: &str, e: io::Error| io::Error::new(e.kind(), format!("{what} {addr}: {e}"));
                let mut s = TcpStream::connect(addr).map_err(|e| context("cannot connect to", e))?;
                s.set_nodelay(true)?;
                let (req, mut rep) = (vec![b'q'; request], vec![0; reply]);
                let mut done = 0u64;
                while !stop.load(Relaxed) {
                    s.write_all(&req).map_err(|e| context("writing to", e))?;
                    s.read_exact(&mut rep).map_err(|e| context("reading from", e))?;
                    done += 1;
                }
                Ok(done)
            })
        })
        .collect();
    let results: Vec<io::Result<u64>> =
        handles.into_iter().map(|h| h.join().expect("a client fiber panicked")).collect();
    results.into_iter().sum()
}

/// Process-wide CPU time and context switches so far.
fn usage_now() -> (Duration, i64, i64) {
    // SAFETY: `getrusage` fills the zeroed struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_nvcsw, ru.ru_nivcsw)
}

fn report(
    label: &str,
    requests: u64,
    elapsed: Duration,
    rt: &fiberio::Runtime,
    before: (Duration, i64, i64),
) {
    let after = usage_now();
    let per = |x: f64| if requests == 0 { 0.0 } else { x / requests as f64 };
    println!(
        "{label}: {requests} requests in {elapsed:.2?} = {:.0} requests/s",
        requests as f64 / elapsed.as_secs_f64()
    );
    println!("  process CPU per request:        {:.2} µs", per((after.0 - before.0).as_secs_f64() * 1e6));
    println!("  voluntary context switches/req: {:.4}", per((after.1 - before.1) as f64));
    println!("  involuntary switches/req:       {:.4}", per((after.2 - before.2) as f64));
    let m = rt.metrics();
    let sum = |f: fn(&fiberio::WorkerMetrics) -> u64| m.iter().map(f).sum::<u64>() as f64;
    println!("  epoll_wait non-blocking/req:    {:.4}", per(sum(|w| w.polls_nonblocking)));
    println!("  epoll_wait blocking/req:        {:.4}", per(sum(|w| w.polls_blocking)));
    println!("  eventfd writes/req:             {:.4}", per(sum(|w| w.eventfd_writes)));
    println!("  fibers started per worker:      {:?}", m.iter().map(|w| w.started).collect::<Vec<_>>());
}

fn main() {
    let o = options();
    if let Err(e) = run(o) {
        eprintln!("simple_server: error: {e}");
        std::process::exit(1);
    }
}

fn run(o: Options) -> io::Result<()> {
    let rt = fiberio::Runtime::new()?;
    let workers = count(rt.workers(), "worker");
    let seconds = Duration::from_secs(o.seconds);
    let bind = |addr: &str| {
        TcpListener::bind(addr).map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
    };
    match o.mode.as_str() {
        "server" => {
            let addr = o.addr.as_deref().unwrap_or("127.0.0.1:7878");
            let served = Arc::new(AtomicU64::new(0));
            let listener = bind(addr)?;
            println!("simple_server: serving {addr} on {workers} for {seconds:?}");
            let (s, workers, (req, rep)) = (served.clone(), rt.workers(), (o.request, o.reply));
            rt.block_on(move || run_server(listener, workers, req, rep, s));
            let (start, before) = (Instant::now(), usage_now());
            std::thread::sleep(seconds);
            report("server", served.load(Relaxed), start.elapsed(), &rt, before);
            std::process::exit(0);
        }
        "client" => {
            let addr: SocketAddr = o
                .addr
                .as_deref()
                .unwrap_or("127.0.0.1:7878")
                .parse()
                .unwrap_or_else(|e| usage(&format!("--addr: {e}")));
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(seconds);
                s.store(true, Relaxed);
            });
            let (start, before) = (Instant::now(), usage_now());
            let (clients, req, rep) = (o.clients, o.request, o.reply);
            let done = rt.block_on(move || run_clients(addr, clients, req, rep, stop))?;
            report("client", done, start.elapsed(), &rt, before);
        }
        _ => {
            let listener = bind(o.addr.as_deref().unwrap_or("127.0.0.1:0"))?;
            let addr = listener.local_addr()?;
            println!(
                "simple_server: {workers}, {} over loopback to {addr}, {}, {}-byte requests, {}-byte replies",
                count(o.clients, "client fiber"),
                count(o.seconds as usize, "second"),
                o.request,
                o.reply
            );
            let served = Arc::new(AtomicU64::new(0));
            let (s, workers, (req, rep)) = (served.clone(), rt.workers(), (o.request, o.reply));
            rt.block_on(move || run_server(listener, workers, req, rep, s));
            let stop = Arc::new(AtomicBool::new(false));
            let st = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(seconds);
                st.store(true, Relaxed);
            });
            let (start, before) = (Instant::now(), usage_now());
            let done = rt.block_on(move || run_clients(addr, o.clients, req, rep, stop))?;
            report("server and clients in one process", done, start.elapsed(), &rt, before);
            assert_eq!(done, served.load(Relaxed), "every request answered is counted by the server");
        }
    }
    Ok(())
}
