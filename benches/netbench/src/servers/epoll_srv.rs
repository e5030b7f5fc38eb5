//! The hand-written server, the paper's SimpleServerC: per worker thread
//! one `SO_REUSEPORT` listener (the kernel spreads connections over them)
//! and one epoll; connections registered once, edge-triggered, for reading
//! and writing; each connection a small state machine of buffered input
//! and pending output. This is the practical limit a runtime can approach.
//!
//! Per request in steady state it makes one `read` and one `write` plus a
//! share of `epoll_wait`: a read that returns less than the free buffer
//! space means the socket is drained, so it does not read again to see
//! `EAGAIN` (the next arrival raises a new edge).

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::{Kind, ServeOpts, accept_failed};
use crate::proto::{self, REP_LEN, REQ_LEN};
use crate::sys::{self, Epoll};

/// Input buffered per connection: up to 16 pipelined requests.
const IN_CAP: usize = 16 * REQ_LEN;
/// Output buffered per connection.
const OUT_CAP: usize = 16 * REP_LEN;
/// The epoll token of the listener.
const LISTENER: u64 = u64::MAX;

/// Serves forever on `o.workers` threads.
pub(super) fn run(o: &ServeOpts, bound: &dyn Fn(SocketAddr)) -> io::Result<()> {
    let first = listener(o.addr)?;
    let addr = first.local_addr()?.as_socket().ok_or_else(|| io::Error::other("not an IP listener"))?;
    let mut listeners = vec![first];
    for _ in 1..o.workers {
        listeners.push(listener(addr)?);
    }
    bound(addr);
    let work = o.work;
    let threads: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            std::thread::Builder::new().name(format!("epoll-{i}")).spawn(move || event_loop(&l, work))
        })
        .collect::<io::Result<_>>()?;
    for t in threads {
        t.join().map_err(|_| io::Error::other("an epoll thread panicked"))??;
    }
    Ok(())
}

/// A non-blocking `SO_REUSEPORT` listener on `addr`.
fn listener(addr: SocketAddr) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking().cloexec(), None)?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.bind(&addr.into())?;
    s.listen(4096)?;
    Ok(s)
}

/// One connection's state.
struct Conn {
    sock: Socket,
    input: [u8; IN_CAP],
    have: usize,
    output: [u8; OUT_CAP],
    out_start: usize,
    out_end: usize,
}

/// Accepts and serves on one thread until an unexpected error.
fn event_loop(listener: &Socket, work: u32) -> io::Result<()> {
    let epoll = Epoll::new()?;
    epoll.add(listener.as_raw_fd(), sys::LT_IN, LISTENER)?;
    let mut conns: Vec<Option<Box<Conn>>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = sys::events(256);
    loop {
        let n = epoll.wait(&mut events, None)?;
        for ev in &events[..n] {
            let token = ev.u64;
            if token == LISTENER {
                accept_all(listener, &epoll, &mut conns, &mut free)?;
                continue;
            }
            let i = token as usize;
            let Some(conn) = conns.get_mut(i).and_then(Option::as_mut) else { continue };
            if !matches!(drive(conn, work), Ok(true)) {
                conns[i] = None; // closing the fd removes it from the epoll
                free.push(i);
            }
        }
    }
}

/// Accepts until `EAGAIN`, registering each connection once.
fn accept_all(
    listener: &Socket,
    epoll: &Epoll,
    conns: &mut Vec<Option<Box<Conn>>>,
    free: &mut Vec<usize>,
) -> io::Result<()> {
    loop {
        let sock = match listener.accept_raw() {
            Ok((s, _)) => s,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                accept_failed(Kind::Epoll, &e);
                std::thread::sleep(Duration::from_millis(100));
                return Ok(());
            }
        };
        sock.set_nonblocking(true)?;
        sock.set_cloexec(true)?;
        sock.set_tcp_nodelay(true)?;
        let i = free.pop().unwrap_or_else(|| {
            conns.push(None);
            conns.len() - 1
        });
        epoll.add(sock.as_raw_fd(), sys::ET_RW, i as u64)?;
        conns[i] = Some(Box::new(Conn {
            sock,
            input: [0; IN_CAP],
            have: 0,
            output: [0; OUT_CAP],
            out_start: 0,
            out_end: 0,
        }));
    }
}

/// Makes all the progress the socket allows: flush, answer, read, until
/// the socket is drained or full. `Ok(false)` once the peer has closed.
fn drive(c: &mut Conn, work: u32) -> io::Result<bool> {
    let fd = c.sock.as_raw_fd();
    let mut drained = false;
    loop {
        while c.out_start < c.out_end {
            match sys::write(fd, &c.output[c.out_start..c.out_end]) {
                Ok(n) => c.out_start += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        (c.out_start, c.out_end) = (0, 0);
        if answer(c, work) > 0 {
            continue;
        }
        if drained {
            return Ok(true);
        }
        let space = IN_CAP - c.have;
        match sys::read(fd, &mut c.input[c.have..]) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                c.have += n;
                drained = n < space;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Turns complete buffered requests into replies while output has room;
/// returns how many.
fn answer(c: &mut Conn, work: u32) -> usize {
    let mut done = 0;
    while c.have - done * REQ_LEN >= REQ_LEN && c.out_end + REP_LEN <= OUT_CAP {
        let at = done * REQ_LEN;
        let req: &[u8; REQ_LEN] = c.input[at..at + REQ_LEN].try_into().expect("REQ_LEN bytes");
        c.output[c.out_end..c.out_end + REP_LEN].copy_from_slice(&proto::reply(req, work));
        c.out_end += REP_LEN;
        done += 1;
    }
    c.input.copy_within(done * REQ_LEN..c.have, 0);
    c.have -= done * REQ_LEN;
    done
}
