//! One stream shared (`Arc<TcpStream>`, `Read`/`Write` for `&TcpStream`)
//! by a reader fiber and a writer fiber on different workers, both parked
//! on the same fd at once, each direction waking its own fiber: megabytes
//! go both ways at the same time between it and a std peer, byte for byte.

mod util;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::thread;

use fiberio::net::TcpStream;
use util::GUARD;

/// Bytes each way: many times the socket buffers, so both fibers park often.
const LEN: usize = 8 * 1024 * 1024;

/// A reproducible byte stream: `seed` names it.
struct Pattern(util::Rng);

impl Pattern {
    fn new(seed: u64) -> Self {
        Self(util::Rng::new(seed))
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.0.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// Writes `LEN` bytes of pattern `seed` in chunks of random sizes (each a
/// multiple of 8, so the pattern cuts the same way on both ends).
fn send(mut w: impl Write, seed: u64) {
    let mut pattern = Pattern::new(seed);
    let mut sizes = util::Rng::new(seed ^ 0xabc);
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = LEN;
    while left > 0 {
        let n = (sizes.range(1, 256 * 1024 / 8 + 1) as usize * 8).min(left);
        pattern.fill(&mut buf[..n]);
        w.write_all(&buf[..n]).unwrap();
        left -= n;
    }
}

/// Reads `LEN` bytes and checks them against pattern `seed`; returns the
/// offset of the first wrong byte, if any, and whether EOF followed.
fn receive(mut r: impl Read, seed: u64) -> (Option<usize>, bool) {
    let mut pattern = Pattern::new(seed);
    let mut got = vec![0u8; 64 * 1024];
    let mut want = vec![0u8; 64 * 1024];
    let mut offset = 0;
    while offset < LEN {
        let n = (LEN - offset).min(got.len());
        r.read_exact(&mut got[..n]).unwrap();
        pattern.fill(&mut want[..n]);
        if let Some(i) = got[..n].iter().zip(&want[..n]).position(|(a, b)| a != b) {
            return (Some(offset + i), false);
        }
        offset += n;
    }
    (None, r.read(&mut [0u8; 1]).unwrap() == 0)
}

fn exchange(rt: &fiberio::Runtime, reader_worker: usize, round: u64) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = Arc::new(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
    stream.set_read_timeout(Some(GUARD)).unwrap();
    stream.set_write_timeout(Some(GUARD)).unwrap();
    let (peer, _) = listener.accept().unwrap();
    let (up, down) = (2 * round + 1, 2 * round + 2);

    // The std peer: one thread sends, one receives, at the same time.
    let peer_in = peer.try_clone().unwrap();
    let peer_sender = thread::spawn(move || {
        send(&peer, down);
        peer.shutdown(Shutdown::Write).unwrap();
    });
    let peer_receiver = thread::spawn(move || receive(&peer_in, up));

    let s = stream.clone();
    let reader = util::spawn_on(rt, reader_worker, move || {
        let before = util::worker_name();
        let result = receive(&*s, down);
        (before, util::worker_name(), result)
    });
    let s = stream.clone();
    let writer = util::spawn_on(rt, 1 - reader_worker, move || {
        let before = util::worker_name();
        send(&*s, up);
        s.shutdown(Shutdown::Write).unwrap();
        (before, util::worker_name())
    });

    let (r_before, r_after, (r_bad, r_eof)) = reader.join().unwrap();
    let (w_before, w_after) = writer.join().unwrap();
    peer_sender.join().unwrap();
    let (p_bad, p_eof) = peer_receiver.join().unwrap();

    assert_eq!(r_before, r_after, "the reader stayed on its worker");
    assert_eq!(w_before, w_after, "the writer stayed on its worker");
    assert!(r_before.ends_with(&format!("-{reader_worker}")), "reader on {r_before}");
    assert_ne!(r_before, w_before, "reader and writer run on different workers");
    assert_eq!(r_bad, None, "round {round}: first wrong byte the fiber read");
    assert!(r_eof, "round {round}: the fiber reads EOF after the data");
    assert_eq!(p_bad, None, "round {round}: first wrong byte the peer read");
    assert!(p_eof, "round {round}: the peer reads EOF after the data");
}

#[test]
fn a_reader_and_a_writer_on_different_workers_share_one_stream() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    for round in 0..2 {
        // Swap sides each round: the fd is registered with whichever fiber
        // parks first, so the other is woken from the other worker.
        exchange(&rt, round % 2, round as u64);
    }
}
