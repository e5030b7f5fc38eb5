//! hyper 1 on fibers: an HTTP/1.1 server with one fiber per accepted
//! connection, each running hyper's connection future with
//! [`fiberio::future::block_on`]. hyper sees a `fiberio::net::TcpStream`
//! through hyper-util's `TokioIo`, over the `tokio::io` traits fiberio
//! implements with its `tokio-io` feature: while hyper waits for the
//! socket, only the connection's fiber parks, and the reactor wakes it on
//! readiness.
//!
//! ```text
//! cargo run -p fiberio-benches --release --example hyper_server -- --addr 127.0.0.1:3000 --workers 2
//! curl http://127.0.0.1:3000/                                 # Hello, world!
//! curl --data-binary 'echo me' http://127.0.0.1:3000/echo     # echo me
//! curl -s http://127.0.0.1:3000/bytes/1000000 | wc -c         # 1000000
//! ```
//!
//! Options: `--addr HOST:PORT` (or `HYPER_ADDR`; default 127.0.0.1:3000),
//! `--workers N` fiberio workers (or `HYPER_WORKERS`, else
//! `FIBERIO_WORKERS`, else one per core). `benches/hyper.sh` measures it
//! against the same service on tokio (`hyper_tokio.rs`); the test
//! `benches/tests/hyper_server.rs` runs [`spawn_acceptors`] and checks it with
//! `curl` and a hyper client.

#[path = "hyper_service.rs"]
mod service;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use fiberio::net::{TcpListener, TcpStream};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
pub use service::{DEFAULT_ADDR, HELLO, Options, pattern};

fn main() {
    let options = Options::from_command_line("hyper_server");
    if let Err(e) = run(&options) {
        eprintln!("hyper_server: error: {e}");
        std::process::exit(1);
    }
}

/// Starts a runtime with `options.workers` workers and serves
/// `options.addr` on it until the process is killed.
fn run(options: &Options) -> io::Result<()> {
    let mut builder = fiberio::Runtime::builder();
    if let Some(n) = options.workers {
        builder = builder.workers(n);
    }
    let rt = builder.build()?;
    let (bound, acceptors) = spawn_acceptors(&rt, options.addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {}: {e}", options.addr)))?;
    println!("hyper_server: listening on http://{bound} ({} workers)", rt.workers());
    for acceptor in acceptors {
        let _ = acceptor.join();
    }
    Ok(())
}

/// Listens on `addr` with one `SO_REUSEPORT` listener per worker of `rt`,
/// each served by an accept fiber running [`accept_loop`], one acceptor
/// per worker; returns the bound address (its port, if `addr` asked for
/// port 0) and the acceptor fibers.
///
/// A fiber never leaves the worker it started on, and a connection's
/// fiber starts on its acceptor's worker, so where the acceptors start
/// decides the balance. Under `benches/hyper.sh`, one acceptor alone left
/// the second of two workers idle (its thread used no CPU), and so did, in
/// some runs, two acceptors simply spawned: a worker stole the second
/// while the first waited in `accept`, and ran both. So each acceptor
/// holds its worker until all have started, and has a listener of its
/// own: the kernel spreads the connections over the listeners.
pub fn spawn_acceptors(
    rt: &fiberio::Runtime,
    addr: SocketAddr,
) -> io::Result<(SocketAddr, Vec<fiberio::JoinHandle<()>>)> {
    let first = TcpListener::bind_reuseport(addr)?;
    let bound = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..rt.workers() {
        listeners.push(TcpListener::bind_reuseport(bound)?);
    }
    let (n, started) = (listeners.len(), Arc::new(AtomicUsize::new(0)));
    let acceptors = listeners
        .into_iter()
        .map(|listener| {
            let started = started.clone();
            rt.spawn(move || {
                hold_until_all_started(&started, n);
                accept_loop(&listener)
            })
        })
        .collect();
    Ok((bound, acceptors))
}

/// Keeps this fiber's worker busy until `n` acceptors have started, or
/// for at most 100 ms: a worker busy here cannot start another acceptor,
/// so the others start on other workers (as `tests/util/place.rs` places
/// fibers). Without it, a worker that stole the second acceptor while the
/// first waited in `accept` ran both, in some runs.
fn hold_until_all_started(started: &AtomicUsize, n: usize) {
    started.fetch_add(1, SeqCst);
    let give_up = Instant::now() + Duration::from_millis(100);
    while started.load(SeqCst) < n && Instant::now() < give_up {
        std::hint::spin_loop();
    }
}

/// Accepts connections on `listener` for ever, each served on its own
/// fiber by [`serve_connection`].
pub fn accept_loop(listener: &TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                fiberio::spawn(move || serve_connection(stream));
            }
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                eprintln!("hyper_server: accept: {e}");
                fiberio::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Serves HTTP/1.1 on `stream` until the client closes it (keep-alive:
/// any number of requests), parking only this fiber while hyper waits.
pub fn serve_connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(service::handle));
    if let Err(e) = fiberio::future::block_on(conn) {
        eprintln!("hyper_server: connection: {e}");
    }
}
