//! One load-generator thread: its share of the connections on its own
//! edge-triggered epoll, each connection a closed loop of one request and
//! one reply, the latency of each measured request recorded in the thread's
//! own histogram.
//!
//! The thread follows the phase the main thread sets ([`Phase`]); it reads
//! it once per `epoll_wait`, so a phase change costs no synchronisation on
//! the request path. Like the epoll server, a read shorter than the free
//! buffer means drained: two syscalls per request plus a share of
//! `epoll_wait`.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use socket2::{Domain, Socket, Type};

use crate::proto::{self, REP_LEN, REQ_LEN};
use crate::sys::{self, Epoll};

/// What the threads do now; set by the main thread only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Open connections (each does one round trip), then idle.
    Connect = 0,
    /// Closed loop, not recorded.
    Warm = 1,
    /// Closed loop, recorded (up to the thread's quota, if any).
    Measure = 2,
    /// Send nothing new; go idle once every reply is in.
    Drain = 3,
    /// Close everything and return.
    Exit = 4,
}

/// [`ThreadState::idle_in`] of a thread with requests outstanding.
pub const NOT_IDLE: u64 = u64::MAX;

/// What the main thread and one client thread share.
#[derive(Debug)]
pub struct ThreadState {
    /// Replies received in any phase (for progress).
    pub completed: AtomicU64,
    /// Replies received in [`Phase::Measure`].
    pub measured: AtomicU64,
    /// Requests this thread may send in [`Phase::Measure`] (`u64::MAX`: no limit).
    pub quota: AtomicU64,
    /// The [`Shared::seq`] of the phase in which this thread last found
    /// itself idle: all connections open and none waiting for a reply
    /// ([`NOT_IDLE`] otherwise). Tagged with the phase's number so that an
    /// idleness seen in an earlier phase can never be taken for this one's.
    pub idle_in: AtomicU64,
    /// Wrong replies seen.
    pub errors: AtomicU64,
}

impl Default for ThreadState {
    fn default() -> Self {
        Self {
            completed: AtomicU64::new(0),
            measured: AtomicU64::new(0),
            quota: AtomicU64::new(0),
            idle_in: AtomicU64::new(NOT_IDLE),
            errors: AtomicU64::new(0),
        }
    }
}

/// The phase word, and the histogram every thread merges into on draining.
#[derive(Debug)]
pub struct Shared {
    /// The current [`Phase`].
    pub phase: AtomicU8,
    /// Number of the current phase: bumped (release) after each change of
    /// `phase`, read (acquire) before it.
    pub seq: AtomicU64,
    /// Latencies of measured requests, in ns, merged from all threads.
    pub latency: Mutex<Histogram<u64>>,
}

impl Shared {
    /// Moves every thread to `p`.
    pub fn set(&self, p: Phase) {
        self.phase.store(p as u8, Relaxed);
        self.seq.fetch_add(1, Release);
    }

    /// The current phase and its number.
    pub fn phase(&self) -> (Phase, u64) {
        let seq = self.seq.load(Acquire);
        let phase = match self.phase.load(Relaxed) {
            0 => Phase::Connect,
            1 => Phase::Warm,
            2 => Phase::Measure,
            3 => Phase::Drain,
            _ => Phase::Exit,
        };
        (phase, seq)
    }
}

/// A new latency histogram: 1 ns to 100 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// What one thread is asked to do.
#[derive(Clone, Debug)]
pub struct Job {
    /// The server.
    pub addr: SocketAddr,
    /// Connection numbers this thread opens.
    pub conns: std::ops::Range<u64>,
    /// At most this many connections being opened at once (listen backlogs).
    pub max_opening: usize,
    /// Server work rounds (to check replies).
    pub work: u32,
    /// Recompute the work hash of every reply (tests).
    pub check_work: bool,
}

struct Conn {
    sock: Socket,
    id: u64,
    seq: u64,
    sent_at: Instant,
    buf: [u8; 2 * REP_LEN],
    got: usize,
    busy: bool,
}

