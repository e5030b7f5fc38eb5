//! Timeouts, with std's error kinds: a read or write timeout is
//! `WouldBlock` (Linux), `connect_timeout` and `accept_timeout` are
//! `TimedOut`. A stream keeps working after a timeout: the timed-out
//! waiter never swallows a later edge, and the data that raced the timer is
//! still there. A timer left from a wait that ended by IO never fires into
//! a later wait.
//!
//! No assertion is on elapsed time except that a sleep never ends early.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fiberio::net::{TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};
use util::{GUARD, kind};

fn rt() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

/// A connected pair of fiberio streams (call on a fiber or a thread).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (s, _) = listener.accept().unwrap();
    (c, s)
}

#[test]
fn std_reports_a_read_timeout_as_would_block() {
    // The reference the fiberio tests below hold to.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    assert_eq!(kind((&c).read(&mut [0u8; 8])), Err(ErrorKind::WouldBlock));
}

#[test]
fn a_read_timeout_is_would_block_and_the_next_read_gets_the_data() {
    rt().block_on(|| {
        let (mut c, mut s) = pair();
        assert_eq!(c.read_timeout().unwrap(), None);
        c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(5)));
        assert_eq!(kind(c.set_read_timeout(Some(Duration::ZERO))), Err(ErrorKind::InvalidInput));
        for round in 0..50u8 {
            assert_eq!(kind(c.read(&mut [0u8; 8])), Err(ErrorKind::WouldBlock), "round {round}");
            s.write_all(&[round]).unwrap();
            c.set_read_timeout(Some(GUARD)).unwrap();
            let mut got = [0u8; 8];
            assert_eq!(kind(c.read(&mut got)), Ok(1), "round {round}: the data after a timeout");
            assert_eq!(got[0], round);
            c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        }
    });
}

#[test]
fn a_timed_out_waiter_does_not_swallow_the_edge_meant_for_the_next() {
    // Fiber A times out on the stream while fiber B waits on it longer; A's
    // waiter stays ahead of B's in the stream's FIFO. The data that comes
    // next must wake B, not vanish into A's finished wait.
    let rt = rt();
    for round in 0..20 {
        let got = rt.block_on(|| {
            let (c, mut s) = pair();
            let c = Arc::new(c);
            c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            let a_stream = c.clone();
            let a = fiberio::spawn(move || kind((&*a_stream).read(&mut [0u8; 8])));
            fiberio::yield_now(); // A starts here, now, and parks with its 20 ms deadline
            c.set_read_timeout(Some(GUARD)).unwrap(); // B's wait will have this one
            let b_stream = c.clone();
            let b = fiberio::spawn(move || {
                let mut buf = [0u8; 8];
                kind((&*b_stream).read(&mut buf)).map(|n| buf[..n].to_vec())
            });
            let a = a.join().unwrap();
            s.write_all(b"for b").unwrap();
            (a, b.join().unwrap())
        });
        assert_eq!(got, (Err(ErrorKind::WouldBlock), Ok(b"for b".to_vec())), "round {round}");
    }
}

#[test]
fn data_racing_the_read_timeout_is_never_lost() {
    // The peer writes one byte per round, around the moment the reader's
    // 1-3 ms timeout fires. Whoever wins, the byte is read exactly once, in
    // order: by the read that raced, or else by the next one.
    const ROUNDS: u32 = 300;
    let rt = rt();
    let (timeouts, got) = rt.block_on(|| {
        let (mut c, s) = pair();
        let writer = fiberio::spawn(move || {
            let mut s = s;
            let mut rng = util::Rng::new(7);
            s.set_read_timeout(Some(GUARD)).unwrap();
            for i in 0..ROUNDS {
                fiberio::sleep(Duration::from_micros(rng.range(0, 4_000)));
                s.write_all(&[i as u8]).unwrap();
                s.read_exact(&mut [0u8; 1]).unwrap(); // the reader's ack
            }
        });
        let mut timeouts = 0;
        let mut got = Vec::new();
        let mut rng = util::Rng::new(11);
        for _ in 0..ROUNDS {
            c.set_read_timeout(Some(Duration::from_micros(rng.range(1_000, 3_000)))).unwrap();
            let mut byte = [0u8; 1];
            match kind(c.read(&mut byte)) {
                Ok(1) => {}
                Err(ErrorKind::WouldBlock) => {
                    timeouts += 1;
                    c.set_read_timeout(Some(GUARD)).unwrap();
                    assert_eq!(kind(c.read(&mut byte)), Ok(1), "the byte after a timeout");
                }
                other => panic!("read: {other:?}"),
            }
            got.push(byte[0]);
            c.write_all(b"k").unwrap();
        }
        writer.join().unwrap();
        (timeouts, got)
    });
    let expected: Vec<u8> = (0..ROUNDS).map(|i| i as u8).collect();
    assert_eq!(got, expected);
    println!("{timeouts} of {ROUNDS} reads timed out first");
}

