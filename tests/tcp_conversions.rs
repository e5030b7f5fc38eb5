//! Conversions between fiberio's and std's sockets and raw fds, and the
//! modes they carry: a std socket taken in is made non-blocking (it must
//! never block a worker) and one handed back is blocking again (a std read
//! on it blocks instead of returning `WouldBlock`); `try_clone` copies the
//! timeouts; `set_nonblocking(true)` makes operations return `WouldBlock`
//! instead of parking.
//!
//! Whether a socket is in non-blocking mode is read from the kernel
//! (`O_NONBLOCK`, through socket2): that flag is what decides whether a
//! syscall made by a worker can block it.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use socket2::SockRef;
use util::{GUARD, kind};

/// How long a thread waits before it acts, so that the other is likely
/// blocked by then.
const LATER: Duration = Duration::from_millis(50);

fn nonblocking(s: &impl std::os::fd::AsFd) -> bool {
    SockRef::from(s).nonblocking().unwrap()
}

fn std_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (c, listener.accept().unwrap().0)
}

/// On a one-worker runtime: one fiber reads `s` (nothing has been sent)
/// while a second fiber, spawned after it, writes `msg` to `peer`. The
/// second can only run if the first parked instead of blocking the worker.
/// Returns what the reader read.
fn read_while_another_fiber_writes(
    rt: &fiberio::Runtime,
    s: TcpStream,
    mut peer: std::net::TcpStream,
    msg: &'static [u8],
) -> (TcpStream, std::net::TcpStream, Result<Vec<u8>, ErrorKind>) {
    rt.block_on(move || {
        s.set_read_timeout(Some(GUARD)).unwrap();
        let s = Arc::new(s);
        let reader_s = s.clone();
        let reader = fiberio::spawn(move || {
            let mut buf = vec![0u8; msg.len()];
            kind((&*reader_s).read_exact(&mut buf)).map(|()| buf)
        });
        fiberio::yield_now(); // the reader runs first
        let writer = fiberio::spawn(move || {
            peer.write_all(msg).unwrap();
            peer
        });
        let got = reader.join().unwrap();
        let peer = writer.join().unwrap();
        (Arc::into_inner(s).unwrap(), peer, got)
    })
}

#[test]
fn a_std_stream_taken_in_is_non_blocking_and_handed_back_blocking() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (c, peer) = std_pair();
    assert!(!nonblocking(&c));
    let c = TcpStream::from(c);
    assert!(nonblocking(&c), "a fiberio stream is O_NONBLOCK in the kernel");
    let (c, mut peer, got) = read_while_another_fiber_writes(&rt, c, peer, b"into fiberio");
    assert_eq!(got, Ok(b"into fiberio".to_vec()));

    let mut back = std::net::TcpStream::from(c);
    assert!(!nonblocking(&back), "handed back blocking, as std made it");
    assert_eq!(back.read_timeout().unwrap(), None);
    // A std read on it waits for data that comes later, as std's does.
    let writer = thread::spawn(move || {
        thread::sleep(LATER);
        peer.write_all(b"later").unwrap();
        peer
    });
    let mut buf = [0u8; 5];
    assert_eq!(kind(back.read(&mut buf)), Ok(5), "a blocking read waits instead of WouldBlock");
    assert_eq!(&buf, b"later");
    writer.join().unwrap();
}

#[test]
fn raw_fds_round_trip_through_fiberio() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (c, peer) = std_pair();
    let fd = c.into_raw_fd();
    // SAFETY: `fd` is an open TCP socket that we own (just released by std).
    let c = unsafe { TcpStream::from_raw_fd(fd) };
    assert_eq!(c.as_raw_fd(), fd);
    assert!(nonblocking(&c));
    let (c, mut peer, got) = read_while_another_fiber_writes(&rt, c, peer, b"raw");
    assert_eq!(got, Ok(b"raw".to_vec()));

    let fd = c.into_raw_fd();
    // SAFETY: as above; fiberio released it.
    let mut back = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    assert!(!nonblocking(&back), "into_raw_fd hands the fd back blocking");
    peer.write_all(b"std").unwrap();
    let mut buf = [0u8; 3];
    back.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std");

    // And through OwnedFd.
    let owned = OwnedFd::from(back);
    let c = TcpStream::from(owned);
    assert!(nonblocking(&c));
    let (_c, _peer, got) = read_while_another_fiber_writes(&rt, c, peer, b"owned");
    assert_eq!(got, Ok(b"owned".to_vec()));
}

