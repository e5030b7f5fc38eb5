//! Unmodified std code on fibers, with the `hook` feature: a
//! thread-per-connection HTTP server written against `std::net` and
//! `std::thread::sleep`, and 10 `ureq` clients (std sockets inside), all
//! spawned with `fiberio::spawn` where they used `std::thread::spawn` —
//! nothing else changed, and nothing here names a fiberio IO type.
//!
//! Each answer takes 300 ms; on one worker the 10 requests overlap (about
//! 0.3 s in all) because every blocking libc call parks only its fiber.
//!
//! Run: `FIBERIO_WORKERS=1 cargo run -p fiberio-benches --release --example hook_std --features hook`

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const CLIENTS: usize = 10;

/// One connection, as a thread-per-connection server handles it.
fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?; // "GET /path HTTP/1.1"
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    while reader.read_line(&mut line)? > 2 {
        line.clear(); // the rest of the head, up to the empty line
    }
    std::thread::sleep(Duration::from_millis(300)); // a slow backend
    let body = format!("you asked for {path}");
    write!(&stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    fiberio::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.expect("accept");
            fiberio::spawn(move || serve(stream).expect("serve")); // was std::thread::spawn
        }
    });
    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            fiberio::spawn(move || {
                // `localhost`: name resolution goes to the helper pool.
                let url = format!("http://localhost:{port}/item/{i}");
                ureq::get(&url).call().expect("GET").body_mut().read_to_string().expect("body")
            })
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        assert_eq!(client.join().expect("client fiber"), format!("you asked for /item/{i}"));
    }
    println!("{CLIENTS} ureq requests to a std::net server answering in 300 ms: {:?}", start.elapsed());
    Ok(())
}
