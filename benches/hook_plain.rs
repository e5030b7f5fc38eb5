//! Plain-thread std code, for the cost of the `hook` feature off fibers:
//! `benches/hook.sh` counts this program's instructions with callgrind,
//! built with and without the feature (the goal: at most 1.02x).
//!
//! `hook_plain N`: N round trips of 32 bytes over a loopback TCP pair
//! (std `write`/`read`), one `poll` and one `nanosleep` per 64 round trips
//! — on the main thread, after one fiber has run (a program that uses
//! fiberio, so that the hook is linked in when the feature is on).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    fiberio::spawn(|| ()).join().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut b, _) = listener.accept().unwrap();
    let (mut buf, msg) = ([0u8; 32], [1u8; 32]);
    for i in 0..n {
        a.write_all(&msg).unwrap();
        b.read_exact(&mut buf).unwrap();
        b.write_all(&buf).unwrap();
        a.read_exact(&mut buf).unwrap();
        if i % 64 == 0 {
            a.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
            let _ = a.peek(&mut buf); // times out: recv blocks in the kernel
            std::thread::sleep(Duration::from_nanos(1));
        }
    }
}
