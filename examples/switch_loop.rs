//! A fixed amount of switching work, for counting instructions with
//! callgrind (`benches/callgrind.sh` runs it at two sizes and takes the
//! difference, so start-up cost cancels out; `benches/compare.sh` does the
//! same for two revisions side by side).
//!
//! `cargo run --release --example switch_loop -- <mode> <n>` where mode is
//! `yield2` (n yield_now round trips between two fibers), `yield1` (n
//! yields of a lone fiber), `raw` (n corosensei resume+suspend pairs),
//! `spawn` (n spawn+join of an empty fiber), `echo` (n request/reply round
//! trips over one loopback TCP connection) or `echoK`, e.g. `echo8` (n
//! round trips in all over K connections, K client fibers each with one
//! request in flight).
//!
//! The echo modes use only the public API: a listener on 127.0.0.1:0, an
//! acceptor fiber spawning one server fiber per connection, and K client
//! fibers, all on the same worker (1 worker unless `SWITCH_WORKERS` says
//! otherwise). A client writes a 32-byte request and reads the 32-byte
//! reply; the server reads exactly 32 bytes and writes 32 back. With one
//! connection every read finds nothing and parks, so each request goes
//! through park, epoll and wake with the worker otherwise idle; with
//! several, the worker finds several ready at each poll. Connection set-up
//! is the same at every n, so it cancels out of callgrind.sh's difference.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use fiberio::net::{TcpListener, TcpStream};

/// Request and reply size, as netbench's protocol.
const MSG: usize = 32;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("yield2");
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if mode == "raw" {
        let mut co = corosensei::Coroutine::new(|y, ()| {
            loop {
                y.suspend(());
            }
        });
        for _ in 0..n {
            std::hint::black_box(co.resume(()));
        }
        return;
    }
    let workers = std::env::var("SWITCH_WORKERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let rt = fiberio::Runtime::builder().workers(workers).build().unwrap();
    rt.block_on(|| match mode {
        "yield1" => (0..n).for_each(|_| fiberio::yield_now()),
        "yield2" => {
            let stop = Arc::new(AtomicBool::new(false));
            let s = stop.clone();
            let partner = fiberio::spawn(move || {
                while !s.load(Relaxed) {
                    fiberio::yield_now();
                }
            });
            (0..n).for_each(|_| fiberio::yield_now());
            stop.store(true, Relaxed);
            partner.join().unwrap();
        }
        "spawn" => (0..n).for_each(|_| fiberio::spawn(|| ()).join().unwrap()),
        other => match echo_conns(other) {
            Some(conns) => echo_round_trips(conns, n),
            None => {
                panic!("unknown mode {other}; use yield1, yield2, raw, spawn, echo or echoK (K connections)")
            }
        },
    });
}

/// `echo` -> 1, `echo8` -> 8; `None` if `mode` is not an echo mode.
fn echo_conns(mode: &str) -> Option<usize> {
    match mode.strip_prefix("echo")? {
        "" => Some(1),
        k => k.parse().ok().filter(|&k| k > 0),
    }
}

/// `n` round trips in all over `conns` loopback connections.
fn echo_round_trips(conns: usize, n: u64) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    let acceptor = fiberio::spawn(move || {
        (0..conns)
            .map(|_| {
                let (s, _) = listener.accept().expect("accept");
                fiberio::spawn(move || echo_server(s))
            })
            .collect::<Vec<_>>()
    });
    let per = n / conns as u64;
    let extra = n % conns as u64;
    let clients: Vec<_> = (0..conns as u64)
        .map(|i| {
            let trips = per + u64::from(i < extra);
            fiberio::spawn(move || echo_client(addr, i, trips))
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    for s in acceptor.join().unwrap() {
        s.join().unwrap();
    }
}

/// Sends `trips` requests one at a time and checks each reply.
fn echo_client(addr: SocketAddr, conn: u64, trips: u64) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).unwrap();
    let mut req = [0u8; MSG];
    let mut reply = [0u8; MSG];
    req[..8].copy_from_slice(&conn.to_le_bytes());
    for seq in 0..trips {
        req[8..16].copy_from_slice(&seq.to_le_bytes());
        s.write_all(&req).expect("write request");
        s.read_exact(&mut reply).expect("read reply");
        assert_eq!(reply, req, "reply echoes the request");
    }
    // Dropping `s` closes the connection: the server fiber sees EOF.
}

/// Echoes 32-byte messages until the client closes.
fn echo_server(mut s: TcpStream) {
    s.set_nodelay(true).unwrap();
    let mut buf = [0u8; MSG];
    while s.read_exact(&mut buf).is_ok() {
        s.write_all(&buf).expect("write reply");
    }
}
