//! Every operation of the net types used from plain OS threads, without a
//! fiber (DESIGN.md decision 11): they block the calling thread like std's
//! — `accept` and `read` wait instead of returning `WouldBlock` — honour
//! the timeouts with std's error kinds, and return std's errors.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};

/// Bounds every wait that a lost wakeup would make endless.
const GUARD: Duration = Duration::from_secs(5);
/// How long a thread waits before it acts, so that the other is likely
/// blocked by then; the outcome is the same either way, only the path
/// through the code differs.
const LATER: Duration = Duration::from_millis(50);

fn kind<T>(r: std::io::Result<T>) -> Result<T, ErrorKind> {
    r.map_err(|e| e.kind())
}

#[test]
fn accept_and_read_block_the_thread_until_something_comes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, peer) = listener.accept().unwrap(); // blocks: nobody connected yet
        assert_eq!(peer, s.peer_addr().unwrap());
        let mut buf = [0u8; 5];
        let n = s.read(&mut buf).unwrap(); // blocks: nothing sent yet
        (n, buf)
    });
    thread::sleep(LATER);
    let mut c = TcpStream::connect(addr).unwrap();
    thread::sleep(LATER);
    c.write_all(b"hello").unwrap();
    let (n, buf) = server.join().unwrap();
    assert_eq!(&buf[..n], &b"hello"[..n]);
    assert!(n > 0);
}

#[test]
fn peek_write_shutdown_and_eof_behave_like_std() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(GUARD)).unwrap();
        let mut peeked = [0u8; 5];
        let mut n = 0;
        while n < 5 {
            n = s.peek(&mut peeked).unwrap(); // blocks until data; leaves it queued
        }
        let mut read = [0u8; 5];
        s.read_exact(&mut read).unwrap();
        let eof = kind(s.read(&mut [0u8; 8]));
        s.write_all(b"bye").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let write_after = kind(s.write(b"x"));
        (peeked, read, eof, write_after)
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    assert_eq!(c.peer_addr().unwrap(), addr);
    c.set_nodelay(true).unwrap();
    assert!(c.nodelay().unwrap());
    c.write_all(b"hello").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"bye");
    let (peeked, read, eof, write_after) = server.join().unwrap();
    assert_eq!(&peeked, b"hello");
    assert_eq!(&read, b"hello", "peek left the data queued");
    assert_eq!(eof, Ok(0));
    assert_eq!(write_after, Err(ErrorKind::BrokenPipe));
}

#[test]
fn a_large_transfer_with_partial_writes_arrives_intact() {
    const LEN: usize = 16 * 1024 * 1024;
    let data: Arc<Vec<u8>> = Arc::new((0..LEN).map(|i| (i * 7 % 253) as u8).collect());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let d = data.clone();
    let writer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_write_timeout(Some(GUARD)).unwrap();
        s.write_all(&d).unwrap(); // far past the buffers: blocks, partially
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    thread::sleep(LATER); // let the writer fill the buffers
    let mut got = Vec::with_capacity(LEN);
    c.read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert!(got == *data, "{} bytes arrived, content equal: {}", got.len(), got.len() == LEN);
}

#[test]
fn incoming_yields_each_connection() {
    const CLIENTS: usize = 20;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut ids = Vec::new();
        for s in listener.incoming().take(CLIENTS) {
            let mut s = s.unwrap();
            let mut id = [0u8; 1];
            s.read_exact(&mut id).unwrap();
            s.write_all(&id).unwrap();
            ids.push(id[0]);
        }
        ids.sort();
        ids
    });
    let clients: Vec<_> = (0..CLIENTS as u8)
        .map(|id| {
            thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(GUARD)).unwrap();
                c.write_all(&[id]).unwrap();
                let mut back = [0u8; 1];
                c.read_exact(&mut back).unwrap();
                back[0]
            })
        })
        .collect();
    for (id, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), id as u8);
    }
    assert_eq!(server.join().unwrap(), (0..CLIENTS as u8).collect::<Vec<_>>());
}

#[test]
fn timeouts_have_std_kinds_and_the_socket_works_afterwards() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();

    // accept_timeout with nobody connecting.
    assert_eq!(
        kind(listener.accept_timeout(Duration::from_millis(10)).map(|_| ())),
        Err(ErrorKind::TimedOut)
    );

    let mut c = TcpStream::connect_timeout(&addr, GUARD).unwrap();
    let (mut s, _) = listener.accept_timeout(GUARD).unwrap();

    // Read timeout: std's kind on Linux.
    assert_eq!(kind(c.set_read_timeout(Some(Duration::ZERO))), Err(ErrorKind::InvalidInput));
    c.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(10)));
    assert_eq!(kind(c.read(&mut [0u8; 8])), Err(ErrorKind::WouldBlock));
    assert_eq!(kind(c.peek(&mut [0u8; 8])), Err(ErrorKind::WouldBlock));
    s.write_all(b"data").unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    let mut got = [0u8; 4];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"data");

    // Write timeout: the peer never reads, the buffers fill.
    c.set_write_timeout(Some(Duration::from_millis(20))).unwrap();
    assert_eq!(c.write_timeout().unwrap(), Some(Duration::from_millis(20)));
    let chunk = vec![1u8; 64 * 1024];
    let mut written = 0;
    let outcome = loop {
        match c.write(&chunk) {
            Ok(n) => written += n,
            Err(e) => break e.kind(),
        }
        assert!(written < 1 << 30, "a gigabyte went into buffers that no one reads");
    };
    assert_eq!(outcome, ErrorKind::WouldBlock);
    // The peer drains it all; the writer goes on.
    let drain = thread::spawn(move || {
        s.set_read_timeout(Some(GUARD)).unwrap();
        let mut all = vec![0u8; written + 4];
        s.read_exact(&mut all).unwrap();
        all[written..].to_vec()
    });
    c.set_write_timeout(None).unwrap();
    c.write_all(b"tail").unwrap();
    assert_eq!(drain.join().unwrap(), b"tail");
}

