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
//! `benches/tests/hyper_server.rs` runs [`serve`] and checks it with
//! `curl` and a hyper client.

#[path = "hyper_service.rs"]
mod service;

use std::io;
use std::sync::Arc;

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
    rt.block_on(|| {
        let listener = TcpListener::bind(options.addr)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {}: {e}", options.addr)))?;
        println!("hyper_server: listening on http://{} ({} workers)", listener.local_addr()?, rt.workers());
        serve(Arc::new(listener), rt.workers());
        Ok(())
    })
}

/// Serves `listener` for ever with `acceptors` accept fibers — one per
/// worker, as in `examples/simple_server.rs`.
///
/// A fiber never leaves the worker it started on, and a connection's
/// fiber starts where its acceptor spawned it: under `benches/hyper.sh`,
/// one acceptor alone left the second of two workers idle (its thread
/// used no CPU). With one acceptor per worker, the connections spread
/// over the workers as the acceptors take turns.
pub fn serve(listener: Arc<TcpListener>, acceptors: usize) {
    let accepting: Vec<_> = (0..acceptors)
        .map(|_| {
            let listener = listener.clone();
            fiberio::spawn(move || accept_loop(&listener))
        })
        .collect();
    for acceptor in accepting {
        let _ = acceptor.join();
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
                fiberio::sleep(std::time::Duration::from_millis(100));
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
