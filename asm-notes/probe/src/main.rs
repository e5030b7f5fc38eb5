//! The program the asm-notes measure and disassemble (see ../README.md).
//!
//! `asm-probe pingpong <pairs> <rounds>`: one worker, `pairs` loopback TCP
//! connections; on each, a server fiber loops `read_exact(32)` +
//! `write_all(32)` and a client fiber `write_all(32)` + `read_exact(32)`,
//! `rounds` times. Each round trip parks both fibers once on `EAGAIN`
//! (the read that follows a full 32-byte read finds the token still ready,
//! makes the syscall, gets `EAGAIN`, clears the token and parks), so a run
//! does `2 * pairs * rounds` parks; with many pairs, the worker usually
//! finds the next fiber in its run queue, as SimpleServer under load does.
//!
//! `asm-probe backtrace`: prints a backtrace taken inside a fiber, to show
//! the unwinder walking from the fiber's stack onto the worker's.
//!
//! `asm-probe overflow`: a named fiber that recurses until it hits its
//! guard page, to show fiberio's overflow report.
//!
//! `asm-probe bigframe`: calls a function with a 64 KiB frame on a fiber
//! (its stack probes are what `objdump` shows in the notes).

use std::hint::black_box;
use std::io::{Read, Write};

use fiberio::net::{TcpListener, TcpStream};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("pingpong");
    let arg = |i: usize, default: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    match mode {
        "pingpong" => {
            let (pairs, rounds) = (arg(2, 64), arg(3, 1000));
            rt.block_on(|| pingpong(pairs, rounds));
            let m = &rt.metrics()[0];
            eprintln!("{m:?}");
        }
        "backtrace" => rt.block_on(|| {
            fiberio::Builder::new()
                .name("bt".into())
                .spawn(|| println!("{}", std::backtrace::Backtrace::force_capture()))
                .unwrap()
                .join()
                .unwrap()
        }),
        "overflow" => rt.block_on(|| {
            let h = fiberio::Builder::new().name("deep".into()).stack_size(64 * 1024).spawn(|| recurse(0));
            let _ = h.unwrap().join();
        }),
        "bigframe" => rt.block_on(|| println!("{}", big_frame(black_box(7)))),
        other => panic!("unknown mode {other}"),
    }
}

fn pingpong(pairs: u64, rounds: u64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fibers = Vec::new();
    for _ in 0..pairs {
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.set_nodelay(true).unwrap();
        server.set_nodelay(true).unwrap();
        fibers.push(fiberio::spawn(move || serve(server)));
        fibers.push(fiberio::spawn(move || drive(client, rounds)));
    }
    for f in fibers {
        f.join().unwrap();
    }
}

/// SimpleServer's handler: a fixed 32-byte request, a fixed reply.
fn serve(mut s: TcpStream) {
    let mut buf = [0u8; 32];
    while s.read_exact(&mut buf).is_ok() {
        if s.write_all(&buf).is_err() {
            break;
        }
    }
}

fn drive(mut s: TcpStream, rounds: u64) {
    let req = [7u8; 32];
    let mut rep = [0u8; 32];
    for _ in 0..rounds {
        s.write_all(&req).unwrap();
        s.read_exact(&mut rep).unwrap();
    }
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth as u8; 256]);
    if black_box(true) { recurse(depth + 1) + u64::from(frame[7]) } else { 0 }
}

/// A frame larger than a page: the prologue must probe each page.
#[inline(never)]
fn big_frame(x: u8) -> u8 {
    let mut a = [0u8; 64 * 1024];
    a[black_box(100)] = x;
    black_box(&mut a);
    a[black_box(65_000)]
}