#[test]
fn connect_errors_are_std_errors() {
    // A port with no listener: refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    assert_eq!(kind(TcpStream::connect(port).map(|_| ())), Err(ErrorKind::ConnectionRefused));
    assert_eq!(kind(TcpStream::connect_timeout(&port, GUARD).map(|_| ())), Err(ErrorKind::ConnectionRefused));
    assert_eq!(
        kind(TcpStream::connect_timeout(&port, Duration::ZERO).map(|_| ())),
        Err(ErrorKind::InvalidInput)
    );

    // A full accept queue (backlog 0, one connection never accepted): SYNs
    // are dropped, so only the timeout ends the connect. std agrees.
    let full = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    full.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
    full.listen(0).unwrap();
    let addr = full.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    let std_outcome = loop {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => queued.push(c),
            Err(e) => break e.kind(),
        }
        assert!(queued.len() < 16, "the accept queue never filled");
    };
    assert_eq!(std_outcome, ErrorKind::TimedOut);
    let r = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
    assert_eq!(kind(r.map(|_| ())), Err(ErrorKind::TimedOut));
}

#[test]
fn try_clone_shares_the_connection_and_copies_the_timeouts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_millis(40))).unwrap();
    let clone = s.try_clone().unwrap();
    assert_eq!(clone.read_timeout().unwrap(), Some(Duration::from_millis(30)));
    assert_eq!(clone.write_timeout().unwrap(), Some(Duration::from_millis(40)));
    assert_eq!(clone.peer_addr().unwrap(), s.peer_addr().unwrap());
    // The clone's timeout applies on its own thread.
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut clone = clone;
        tx.send(kind(clone.read(&mut [0u8; 8]))).unwrap();
        clone.set_read_timeout(Some(GUARD)).unwrap();
        let mut got = [0u8; 4];
        clone.read_exact(&mut got).unwrap();
        got
    });
    assert_eq!(rx.recv().unwrap(), Err(ErrorKind::WouldBlock));
    // The original writes; the clone reads what the peer sends.
    (&s).write_all(b"ping").unwrap();
    let mut ping = [0u8; 4];
    c.read_exact(&mut ping).unwrap();
    assert_eq!(&ping, b"ping");
    c.write_all(b"pong").unwrap();
    assert_eq!(&reader.join().unwrap(), b"pong");
}

#[test]
fn set_nonblocking_makes_operations_return_would_block() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    assert_eq!(kind(listener.accept().map(|_| ())), Err(ErrorKind::WouldBlock));
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    listener.set_nonblocking(false).unwrap();
    let (mut s, _) = listener.accept().unwrap();
    s.set_nonblocking(true).unwrap();
    assert_eq!(kind(s.read(&mut [0u8; 8])), Err(ErrorKind::WouldBlock));
    (&c).write_all(b"x").unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(GUARD)).unwrap();
    assert_eq!(kind(s.read(&mut [0u8; 8])), Ok(1));
}

#[test]
fn a_stream_moves_between_fibers_and_plain_threads() {
    // A gradual port: a fiber waits on a stream (registering it with its
    // worker's epoll); then a plain thread blocks on it; then a fiber again.
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let (tx, rx) = mpsc::channel();
    let sender = thread::spawn(move || {
        for msg in [b"one", b"two", b"sea"] {
            rx.recv().unwrap();
            thread::sleep(LATER);
            peer.write_all(msg).unwrap();
        }
        peer
    });
    let read3 = |mut s: &TcpStream| {
        let mut got = [0u8; 3];
        s.read_exact(&mut got).map(|()| got).map_err(|e| e.kind())
    };
    tx.send(()).unwrap();
    let (c, first) = rt.block_on(|| {
        let got = read3(&c);
        (c, got)
    });
    tx.send(()).unwrap();
    let (c, second) = thread::spawn(move || {
        let got = read3(&c);
        (c, got)
    })
    .join()
    .unwrap();
    tx.send(()).unwrap();
    let third = rt.block_on(|| read3(&c));
    drop(sender.join().unwrap());
    assert_eq!((first, second, third), (Ok(*b"one"), Ok(*b"two"), Ok(*b"sea")));
}

#[test]
fn a_stream_outlives_its_runtime_and_parks_in_the_next_one() {
    // Registered with a worker of the first runtime, which then shuts
    // down: a fiber of a second runtime must be able to wait on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let first = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (c, timed_out) = first.block_on(move || {
        c.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        let r = kind((&c).read(&mut [0u8; 4]));
        c.set_read_timeout(Some(GUARD)).unwrap();
        (c, r)
    });
    assert_eq!(timed_out, Err(ErrorKind::WouldBlock));
    first.shutdown();
    let second = fiberio::Runtime::builder().workers(1).build().unwrap();
    let got = second.block_on(move || {
        let sender = fiberio::spawn(move || {
            fiberio::sleep(LATER);
            peer.write_all(b"next").unwrap();
        });
        let mut buf = [0u8; 4];
        let got = kind((&c).read_exact(&mut buf)).map(|()| buf);
        sender.join().unwrap();
        got
    });
    assert_eq!(got, Ok(*b"next"));
}
