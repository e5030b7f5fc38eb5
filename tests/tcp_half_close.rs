//! Half-close, as std and the kernel define it: after `shutdown(Write)` the
//! peer reads all the data, then end-of-file (0, again and again), and can
//! still write back, which the half-closed side reads. After
//! `shutdown(Read)` a fiber parked in `read` wakes with 0 (Linux still
//! hands over data already queued or arriving later, and so does std).
//! Scenarios run once with std sockets on plain threads and then with
//! fiberio sockets on fibers; the outcomes must match.
//!
//! Every fiberio read has a generous read timeout, so a lost wakeup shows
//! up as a `WouldBlock` in the outcome instead of a hung test.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use util::GUARD;

/// Bigger than the socket buffers, so the writer writes partially and parks.
const REQUEST: usize = 3 * 1024 * 1024;

fn payload(len: usize) -> Vec<u8> {
    let mut rng = util::Rng::new(len as u64);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

fn reply_for(request: &[u8]) -> Vec<u8> {
    let sum: u64 = request.iter().map(|&b| u64::from(b)).sum();
    format!("got {} bytes, sum {sum}", request.len()).into_bytes()
}

type Outcome = Result<usize, ErrorKind>;

/// What the `shutdown(Write)` scenario observed.
#[derive(Debug, PartialEq)]
struct HalfClose {
    /// The server: everything it read before EOF (its length, and whether
    /// it equals the request).
    server_read: Result<(usize, bool), ErrorKind>,
    /// The server: three reads after the first EOF.
    server_reads_after_eof: Vec<Outcome>,
    /// The client: a write after its own `shutdown(Write)`.
    client_write_after_shutdown: Result<usize, ErrorKind>,
    /// The client: what it read back after half-closing.
    client_read: Result<Vec<u8>, ErrorKind>,
}

/// The server half: reads to EOF, reads three more times, replies, closes.
fn serve(mut s: impl Read + Write, expected: &[u8]) -> (Result<(usize, bool), ErrorKind>, Vec<Outcome>) {
    let mut got = Vec::new();
    let read = s.read_to_end(&mut got).map(|n| (n, got == expected)).map_err(|e| e.kind());
    if read.is_err() {
        return (read, Vec::new()); // a lost EOF: more reads would only time out too
    }
    let mut buf = [0u8; 64];
    let after = (0..3).map(|_| s.read(&mut buf).map_err(|e| e.kind())).collect();
    s.write_all(&reply_for(&got)).unwrap();
    (read, after)
}

/// The client half: sends the request, half-closes, tries one more write,
/// reads the reply to EOF.
fn request<S: Read + Write>(
    mut s: S,
    request: &[u8],
    shutdown: impl Fn(&S),
) -> (Result<usize, ErrorKind>, Result<Vec<u8>, ErrorKind>) {
    s.write_all(request).unwrap();
    shutdown(&s);
    let after = s.write(b"late").map_err(|e| e.kind());
    let mut reply = Vec::new();
    let read = s.read_to_end(&mut reply).map(|_| reply).map_err(|e| e.kind());
    (after, read)
}

fn half_close_std() -> HalfClose {
    let req = payload(REQUEST);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let expected = req.clone();
    let server = thread::spawn(move || serve(listener.accept().unwrap().0, &expected));
    let client = std::net::TcpStream::connect(addr).unwrap();
    let (client_write_after_shutdown, client_read) =
        request(client, &req, |s| s.shutdown(Shutdown::Write).unwrap());
    let (server_read, server_reads_after_eof) = server.join().unwrap();
    HalfClose { server_read, server_reads_after_eof, client_write_after_shutdown, client_read }
}

fn half_close_fiberio(rt: &fiberio::Runtime) -> HalfClose {
    rt.block_on(|| {
        let req = payload(REQUEST);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let expected = req.clone();
        let server = fiberio::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(GUARD)).unwrap();
            serve(s, &expected)
        });
        let client = fiberio::spawn(move || {
            let s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(GUARD)).unwrap();
            request(s, &req, |s| s.shutdown(Shutdown::Write).unwrap())
        });
        let (client_write_after_shutdown, client_read) = client.join().unwrap();
        let (server_read, server_reads_after_eof) = server.join().unwrap();
        HalfClose { server_read, server_reads_after_eof, client_write_after_shutdown, client_read }
    })
}

#[test]
fn shutdown_write_gives_the_peer_eof_after_the_data_and_it_can_still_reply() {
    let std_outcome = half_close_std();
    let expected = HalfClose {
        server_read: Ok((REQUEST, true)),
        server_reads_after_eof: vec![Ok(0), Ok(0), Ok(0)],
        client_write_after_shutdown: Err(ErrorKind::BrokenPipe),
        client_read: Ok(reply_for(&payload(REQUEST))),
    };
    assert_eq!(std_outcome, expected, "std's reference outcome");
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    for round in 0..5 {
        assert_eq!(half_close_fiberio(&rt), std_outcome, "round {round}");
    }
}

