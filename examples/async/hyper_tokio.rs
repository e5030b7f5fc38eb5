//! The same hyper 1 HTTP/1.1 service as `hyper_server.rs`, on tokio's
//! multi-thread runtime instead of fibers: one tokio task per connection.
//! It is the reference `benches/hyper.sh` measures the fiber server
//! against (same service, same hyper settings, no hyper timer on either).
//!
//! ```text
//! cargo run -p fiberio-benches --release --example hyper_tokio -- --addr 127.0.0.1:3001 --workers 2
//! curl http://127.0.0.1:3001/
//! ```
//!
//! Options: `--addr HOST:PORT` (or `HYPER_ADDR`; default 127.0.0.1:3000),
//! `--workers N` tokio worker threads (or `HYPER_WORKERS`; default one per
//! core).

#[path = "hyper_service.rs"]
mod service;

use std::io;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use service::Options;

fn main() {
    let options = Options::from_command_line("hyper_tokio");
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = options.workers {
        builder.worker_threads(n);
    }
    let served = builder.enable_all().build().and_then(|rt| rt.block_on(serve(options)));
    if let Err(e) = served {
        eprintln!("hyper_tokio: error: {e}");
        std::process::exit(1);
    }
}

/// Listens on `options.addr` and serves every connection on its own task,
/// until the process is killed.
async fn serve(options: Options) -> io::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {}: {e}", options.addr)))?;
    println!("hyper_tokio: listening on http://{}", listener.local_addr()?);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait rather than spin.
                eprintln!("hyper_tokio: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let conn =
                http1::Builder::new().serve_connection(TokioIo::new(stream), service_fn(service::handle));
            if let Err(e) = conn.await {
                eprintln!("hyper_tokio: connection: {e}");
            }
        });
    }
}
