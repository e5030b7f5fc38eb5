//! Unmodified `std::net` code on fibers, with the `hook` feature: a
//! thread-per-connection echo server and 10 clients, spawned as fibers
//! instead of threads, all on one worker.
//!
//! Run: `FIBERIO_WORKERS=1 cargo run --example hook_std --features hook`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    fiberio::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            fiberio::spawn(move || {
                let mut buf = [0; 64];
                let n = stream.read(&mut buf).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300)); // a slow answer
                stream.write_all(&buf[..n]).unwrap();
            });
        }
    });
    let start = Instant::now();
    let clients: Vec<_> = (0..10)
        .map(|i| {
            fiberio::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(format!("hello {i}").as_bytes()).unwrap();
                let mut back = String::new();
                s.read_to_string(&mut back).unwrap();
                back
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), format!("hello {i}"));
    }
    println!("10 echoes with a 300 ms server delay took {:?}", start.elapsed());
    Ok(())
}