#[test]
fn a_reader_parked_when_the_peer_half_closes_wakes_with_eof() {
    // The server has consumed everything and is parked in `read` (it acked)
    // when the FIN arrives: the edge must wake it with 0.
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (req, eof, rest) = rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = fiberio::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(GUARD)).unwrap();
            let mut req = [0u8; 5];
            s.read_exact(&mut req).unwrap();
            s.write_all(b"ack").unwrap();
            let eof = s.read(&mut [0u8; 16]).map_err(|e| e.kind());
            s.write_all(b"bye").unwrap();
            (req, eof)
        });
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(GUARD)).unwrap();
        c.write_all(b"hello").unwrap();
        let mut ack = [0u8; 3];
        c.read_exact(&mut ack).unwrap();
        assert_eq!(&ack, b"ack");
        c.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let rest = c.read_to_end(&mut rest).map(|_| rest).map_err(|e| e.kind());
        let (req, eof) = server.join().unwrap();
        (req, eof, rest)
    });
    assert_eq!(&req, b"hello");
    assert_eq!(eof, Ok(0), "the parked server read sees EOF");
    assert_eq!(rest, Ok(b"bye".to_vec()), "the client reads the reply, then EOF");
}

#[test]
fn eof_that_came_with_the_last_data_is_seen_by_the_next_read() {
    // The peer's last bytes and its FIN arrive together, in one epoll edge,
    // while the reader is registered but busy elsewhere. Its next read
    // returns the bytes (fewer than the buffer holds); the read after that
    // must return 0 at once, as std's does: the EOF is still pending in
    // the kernel and no further edge will ever announce it.
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let outcomes = rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut outcomes = Vec::new();
        for _ in 0..3 {
            let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (mut s, _) = listener.accept().unwrap();
            // A read that parks registers `c` with the worker's epoll.
            c.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
            assert_eq!((&c).read(&mut [0u8; 8]).map_err(|e| e.kind()), Err(ErrorKind::WouldBlock));
            c.set_read_timeout(Some(GUARD)).unwrap();
            let events_before = rt.metrics()[0].events;
            s.write_all(b"bye").unwrap();
            drop(s);
            // Sleep until the idle worker has taken the edge from epoll.
            util::wait_until(GUARD, "the worker takes the edge from epoll", || {
                rt.metrics()[0].events > events_before
            });
            let mut buf = [0u8; 64];
            let first = (&c).read(&mut buf).map_err(|e| e.kind());
            let second = (&c).read(&mut buf).map_err(|e| e.kind());
            outcomes.push((first, second));
        }
        outcomes
    });
    for (round, outcome) in outcomes.into_iter().enumerate() {
        assert_eq!(outcome, (Ok(3), Ok(0)), "round {round}: data, then EOF (WouldBlock = the EOF was lost)");
    }
}

/// What the `shutdown(Read)` scenario observed.
#[derive(Debug, PartialEq)]
struct ReadShutdown {
    /// The read that was waiting when `shutdown(Read)` came.
    waiting_read: Result<usize, ErrorKind>,
    /// A read after it, with nothing queued.
    read_after: Result<usize, ErrorKind>,
    /// Data the peer sends afterwards (Linux still delivers it).
    later: Vec<u8>,
    /// What the peer read of a write from the shut-down side.
    peer_got: Vec<u8>,
}

/// Reads until `len` bytes came, retrying reads that return 0 (after
/// `shutdown(Read)` an empty queue reads as 0 instead of waiting) up to
/// 1,000 times, pausing with `pause` in between.
fn read_retrying(mut s: impl Read, len: usize, pause: impl Fn()) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    for _ in 0..1_000 {
        let n = s.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        if got.len() >= len {
            break;
        }
        pause();
    }
    got
}

fn read_shutdown_std() -> ReadShutdown {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let reader = c.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    let waiting = thread::spawn(move || {
        tx.send(util::tid()).unwrap();
        (&reader).read(&mut [0u8; 16]).map_err(|e| e.kind())
    });
    let tid = rx.recv().unwrap();
    util::wait_until(GUARD, "the reader thread blocks in read", || util::blocked_in_syscall(tid));
    c.shutdown(Shutdown::Read).unwrap();
    let waiting_read = waiting.join().unwrap();
    let read_after = (&c).read(&mut [0u8; 16]).map_err(|e| e.kind());
    peer.write_all(b"later").unwrap();
    let later = read_retrying(&c, 5, || thread::sleep(Duration::from_millis(1)));
    (&c).write_all(b"x").unwrap();
    let mut peer_got = [0u8; 1];
    peer.read_exact(&mut peer_got).unwrap();
    ReadShutdown { waiting_read, read_after, later, peer_got: peer_got.to_vec() }
}

