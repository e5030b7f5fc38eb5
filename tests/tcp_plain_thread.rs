//! Every operation of the net types used from plain OS threads, without a
//! fiber (DESIGN.md decision 11): they block the calling thread like std's
//! — `accept` and `read` wait instead of returning `WouldBlock` — honour
//! the timeouts with std's error kinds, and return std's errors.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};
use util::{GUARD, kind};

/// How long a call seen blocked is given to return wrongly before the
/// test checks that it has not: a negative check, which a slow machine can
/// only make miss a bug, never fail.
const CHANCE: Duration = Duration::from_millis(20);

#[test]
fn accept_and_read_block_the_thread_until_something_comes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let (accepted, read) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (a, r) = (accepted.clone(), read.clone());
    let server = thread::spawn(move || {
        tid_tx.send(util::tid()).unwrap();
        let (mut s, peer) = listener.accept().unwrap(); // blocks: nobody connected yet
        a.store(true, SeqCst);
        assert_eq!(peer, s.peer_addr().unwrap());
        let mut buf = [0u8; 5];
        let n = s.read(&mut buf).unwrap(); // blocks: nothing sent yet
        r.store(true, SeqCst);
        (n, buf)
    });
    let tid = tid_rx.recv().unwrap();
    // Nobody connects yet: the thread sleeps in the kernel, in accept.
    util::wait_until(GUARD, "the server thread blocks in accept", || util::blocked_in_syscall(tid));
    thread::sleep(CHANCE);
    assert!(!accepted.load(SeqCst) && !server.is_finished(), "accept returned with nobody connecting");
    let mut c = TcpStream::connect(addr).unwrap();
    // The connection ends the accept; nothing is sent yet: read blocks.
    util::wait_until(GUARD, "the server thread accepts, then blocks in read", || {
        accepted.load(SeqCst) && util::blocked_in_syscall(tid)
    });
    thread::sleep(CHANCE);
    assert!(!read.load(SeqCst) && !server.is_finished(), "read returned with nothing sent");
    c.write_all(b"hello").unwrap();
    let (n, buf) = server.join().unwrap();
    assert!(read.load(SeqCst), "the read returned once the data came");
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
    let (tid_tx, tid_rx) = mpsc::channel();
    let writer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_write_timeout(Some(GUARD)).unwrap();
        tid_tx.send(util::tid()).unwrap();
        s.write_all(&d).unwrap(); // far past the buffers: blocks, partially
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    let tid = tid_rx.recv().unwrap();
    util::wait_until(GUARD, "the writer fills the buffers and blocks", || util::blocked_in_syscall(tid));
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
    let read3 = |mut s: &TcpStream| {
        let mut got = [0u8; 3];
        s.read_exact(&mut got).map(|()| got).map_err(|e| e.kind())
    };
    let (first, second, third) = thread::scope(|scope| {
        // The peer sends each message once the reader blocks waiting for it.
        let rt = &rt;
        let sender = scope.spawn(move || {
            for msg in [b"one", b"two", b"sea"] {
                match rx.recv().unwrap() {
                    Reader::Fiber { parks_before } => {
                        util::wait_until(GUARD, "the fiber parks in read", || {
                            rt.metrics()[0].parks > parks_before
                        })
                    }
                    Reader::Thread(tid) => {
                        util::wait_until(GUARD, "the thread blocks in read", || util::blocked_in_syscall(tid))
                    }
                }
                peer.write_all(msg).unwrap();
            }
            peer
        });
        tx.send(Reader::Fiber { parks_before: rt.metrics()[0].parks }).unwrap();
        let (c, first) = rt.block_on(|| {
            let got = read3(&c);
            (c, got)
        });
        let thread_tx = tx.clone();
        let (c, second) = thread::spawn(move || {
            thread_tx.send(Reader::Thread(util::tid())).unwrap();
            let got = read3(&c);
            (c, got)
        })
        .join()
        .unwrap();
        tx.send(Reader::Fiber { parks_before: rt.metrics()[0].parks }).unwrap();
        let third = rt.block_on(|| read3(&c));
        drop(sender.join().unwrap());
        (first, second, third)
    });
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
        let reading = Arc::new(AtomicBool::new(false));
        let r = reading.clone();
        let sender = fiberio::spawn(move || {
            // One worker: this fiber runs once the reader below has parked.
            assert!(r.load(SeqCst), "the sender ran before the reader parked");
            peer.write_all(b"next").unwrap();
        });
        reading.store(true, SeqCst);
        let mut buf = [0u8; 4];
        let got = kind((&c).read_exact(&mut buf)).map(|()| buf);
        sender.join().unwrap();
        got
    });
    assert_eq!(got, Ok(*b"next"));
}

/// Who reads next in `a_stream_moves_between_fibers_and_plain_threads`:
/// what the peer watches to see that the read blocks.
enum Reader {
    /// The fiber on the runtime's one worker: its parks counter rises.
    Fiber { parks_before: u64 },
    /// A plain thread (its kernel id): it sleeps in the kernel.
    Thread(libc::pid_t),
}
