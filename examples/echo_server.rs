//! An echo server: one fiber per connection, writing back what it reads.
//!
//! `cargo run --release --example echo_server [-- ADDR]` (default
//! 127.0.0.1:7777), then e.g. `nc 127.0.0.1 7777`. Plain blocking-style
//! code: `io::copy` between the two halves of each connection, with only
//! the fiber parking while it waits.

use std::io;

use fiberio::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match args.as_slice() {
        [] => "127.0.0.1:7777",
        [addr] if !addr.starts_with('-') => addr.as_str(),
        _ => {
            eprintln!(
                "echo_server: expected at most one argument, an address\nusage: echo_server [HOST:PORT]"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = run(addr) {
        eprintln!("echo_server: error: {e}");
        std::process::exit(1);
    }
}

/// Serves `addr` until the process is killed.
fn run(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    println!("echo_server: listening on {}", listener.local_addr()?);
    fiberio::spawn(move || {
        for stream in listener.incoming() {
            match stream {
                Ok(stream) => {
                    fiberio::spawn(move || {
                        let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                        // Copy from the stream into the same stream: `&TcpStream`
                        // implements both `Read` and `Write`.
                        let copied = io::copy(&mut &stream, &mut &stream);
                        println!("echo_server: {peer} closed after {} bytes", copied.unwrap_or(0));
                    });
                }
                Err(e) => {
                    eprintln!("echo_server: accept: {e}");
                    fiberio::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
    })
    .join()
    .expect("the accept loop panicked");
    Ok(())
}