#[test]
fn a_write_timeout_is_would_block_and_the_stream_still_works() {
    rt().block_on(|| {
        let (mut c, s) = pair();
        c.set_write_timeout(Some(Duration::from_millis(50))).unwrap();
        assert_eq!(c.write_timeout().unwrap(), Some(Duration::from_millis(50)));
        // The peer never reads: fill both socket buffers.
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let mut written = 0usize;
        let mut outcome = Ok(0);
        for _ in 0..10_000 {
            outcome = kind(c.write(&chunk[written % chunk.len()..]));
            match outcome {
                Ok(n) => written += n,
                Err(_) => break,
            }
        }
        assert_eq!(outcome, Err(ErrorKind::WouldBlock), "after {written} bytes");
        // Now the peer reads everything, and the writer goes on.
        let reader = fiberio::spawn(move || {
            let mut s = s;
            s.set_read_timeout(Some(GUARD)).unwrap();
            let mut all = vec![0u8; written + 4];
            kind(s.read_exact(&mut all)).map(|()| all)
        });
        c.set_write_timeout(Some(GUARD)).unwrap();
        c.write_all(b"tail").unwrap();
        let all = reader.join().unwrap().expect("the peer reads it all");
        let expected = (0..written).map(|i| ((i % chunk.len()) % 251) as u8);
        assert!(all[..written].iter().copied().eq(expected), "the bytes written before the timeout");
        assert_eq!(&all[written..], b"tail");
    });
}

/// A listener whose accept queue is full and stays full: backlog 0 holds
/// one connection, never accepted; further SYNs are dropped, so a connect
/// can only time out. Returns it, the queued connection, and its address;
/// checks with std that a connect there does time out.
fn full_listener() -> (Socket, std::net::TcpStream, SocketAddr) {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => queued.push(c),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::TimedOut, "std's connect to a full queue");
                assert_eq!(queued.len(), 1, "backlog 0 queues one connection");
                return (listener, queued.pop().unwrap(), addr);
            }
        }
    }
    panic!("the accept queue never filled ({} connections queued)", queued.len());
}

#[test]
fn connect_timeout_to_a_full_accept_queue_is_timed_out() {
    let (_listener, _queued, full) = full_listener();
    rt().block_on(|| {
        for _ in 0..3 {
            let r = TcpStream::connect_timeout(&full, Duration::from_millis(100));
            assert_eq!(kind(r.map(|_| ())), Err(ErrorKind::TimedOut));
        }
        // std's rule for a zero timeout.
        let r = TcpStream::connect_timeout(&full, Duration::ZERO);
        assert_eq!(kind(r.map(|_| ())), Err(ErrorKind::InvalidInput));
        // And to a listener that accepts, it connects and works.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect_timeout(&listener.local_addr().unwrap(), GUARD).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        c.write_all(b"ok").unwrap();
        let mut got = [0u8; 2];
        s.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ok");
    });
}

#[test]
fn accept_timeout_is_timed_out_and_the_listener_still_accepts() {
    rt().block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..20 {
            let r = listener.accept_timeout(Duration::from_millis(2));
            assert_eq!(kind(r.map(|_| ())), Err(ErrorKind::TimedOut));
        }
        let client = fiberio::spawn(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(b"hi").unwrap();
        });
        let (mut s, peer) = listener.accept_timeout(GUARD).unwrap();
        s.set_read_timeout(Some(GUARD)).unwrap();
        let mut got = [0u8; 2];
        s.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hi");
        assert_eq!(peer, s.peer_addr().unwrap());
        client.join().unwrap();
    });
}

#[test]
fn timers_of_reads_that_completed_never_fire_into_later_waits() {
    // 1,000 reads with a 200 ms timeout each complete by data within
    // microseconds, leaving their timers behind them (cancelled, or stale).
    // Then, long past all those deadlines, waits without a deadline of
    // their own: a read that the peer answers only after 300 ms, and a
    // 300 ms sleep. A stale timer firing into them would end them early.
    let rt = rt();
    rt.block_on(|| {
        let (mut c, s) = pair();
        let peer = fiberio::spawn(move || {
            let mut s = s;
            s.set_read_timeout(Some(GUARD)).unwrap();
            let mut byte = [0u8; 1];
            for _ in 0..1_000 {
                s.read_exact(&mut byte).unwrap();
                s.write_all(&byte).unwrap();
            }
            s.read_exact(&mut byte).unwrap();
            fiberio::sleep(Duration::from_millis(300));
            s.write_all(b"late").unwrap();
        });
        c.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        for i in 0..1_000u32 {
            c.write_all(&[i as u8]).unwrap();
            let mut back = [0u8; 1];
            assert_eq!(kind(c.read(&mut back)), Ok(1), "ping {i}");
            assert_eq!(back[0], i as u8);
        }
        c.set_read_timeout(None).unwrap();
        c.write_all(b"?").unwrap();
        let mut late = [0u8; 4];
        assert_eq!(kind(c.read_exact(&mut late)), Ok(()), "a read without a timeout is not timed out");
        assert_eq!(&late, b"late");
        let start = Instant::now();
        fiberio::sleep(Duration::from_millis(300));
        let slept = start.elapsed();
        assert!(slept >= Duration::from_millis(300), "the sleep ended early: {slept:?}");
        peer.join().unwrap();
    });
}