#[test]
fn a_listener_round_trips_too() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from(std_listener);
    assert!(nonblocking(&listener));
    // A fiber parks in accept while another, on the same worker, connects.
    let listener = rt.block_on(move || {
        let listener = Arc::new(listener);
        let l = listener.clone();
        let acceptor = fiberio::spawn(move || l.accept_timeout(GUARD).map(|(_, peer)| peer));
        fiberio::yield_now();
        let c = fiberio::spawn(move || TcpStream::connect(addr).unwrap().local_addr().unwrap());
        let client_addr = c.join().unwrap();
        assert_eq!(acceptor.join().unwrap().unwrap(), client_addr);
        Arc::into_inner(listener).unwrap()
    });
    let fd = listener.into_raw_fd();
    // SAFETY: `fd` is an open listening socket that we own.
    let back = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    assert!(!nonblocking(&back), "a listener handed back is blocking");
    let connector = thread::spawn(move || {
        thread::sleep(LATER);
        std::net::TcpStream::connect(addr).unwrap()
    });
    back.accept().expect("a blocking accept waits for the connection");
    connector.join().unwrap();
}

#[test]
fn try_clone_copies_timeouts_and_the_nonblocking_setting() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    rt.block_on(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        c.set_read_timeout(Some(Duration::from_millis(15))).unwrap();
        c.set_write_timeout(Some(Duration::from_millis(25))).unwrap();
        let clone = c.try_clone().unwrap();
        assert_ne!(clone.as_raw_fd(), c.as_raw_fd());
        assert_eq!(clone.read_timeout().unwrap(), Some(Duration::from_millis(15)));
        assert_eq!(clone.write_timeout().unwrap(), Some(Duration::from_millis(25)));
        assert_eq!(
            kind((&clone).read(&mut [0u8; 4])),
            Err(ErrorKind::WouldBlock),
            "the copied timeout applies"
        );
        // Same connection: what the peer sends, the clone reads.
        s.write_all(b"both").unwrap();
        clone.set_read_timeout(Some(GUARD)).unwrap();
        let mut got = [0u8; 4];
        (&clone).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"both");
        assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(15)), "the original keeps its own");

        c.set_nonblocking(true).unwrap();
        let clone = c.try_clone().unwrap();
        assert_eq!(kind((&clone).read(&mut [0u8; 4])), Err(ErrorKind::WouldBlock));
    });
}

/// Writes `msg` to `peer` after `GUARD`, unless told to stop first: ends a
/// read that parked by mistake, with data the test then rejects.
fn watchdog(mut peer: std::net::TcpStream, msg: &'static [u8]) -> (mpsc::Sender<()>, thread::JoinHandle<()>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let h = thread::spawn(move || {
        if stopped.recv_timeout(GUARD).is_err() {
            let _ = peer.write_all(msg);
        }
    });
    (stop, h)
}

#[test]
fn set_nonblocking_makes_a_fiber_get_would_block_instead_of_parking() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (c, peer) = std_pair();
    let c = TcpStream::from(c);
    let (stop, dog) = watchdog(peer.try_clone().unwrap(), b"watchdog");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (read, peek, accept, write, after) = rt.block_on(|| {
        c.set_nonblocking(true).unwrap();
        let read = kind((&c).read(&mut [0u8; 16]));
        let peek = kind(c.peek(&mut [0u8; 16]));
        listener.set_nonblocking(true).unwrap();
        let accept = kind(listener.accept().map(|_| ()));
        // Fill the buffers: the peer never reads.
        let chunk = vec![0u8; 256 * 1024];
        let write = (0..1_000).map(|_| kind((&c).write(&chunk))).find(|r| r.is_err()).unwrap_or(Ok(0));
        // Back to parking: the read waits for data that comes later.
        c.set_nonblocking(false).unwrap();
        c.set_read_timeout(Some(GUARD)).unwrap();
        let mut peer = peer.try_clone().unwrap();
        let sender = fiberio::spawn(move || {
            fiberio::sleep(LATER);
            peer.write_all(b"later").unwrap();
        });
        let mut buf = [0u8; 5];
        let after = kind((&c).read_exact(&mut buf)).map(|()| buf);
        sender.join().unwrap();
        (read, peek, accept, write, after)
    });
    stop.send(()).unwrap();
    dog.join().unwrap();
    assert_eq!(read, Err(ErrorKind::WouldBlock), "read");
    assert_eq!(peek, Err(ErrorKind::WouldBlock), "peek");
    assert_eq!(accept, Err(ErrorKind::WouldBlock), "accept");
    assert_eq!(write, Err(ErrorKind::WouldBlock), "write into full buffers");
    assert_eq!(after, Ok(*b"later"), "set_nonblocking(false) parks again");
}

