//! An fd closed and at once reused while an epoll event for the old socket
//! may be in flight (race 6): the new socket with the same fd number is
//! never woken into wrong data, never sees the old socket's state (closed,
//! ready, waiters), and works normally.
//!
//! Each round: a fiber on worker 0 connects socket A and waits on it,
//! registering it with worker 0's epoll. Then, at the same moment, the peer sends A a burst
//! (an event for A heads into worker 0's epoll) and a fiber on either
//! worker drops A and connects socket B, which gets A's fd number. B must
//! read nothing yet (its read times out), then exchange a message
//! normally.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use fiberio::net::TcpStream;
use util::{GUARD, kind};

const ROUNDS: u32 = 1_000;

/// What the fiber that reused the fd saw.
#[derive(Debug, PartialEq)]
struct Reuse {
    /// B's fd number equals A's.
    same_fd: bool,
    /// B's first read, before anyone sent it anything (short timeout; in
    /// the rounds that skip it, `WouldBlock` as if it had run).
    first_read: Result<usize, ErrorKind>,
    /// B's answer to its hello.
    reply: Result<Vec<u8>, ErrorKind>,
}

#[test]
fn a_reused_fd_is_never_woken_by_its_old_socket() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let peer_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = peer_listener.local_addr().unwrap();
    let mut reused = 0;
    for round in 0..ROUNDS {
        // A, registered with worker 0 by a fiber that parks on it: it gets
        // data, or every fourth round times out (leaving a stale waiter).
        let a_times_out = round % 4 == 3;
        let a: Arc<Mutex<Option<TcpStream>>> = Arc::default();
        let wait_a = {
            let a = a.clone();
            util::spawn_on(&rt, 0, move || {
                // A non-blocking connect waits for writability: that wait
                // registers A with this worker's epoll, if the read's does not.
                let mut slot = a.lock().unwrap();
                let a = slot.insert(TcpStream::connect(addr).unwrap());
                let timeout = if a_times_out { Duration::from_millis(1) } else { GUARD };
                a.set_read_timeout(Some(timeout)).unwrap();
                (a.as_raw_fd(), kind(a.read(&mut [0u8; 16])))
            })
        };
        let (mut a_peer, _) = peer_listener.accept().unwrap();
        if !a_times_out {
            a_peer.write_all(b"x").unwrap();
        }
        let (a_fd, waited) = wait_a.join().unwrap();
        let expected = if a_times_out { Err(ErrorKind::WouldBlock) } else { Ok(1) };
        assert_eq!(waited, expected, "round {round}: the wait on A");

        // Drop A and connect B on a worker that alternates every two rounds,
        // while the peer's burst for A races in.
        let go = Arc::new(AtomicBool::new(false));
        let (created_tx, created_rx) = mpsc::channel();
        let reuse = {
            let (a, go) = (a.clone(), go.clone());
            util::spawn_on(&rt, (round as usize / 2) % 2, move || {
                let start = Instant::now();
                while !go.load(SeqCst) && start.elapsed() < GUARD {
                    std::hint::spin_loop();
                }
                let a = a.lock().unwrap().take().unwrap();
                // Every fifth round a dup of A outlives it: A's socket lives
                // on, and so would its registration if A's close left it.
                let _dup = (round % 5 == 0).then(|| a.try_clone().unwrap());
                drop(a);
                let mut b = TcpStream::connect(addr).unwrap();
                created_tx.send(()).unwrap();
                let same_fd = b.as_raw_fd() == a_fd;
                // Every fourth round (timeouts cost a millisecond or two).
                let first_read = if round % 4 == 1 {
                    b.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
                    kind(b.read(&mut [0u8; 64]))
                } else {
                    Err(ErrorKind::WouldBlock)
                };
                b.set_read_timeout(Some(GUARD)).unwrap();
                b.write_all(format!("hello {round}").as_bytes()).unwrap();
                let mut reply = vec![0u8; format!("reply {round}").len()];
                let reply = kind(b.read_exact(&mut reply)).map(|()| reply);
                Reuse { same_fd, first_read, reply }
            })
        };
        let burst = [round as u8; 4096];
        if round % 3 == 0 {
            go.store(true, SeqCst);
            let _ = a_peer.write_all(&burst); // A may be gone already: RST
        } else {
            let _ = a_peer.write_all(&burst);
            go.store(true, SeqCst);
        }
        // Accept B only once it exists, so that no fd of ours takes A's
        // number first.
        created_rx.recv_timeout(GUARD).expect("B connected");
        let (mut b_peer, _) = peer_listener.accept().unwrap();
        b_peer.set_read_timeout(Some(GUARD)).unwrap();
        let mut hello = vec![0u8; format!("hello {round}").len()];
        b_peer.read_exact(&mut hello).unwrap();
        assert_eq!(hello, format!("hello {round}").as_bytes(), "round {round}: B's hello");
        b_peer.write_all(format!("reply {round}").as_bytes()).unwrap();
        let seen = reuse.join().unwrap();
        let expected_reply = format!("reply {round}").into_bytes();
        assert_eq!(
            (seen.first_read, &seen.reply),
            (Err(ErrorKind::WouldBlock), &Ok(expected_reply)),
            "round {round}: B read nothing before its reply, then exactly its reply"
        );
        reused += usize::from(seen.same_fd);
    }
    println!("{reused} of {ROUNDS} rounds reused A's fd number for B");
    assert!(reused >= ROUNDS as usize * 9 / 10, "only {reused} of {ROUNDS} rounds reused the fd");
}