fn read_shutdown_fiberio(rt: &fiberio::Runtime) -> ReadShutdown {
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = Arc::new(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
        c.set_read_timeout(Some(GUARD)).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let reader = c.clone();
        let waiting = fiberio::spawn(move || (&*reader).read(&mut [0u8; 16]).map_err(|e| e.kind()));
        // One worker: the reader runs now, finds nothing and parks; then
        // this fiber goes on and shuts the read half down under it.
        fiberio::yield_now();
        assert!(!waiting.is_finished(), "the reader parked");
        c.shutdown(Shutdown::Read).unwrap();
        let waiting_read = waiting.join().unwrap();
        let read_after = (&*c).read(&mut [0u8; 16]).map_err(|e| e.kind());
        peer.write_all(b"later").unwrap();
        let later = read_retrying(&*c, 5, || fiberio::sleep(Duration::from_millis(1)));
        (&*c).write_all(b"x").unwrap();
        let mut peer_got = [0u8; 1];
        peer.read_exact(&mut peer_got).unwrap();
        ReadShutdown { waiting_read, read_after, later, peer_got: peer_got.to_vec() }
    })
}

#[test]
fn shutdown_read_wakes_a_parked_reader_with_eof() {
    let std_outcome = read_shutdown_std();
    let expected = ReadShutdown {
        waiting_read: Ok(0),
        read_after: Ok(0),
        later: b"later".to_vec(),
        peer_got: b"x".to_vec(),
    };
    assert_eq!(std_outcome, expected, "std's reference outcome");
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    for round in 0..3 {
        assert_eq!(read_shutdown_fiberio(&rt), std_outcome, "round {round}");
    }
}

/// Fills the buffers towards a peer that never reads, then writes on; the
/// other side shuts the write half down under the blocked writer (with
/// `shutdown`, once `pause` has seen the writer block). Returns how the
/// blocked `write_all` ended.
fn shutdown_under_a_blocked_writer<S: Write + Send + 'static>(
    s: S,
    shutdown: impl FnOnce(),
    spawn: impl FnOnce(
        Box<dyn FnOnce() -> Result<(), ErrorKind> + Send>,
    ) -> Box<dyn FnOnce() -> Result<(), ErrorKind>>,
    pause: impl FnOnce(),
) -> Result<(), ErrorKind> {
    let mut s = s;
    let join = spawn(Box::new(move || s.write_all(&vec![1u8; 64 * 1024 * 1024]).map_err(|e| e.kind())));
    pause();
    shutdown();
    join()
}

#[test]
fn shutdown_write_wakes_a_writer_blocked_on_full_buffers_with_broken_pipe() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _peer = listener.accept().unwrap();
    let c2 = c.try_clone().unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let std_outcome = shutdown_under_a_blocked_writer(
        c,
        move || c2.shutdown(Shutdown::Write).unwrap(),
        |f| {
            let h = thread::spawn(move || {
                tid_tx.send(util::tid()).unwrap();
                f()
            });
            Box::new(move || h.join().unwrap())
        },
        || {
            let tid = tid_rx.recv().unwrap();
            util::wait_until(GUARD, "the writer thread blocks in write", || util::blocked_in_syscall(tid));
        },
    );
    assert_eq!(std_outcome, Err(ErrorKind::BrokenPipe), "std");

    // The test thread drives the fibers: the parks it watches are then
    // the writer's alone (a fiber waiting for them would park too).
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (c, _peer) = rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = Arc::new(TcpStream::connect(listener.local_addr().unwrap()).unwrap());
        c.set_write_timeout(Some(GUARD)).unwrap();
        (c, listener.accept().unwrap())
    });
    let c2 = c.clone();
    let parks = || rt.metrics().iter().map(|m| m.parks).sum::<u64>();
    let parks_before = parks();
    let outcome = shutdown_under_a_blocked_writer(
        ArcWriter(c),
        || rt.spawn(move || c2.shutdown(Shutdown::Write).unwrap()).join().unwrap(),
        |f| {
            let h = rt.spawn(f);
            Box::new(move || h.join().unwrap())
        },
        || util::wait_until(GUARD, "the writer fiber parks on full buffers", || parks() > parks_before),
    );
    assert_eq!(outcome, std_outcome, "WouldBlock = the parked writer was never woken");
}

/// Writes through a shared stream.
struct ArcWriter(Arc<TcpStream>);

impl Write for ArcWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
