//! A peer that resets (`SO_LINGER` 0, then close) or closes under a fiber:
//! reads and writes return exactly what std's return in the same situation
//! (`ConnectionReset`, then 0; `BrokenPipe` for writes), a parked reader or
//! writer wakes with the error, and a write to a closed peer never kills
//! the process with SIGPIPE, even with SIGPIPE at its default action.
//!
//! Each scenario runs "our" side once as a std socket on a plain thread and
//! once as a fiberio socket on a fiber; the peer is a std socket on the
//! test thread in both runs. Every fiberio wait has a generous timeout, so
//! a lost wakeup shows up as `WouldBlock` instead of a hung test.

mod util;

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::thread;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use socket2::SockRef;
use util::{GUARD, kind};

/// Long enough for a segment to cross loopback and the event to be taken
/// from epoll; the outcomes do not depend on it, only which path runs.
const PAUSE: Duration = Duration::from_millis(50);

type Outcome = Result<usize, ErrorKind>;

/// What a scenario's server needs from a socket, std's or fiberio's.
trait Socket: Read + Write + Send + 'static {
    fn limit_reads(&self, t: Duration);
    fn limit_writes(&self, t: Duration);
}

impl Socket for std::net::TcpStream {
    fn limit_reads(&self, t: Duration) {
        self.set_read_timeout(Some(t)).unwrap();
    }
    fn limit_writes(&self, t: Duration) {
        self.set_write_timeout(Some(t)).unwrap();
    }
}

impl Socket for TcpStream {
    fn limit_reads(&self, t: Duration) {
        self.set_read_timeout(Some(t)).unwrap();
    }
    fn limit_writes(&self, t: Duration) {
        self.set_write_timeout(Some(t)).unwrap();
    }
}

/// Runs `server` on the accepted side of one std connection, on a plain
/// thread (pausing with `thread::sleep`), and `client` on the test thread.
fn run_std<R: Send + 'static>(
    server: fn(std::net::TcpStream, fn()) -> R,
    client: impl FnOnce(std::net::TcpStream),
) -> R {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let h = thread::spawn(move || server(listener.accept().unwrap().0, || thread::sleep(PAUSE)));
    client(std::net::TcpStream::connect(addr).unwrap());
    h.join().unwrap()
}

/// The same with a fiberio socket on a fiber of `rt` (pausing with
/// `fiberio::sleep`).
fn run_fiberio<R: Send + 'static>(
    rt: &fiberio::Runtime,
    server: fn(TcpStream, fn()) -> R,
    client: impl FnOnce(std::net::TcpStream),
) -> R {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let h = rt.spawn(move || server(listener.accept().unwrap().0, || fiberio::sleep(PAUSE)));
    client(std::net::TcpStream::connect(addr).unwrap());
    h.join().unwrap()
}

/// Closes `peer` with a reset (RST) instead of a FIN.
fn reset(peer: std::net::TcpStream) {
    SockRef::from(&peer).set_linger(Some(Duration::ZERO)).unwrap();
    drop(peer);
}

fn rt() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().unwrap()
}

// --- the peer resets while our read waits for the rest of a request -----

/// Reads the start of a request, acks it, then waits for the rest: the
/// peer resets instead. Then reads again and writes once.
fn reset_mid_request<S: Socket>(mut s: S, _pause: fn()) -> Vec<Outcome> {
    s.limit_reads(GUARD);
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    s.write_all(b"ack").unwrap();
    let mut rest = [0u8; 64];
    vec![kind(s.read(&mut rest)), kind(s.read(&mut rest)), kind(s.write(b"late"))]
}

fn reset_after_ack(mut peer: std::net::TcpStream) {
    peer.write_all(b"GET /").unwrap();
    peer.read_exact(&mut [0u8; 3]).unwrap();
    reset(peer);
}

#[test]
fn a_read_waiting_for_the_rest_of_a_request_gets_connection_reset() {
    let std_outcome = run_std(reset_mid_request, reset_after_ack);
    assert_eq!(std_outcome, [Err(ErrorKind::ConnectionReset), Ok(0), Err(ErrorKind::BrokenPipe)], "std");
    let rt = rt();
    for round in 0..5 {
        assert_eq!(run_fiberio(&rt, reset_mid_request, reset_after_ack), std_outcome, "round {round}");
    }
}