/// An operation that must park, not block, on the original stream.
#[derive(Debug, Clone, Copy)]
enum Op {
    Read,
    ReadVectored,
    Peek,
    Write,
    WriteVectored,
}

impl Op {
    fn writes(self) -> bool {
        matches!(self, Op::Write | Op::WriteVectored)
    }

    fn run(self, s: &TcpStream) -> Result<usize, ErrorKind> {
        use std::io::{IoSlice, IoSliceMut};
        let mut buf = [0u8; 8];
        let data = [0u8; 64 * 1024];
        let mut s = s;
        kind(match self {
            Op::Read => s.read(&mut buf),
            Op::ReadVectored => s.read_vectored(&mut [IoSliceMut::new(&mut buf)]),
            Op::Peek => s.peek(&mut buf),
            Op::Write => s.write(&data),
            Op::WriteVectored => s.write_vectored(&[IoSlice::new(&data)]),
        })
    }
}

/// Hands a clone of a fiberio stream back to std (which makes it
/// blocking), then runs `op` on the original in fiber A on a one-worker
/// runtime, with a 20 ms timeout, while fiber B waits for the worker.
/// The peer acts only after 500 ms (sends, or drains the buffers that were
/// filled for a write), which ends A's call if it blocked the worker.
/// Returns A's outcome and whether B ran while A waited.
fn op_after_a_clone_went_to_std(op: Op) -> (Result<usize, ErrorKind>, bool) {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (c, mut peer) = std_pair();
    let original = TcpStream::from(c);
    if op.writes() {
        // Fill the buffers while the original is still non-blocking.
        original.set_nonblocking(true).unwrap();
        let chunk = vec![0u8; 256 * 1024];
        while (&original).write(&chunk).is_ok() {}
        original.set_nonblocking(false).unwrap();
    }
    let handed_back = std::net::TcpStream::from(original.try_clone().unwrap());
    let (done, done_rx) = mpsc::channel::<()>();
    let late = thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_millis(500)).is_ok() {
            return peer; // A returned without blocking: nothing to end
        }
        if op.writes() {
            let mut sink = vec![0u8; 1024 * 1024];
            let _ = peer.read(&mut sink);
        } else {
            peer.write_all(b"late").unwrap();
        }
        peer
    });
    original.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    original.set_write_timeout(Some(Duration::from_millis(20))).unwrap();
    let outcome = rt.block_on(|| {
        let b_ran = Arc::new(AtomicBool::new(false));
        let b_flag = b_ran.clone();
        // Spawned first, B starts as soon as this fiber (A) parks.
        let b = fiberio::spawn(move || b_flag.store(true, SeqCst));
        let r = op.run(&original);
        let ran = b_ran.load(SeqCst);
        b.join().unwrap();
        (r, ran)
    });
    let _ = done.send(()); // the late thread may have acted and gone already
    drop((late.join().unwrap(), handed_back));
    outcome
}

#[test]
fn handing_a_clone_back_to_std_does_not_make_the_original_block_its_worker() {
    // A dup shares its file description, and O_NONBLOCK lives there: the
    // conversion of a clone back to std, which restores blocking mode,
    // changes it for the original fiberio stream too. Its operations must
    // still park (a worker must never block in a syscall): they must not
    // depend on O_NONBLOCK (MSG_DONTWAIT does not).
    for op in [Op::Read, Op::ReadVectored, Op::Peek, Op::Write, Op::WriteVectored] {
        let (outcome, b_ran_while_a_waited) = op_after_a_clone_went_to_std(op);
        assert!(
            b_ran_while_a_waited,
            "{op:?} on the original blocked the worker (it returned {outcome:?} once the peer \
             acted, 500 ms later): the clone's conversion to std made the socket blocking"
        );
        assert_eq!(outcome, Err(ErrorKind::WouldBlock), "{op:?}: its 20 ms timeout");
    }
}
