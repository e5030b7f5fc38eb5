//! The chain on hand-written epoll: the hops are split into `workers`
//! contiguous blocks, one per thread (so only a block boundary crosses
//! threads, as a careful hand-written program would arrange); each thread's
//! edge-triggered epoll watches its hops' left sockets; on readiness
//! it reads the byte and writes it to the right socket. The main thread
//! uses blocking reads and writes at the two ends.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::sys::{self, Epoll};

/// Runs `rounds` rounds through `hops` hops on `workers` epoll threads.
pub(super) fn run(workers: usize, hops: usize, rounds: u64) -> io::Result<Duration> {
    let pairs = super::pairs(hops, UnixStream::pair)?;
    let (mut writers, mut readers): (Vec<Option<UnixStream>>, Vec<Option<UnixStream>>) =
        pairs.into_iter().map(|(w, r)| (Some(w), Some(r))).unzip();
    let mut per_thread: Vec<Vec<(OwnedFd, OwnedFd)>> = (0..workers).map(|_| Vec::new()).collect();
    for i in 0..hops {
        let (from, to) = (readers[i].take().expect("reader"), writers[i + 1].take().expect("writer"));
        from.set_nonblocking(true)?;
        to.set_nonblocking(true)?;
        per_thread[i * workers / hops].push((from.into(), to.into()));
    }
    let threads: Vec<_> = per_thread
        .into_iter()
        .map(|hops| std::thread::Builder::new().spawn(move || event_loop(hops)))
        .collect::<io::Result<_>>()?;
    let (mut first, mut last) = (writers[0].take().expect("first"), readers[hops].take().expect("last"));
    let start = Instant::now();
    let mut b = [7u8; 1];
    for _ in 0..rounds {
        first.write_all(&b)?;
        last.read_exact(&mut b)?;
    }
    let elapsed = start.elapsed();
    drop(first);
    for t in threads {
        t.join().map_err(|_| io::Error::other("an epoll chain thread panicked"))??;
    }
    Ok(elapsed)
}

/// Forwards bytes for this thread's hops until each has seen EOF.
fn event_loop(hops: Vec<(OwnedFd, OwnedFd)>) -> io::Result<()> {
    let epoll = Epoll::new()?;
    for (i, (from, _)) in hops.iter().enumerate() {
        epoll.add(from.as_raw_fd(), sys::ET_RW, i as u64)?;
    }
    // `None` once the hop has seen EOF: dropping its right end passes the
    // EOF along the chain.
    let mut hops: Vec<(OwnedFd, Option<OwnedFd>)> = hops.into_iter().map(|(f, t)| (f, Some(t))).collect();
    let mut open = hops.len();
    let mut events = sys::events(64);
    let mut buf = [0u8; 64];
    while open > 0 {
        let n = epoll.wait(&mut events, None)?;
        for ev in &events[..n] {
            let (from, to) = &mut hops[ev.u64 as usize];
            let Some(right) = to.as_ref().map(AsRawFd::as_raw_fd) else { continue };
            loop {
                match sys::read(from.as_raw_fd(), &mut buf) {
                    Ok(0) => {
                        *to = None;
                        open -= 1;
                        break;
                    }
                    Ok(k) => {
                        sys::write(right, &buf[..k])?;
                        if k < buf.len() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(())
}