// --- the last data and the reset arrive together -----------------------

/// Waits (registered, not reading) while the peer sends a tail and resets,
/// then reads: the tail, the reset, then EOF.
fn reset_with_data_pending<S: Socket>(mut s: S, pause: fn()) -> Vec<Outcome> {
    // A read that times out: with fiberio the socket is now registered.
    s.limit_reads(Duration::from_millis(1));
    let first = kind(s.read(&mut [0u8; 8]));
    s.limit_reads(GUARD);
    s.write_all(b"ready").unwrap();
    pause(); // the tail and the RST arrive meanwhile, in one edge
    let mut buf = [0u8; 64];
    vec![first, kind(s.read(&mut buf)), kind(s.read(&mut buf)), kind(s.read(&mut buf))]
}

fn tail_then_reset(mut peer: std::net::TcpStream) {
    peer.read_exact(&mut [0u8; 5]).unwrap();
    peer.write_all(b"tail").unwrap();
    reset(peer);
}

#[test]
fn data_then_reset_reads_the_data_then_connection_reset() {
    let std_outcome = run_std(reset_with_data_pending, tail_then_reset);
    assert_eq!(
        std_outcome,
        [Err(ErrorKind::WouldBlock), Ok(4), Err(ErrorKind::ConnectionReset), Ok(0)],
        "std's reference outcome"
    );
    let rt = rt();
    for round in 0..3 {
        let outcome = run_fiberio(&rt, reset_with_data_pending, tail_then_reset);
        assert_eq!(outcome, std_outcome, "round {round} (WouldBlock after Ok(4) = the reset was lost)");
    }
}

// --- writing to a peer that is gone -------------------------------------

/// Writes until two writes have failed (at most 20 writes); returns the
/// outcomes from the first failure on.
fn write_until_errors(s: &mut impl Write, pause: fn()) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        let r = kind(s.write(b"hello"));
        if r.is_err() || !outcomes.is_empty() {
            outcomes.push(r);
        }
        if outcomes.len() == 2 {
            break;
        }
        pause();
    }
    outcomes
}

/// The peer closed normally (FIN): read the EOF, then write into the void.
fn write_after_peer_closed<S: Socket>(mut s: S, pause: fn()) -> Vec<Outcome> {
    s.limit_reads(GUARD);
    let eof = kind(s.read(&mut [0u8; 8]));
    let mut outcomes = vec![eof];
    outcomes.extend(write_until_errors(&mut s, pause));
    outcomes
}

/// The peer reset: write without reading first.
fn write_after_peer_reset<S: Socket>(mut s: S, pause: fn()) -> Vec<Outcome> {
    s.write_all(b"ready").unwrap();
    pause();
    write_until_errors(&mut s, pause)
}

#[test]
fn writing_to_a_closed_peer_is_broken_pipe() {
    let std_outcome = run_std(write_after_peer_closed, drop);
    assert_eq!(std_outcome, [Ok(0), Err(ErrorKind::BrokenPipe), Err(ErrorKind::BrokenPipe)], "std");
    let rt = rt();
    assert_eq!(run_fiberio(&rt, write_after_peer_closed, drop), std_outcome);
}

#[test]
fn writing_to_a_reset_peer_is_connection_reset_then_broken_pipe() {
    let client = |mut peer: std::net::TcpStream| {
        peer.read_exact(&mut [0u8; 5]).unwrap();
        reset(peer);
    };
    let std_outcome = run_std(write_after_peer_reset, client);
    assert_eq!(std_outcome, [Err(ErrorKind::ConnectionReset), Err(ErrorKind::BrokenPipe)], "std");
    let rt = rt();
    assert_eq!(run_fiberio(&rt, write_after_peer_reset, client), std_outcome);
}

// --- a writer parked on full buffers when the peer resets ----------------