/// Runs one client thread until [`Phase::Exit`].
pub fn run(job: &Job, shared: &Shared, me: &ThreadState) -> io::Result<()> {
    let epoll = Epoll::new()?;
    let mut conns: Vec<Conn> = Vec::with_capacity(job.conns.clone().count());
    let mut next_id = job.conns.start;
    let mut opening = 0usize;
    let mut idle: Vec<usize> = Vec::new();
    let mut sent_measured = 0u64;
    let mut hist = histogram();
    let mut events = sys::events(512);
    let mut last = Phase::Connect;
    loop {
        let (phase, seq) = shared.phase();
        if phase != last {
            if last == Phase::Measure {
                shared
                    .latency
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .add(&hist)
                    .map_err(io::Error::other)?;
                hist.reset();
            }
            if phase == Phase::Measure {
                sent_measured = 0;
            }
            last = phase;
        }
        match phase {
            Phase::Exit => return Ok(()),
            Phase::Connect => {
                while opening < job.max_opening && next_id < job.conns.end {
                    let i = conns.len();
                    conns.push(open(job.addr, next_id, i, &epoll)?);
                    send(&mut conns[i])?;
                    (next_id, opening) = (next_id + 1, opening + 1);
                }
            }
            Phase::Warm | Phase::Measure => {
                let quota = if phase == Phase::Measure { me.quota.load(Relaxed) } else { u64::MAX };
                while sent_measured < quota
                    && let Some(i) = idle.pop()
                {
                    send(&mut conns[i])?;
                    sent_measured += u64::from(phase == Phase::Measure);
                }
            }
            Phase::Drain => {}
        }
        let busy = conns.len() - idle.len();
        let idle_now = busy == 0 && (phase != Phase::Connect || next_id == job.conns.end);
        me.idle_in.store(if idle_now { seq } else { NOT_IDLE }, Relaxed);
        let timeout = if busy == 0 { Duration::from_millis(5) } else { Duration::from_millis(50) };
        let n = epoll.wait(&mut events, Some(timeout))?;
        for ev in &events[..n] {
            let i = ev.u64 as usize;
            let c = &mut conns[i];
            if !c.busy || !receive(c)? {
                continue;
            }
            let ok =
                proto::reply_ok(&proto::request(c.id, c.seq), &c.buf[..REP_LEN], job.work, job.check_work);
            if (!ok || c.got != REP_LEN) && me.errors.fetch_add(1, Relaxed) == 0 {
                eprintln!("netbench load: connection {}: wrong reply to request {}", c.id, c.seq);
            }
            let now = Instant::now();
            c.got = 0;
            c.seq += 1;
            me.completed.fetch_add(1, Relaxed);
            match phase {
                Phase::Connect => {
                    opening -= 1;
                    idle.push(i);
                }
                Phase::Warm => send(c)?,
                Phase::Measure => {
                    me.measured.fetch_add(1, Relaxed);
                    hist.saturating_record((now - c.sent_at).as_nanos() as u64);
                    if sent_measured < me.quota.load(Relaxed) {
                        send(c)?;
                        sent_measured += 1;
                    } else {
                        idle.push(i);
                    }
                }
                Phase::Drain | Phase::Exit => idle.push(i),
            }
        }
    }
}

/// Loopback source addresses connections are spread over.
const SOURCES: u64 = 16;

/// Connects (blocking, then non-blocking) and registers once, edge-triggered.
fn open(addr: SocketAddr, id: u64, token: usize, epoll: &Epoll) -> io::Result<Conn> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM.cloexec(), None)?;
    if let SocketAddr::V4(v4) = addr
        && v4.ip().is_loopback()
    {
        // 19,000 connections (and the TIME_WAITs of earlier runs) would
        // crowd one source address's ~28,000 ports and make connect slow.
        let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + (id % SOURCES) as u8);
        sys::bind_source(&sock, source)?;
    }
    sock.connect(&addr.into()).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("connection {id} to {addr}: {e} (is the server up? out of ports or fds?)"),
        )
    })?;
    sock.set_tcp_nodelay(true)?;
    sock.set_nonblocking(true)?;
    epoll.add(sock.as_raw_fd(), sys::ET_RW, token as u64)?;
    Ok(Conn { sock, id, seq: 0, sent_at: Instant::now(), buf: [0; 2 * REP_LEN], got: 0, busy: false })
}

/// Sends the connection's next request (a 32-byte write always fits in an
/// empty socket buffer; anything else is an error).
fn send(c: &mut Conn) -> io::Result<()> {
    let req = proto::request(c.id, c.seq);
    c.sent_at = Instant::now();
    c.busy = true;
    match sys::write(c.sock.as_raw_fd(), &req) {
        Ok(REQ_LEN) => Ok(()),
        Ok(n) => Err(io::Error::other(format!("connection {}: short write of {n} bytes", c.id))),
        Err(e) => Err(io::Error::new(e.kind(), format!("connection {}: send: {e}", c.id))),
    }
}

/// Reads what has arrived; `Ok(true)` once a whole reply is in.
fn receive(c: &mut Conn) -> io::Result<bool> {
    loop {
        let space = c.buf.len() - c.got;
        match sys::read(c.sock.as_raw_fd(), &mut c.buf[c.got..]) {
            Ok(0) => return Err(io::Error::other(format!("connection {}: the server closed it", c.id))),
            Ok(n) => {
                c.got += n;
                if c.got >= REP_LEN || n < space {
                    let done = c.got >= REP_LEN;
                    c.busy = !done;
                    return Ok(done);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("connection {}: receive: {e}", c.id))),
        }
    }
}

/// Arcs of the state of `n` threads.
pub fn states(n: usize) -> Vec<Arc<ThreadState>> {
    (0..n).map(|_| Arc::new(ThreadState::default())).collect()
}
