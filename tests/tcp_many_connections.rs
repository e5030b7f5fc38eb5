//! 5,000 concurrent connections exchange checksummed payloads of random
//! sizes through an echo server: nothing lost, nothing reordered.

mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use fiberio::net::{TcpListener, TcpStream};
use util::Rng;

const CONNECTIONS: u64 = 5_000;
const MESSAGES: u64 = 3;

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Echoes frames: a u32 length, then that many bytes.
fn echo(mut s: TcpStream) {
    let mut len = [0u8; 4];
    loop {
        match s.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return,
            Err(e) => panic!("server read: {e:?}"),
        }
        let mut buf = vec![0; u32::from_le_bytes(len) as usize];
        s.read_exact(&mut buf).unwrap();
        s.write_all(&len).unwrap();
        s.write_all(&buf).unwrap();
    }
}

#[test]
fn five_thousand_connections_echo_checksummed_payloads() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let verified = Arc::new(AtomicUsize::new(0));
    let v = verified.clone();
    rt.block_on(move || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = fiberio::spawn(move || {
            for _ in 0..CONNECTIONS {
                let (s, _) = listener.accept().unwrap();
                fiberio::spawn(move || echo(s));
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                let v = v.clone();
                fiberio::spawn(move || {
                    let mut rng = Rng::new(i + 1);
                    let mut s = TcpStream::connect(addr).unwrap();
                    for m in 0..MESSAGES {
                        // Mostly small; every 100th connection sends up to
                        // 256 KiB, past the socket buffers (partial writes).
                        let max = if i % 100 == 0 { 256 * 1024 } else { 16 * 1024 };
                        let len = rng.range(1, max) as usize;
                        let payload: Vec<u8> = (0..len).map(|k| (k as u64 ^ i ^ m) as u8).collect();
                        s.write_all(&(len as u32).to_le_bytes()).unwrap();
                        s.write_all(&payload).unwrap();
                        let mut head = [0u8; 4];
                        s.read_exact(&mut head).unwrap();
                        assert_eq!(u32::from_le_bytes(head) as usize, len);
                        let mut back = vec![0; len];
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(fnv(&back), fnv(&payload), "connection {i} message {m}");
                        v.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        server.join().unwrap();
    });
    assert_eq!(verified.load(SeqCst) as u64, CONNECTIONS * MESSAGES);
    let m = rt.metrics();
    assert!(m.iter().all(|w| w.finished > 0), "both workers served: {m:?}");
}