/// Writes far more than the buffers hold to a peer that never reads;
/// returns how the blocked `write_all` ended.
fn write_into_full_buffers<S: Socket>(mut s: S, _pause: fn()) -> Result<(), ErrorKind> {
    s.limit_writes(GUARD);
    kind(s.write_all(&vec![7u8; 64 * 1024 * 1024]))
}

fn reset_while_peer_writes(peer: std::net::TcpStream) {
    // Once data arrives the writer is writing; soon it blocks on full buffers.
    peer.peek(&mut [0u8; 1]).unwrap();
    thread::sleep(PAUSE);
    reset(peer);
}

#[test]
fn a_writer_parked_on_full_buffers_wakes_when_the_peer_resets() {
    let std_outcome = run_std(write_into_full_buffers, reset_while_peer_writes);
    assert!(
        matches!(std_outcome, Err(ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)),
        "std: {std_outcome:?}"
    );
    let rt = rt();
    for round in 0..3 {
        let outcome = run_fiberio(&rt, write_into_full_buffers, reset_while_peer_writes);
        assert_eq!(outcome, std_outcome, "round {round} (WouldBlock = the parked writer was never woken)");
    }
}

// --- SIGPIPE at its default action -------------------------------------

/// In a child: SIGPIPE back to `SIG_DFL` (Rust programs start with it
/// ignored, which would hide the bug), then a fiber writes to a peer that
/// closed, with `write` (scenario `write`) or `write_vectored`
/// (scenario `writev`). Prints the outcomes; dies of SIGPIPE on the bug.
fn sigpipe_child(vectored: bool) {
    // SAFETY: setting a signal's disposition to the default has no
    // preconditions; no handler of ours is involved.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
    let rt = rt();
    let server: fn(TcpStream, fn()) -> Vec<Outcome> = if vectored {
        |s, pause| write_after_peer_closed(Vectored(s), pause)
    } else {
        |s, pause| {
            let mut out = write_after_peer_closed(s.try_clone().unwrap(), pause);
            out.push(kind((&s).write_all(b"hello")).map(|()| 5));
            out
        }
    };
    println!("outcomes={:?}", run_fiberio(&rt, server, drop));
}

/// A stream whose `write` is `write_vectored` (two slices).
struct Vectored(TcpStream);

impl Read for Vectored {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Vectored {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (a, b) = buf.split_at(buf.len() / 2);
        self.0.write_vectored(&[IoSlice::new(a), IoSlice::new(b)])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Socket for Vectored {
    fn limit_reads(&self, t: Duration) {
        self.0.limit_reads(t);
    }
    fn limit_writes(&self, t: Duration) {
        self.0.limit_writes(t);
    }
}

fn check_sigpipe_child(test: &str, scenario: &str) {
    use std::os::unix::process::ExitStatusExt;
    let out = util::run_child(test, scenario, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the child died (signal {:?}; SIGPIPE is {}):\n{stdout}\n{}",
        out.status.signal(),
        libc::SIGPIPE,
        String::from_utf8_lossy(&out.stderr)
    );
    let outcomes = util::field(&stdout, "outcomes=").expect("an outcomes line");
    assert!(outcomes.starts_with("[Ok(0), "), "EOF first: {outcomes}");
    assert!(outcomes.contains("Err(BrokenPipe)"), "{outcomes}");
    assert!(outcomes.trim_end().ends_with("Err(BrokenPipe)]"), "{outcomes}");
}

#[test]
fn write_to_a_closed_peer_never_raises_sigpipe() {
    if util::is_child("write") {
        return sigpipe_child(false);
    }
    check_sigpipe_child("write_to_a_closed_peer_never_raises_sigpipe", "write");
}

/// std's own `write_vectored` is `writev(2)`, which has no `MSG_NOSIGNAL`:
/// std dies here too. fiberio promises more (a server must not die because
/// one client went away): `sendmsg` with `MSG_NOSIGNAL` does the same job.
#[test]
fn write_vectored_to_a_closed_peer_never_raises_sigpipe() {
    if util::is_child("writev") {
        return sigpipe_child(true);
    }
    check_sigpipe_child("write_vectored_to_a_closed_peer_never_raises_sigpipe", "writev");
}
