//! An echo server: one fiber per connection, writing back what it reads.
//!
//! `cargo run --release --example echo_server [-- ADDR]` (default
//! 127.0.0.1:7777), then e.g. `nc 127.0.0.1 7777`. Plain blocking-style
//! code: `io::copy` between the two halves of each connection, with only
//! the fiber parking while it waits.

use std::io;

use fiberio::net::TcpListener;

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7777".to_string());
    let listener = TcpListener::bind(&addr)?;
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
