//! Several fibers accept on one listener (race 9): every connection is
//! accepted exactly once, by one of them, on either worker; and, as with
//! std threads blocked in `accept`, a connection never waits in the queue
//! while an acceptor sits idle — not even when several connections arrive
//! in one epoll edge and the first acceptor woken is busy serving.

mod util;

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use fiberio::net::{TcpListener, TcpStream};
use util::GUARD;

const ACCEPTORS_PER_WORKER: usize = 4;
const CONNECTIONS: u32 = 400;

/// One acceptor: serves connections until `done`. Each connection sends
/// its id; the acceptor answers with the id and its own index. Returns the
/// ids it served and the worker it ran on. It accepts with a short timeout
/// so that it can notice `done` (a lost wakeup is the next test's subject).
fn acceptor(listener: Arc<TcpListener>, index: u32, done: Arc<AtomicBool>) -> (Vec<u32>, String) {
    let worker = util::worker_name();
    let mut served = Vec::new();
    while !done.load(SeqCst) {
        let mut s = match listener.accept_timeout(Duration::from_millis(50)) {
            Ok((s, _)) => s,
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => panic!("accept: {e}"),
        };
        s.set_read_timeout(Some(GUARD)).unwrap();
        let mut id = [0u8; 4];
        s.read_exact(&mut id).unwrap();
        let id = u32::from_le_bytes(id);
        served.push(id);
        let mut reply = id.to_le_bytes().to_vec();
        reply.extend_from_slice(&index.to_le_bytes());
        s.write_all(&reply).unwrap();
    }
    assert_eq!(util::worker_name(), worker, "a started fiber never changes worker");
    (served, worker)
}

/// Connects, sends `id`, returns the index of the acceptor that answered.
fn client(addr: std::net::SocketAddr, id: u32) -> u32 {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(GUARD)).unwrap();
    c.write_all(&id.to_le_bytes()).unwrap();
    let mut reply = [0u8; 8];
    c.read_exact(&mut reply).unwrap();
    assert_eq!(u32::from_le_bytes(reply[..4].try_into().unwrap()), id, "the answer to our own id");
    u32::from_le_bytes(reply[4..].try_into().unwrap())
}

#[test]
fn acceptors_on_both_workers_accept_each_connection_exactly_once() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = listener.local_addr().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let acceptors: Vec<_> = (0..2 * ACCEPTORS_PER_WORKER)
        .map(|i| {
            let (listener, done) = (listener.clone(), done.clone());
            util::spawn_on(&rt, i % 2, move || acceptor(listener, i as u32, done))
        })
        .collect();
    let answered_by = rt.block_on(|| {
        let clients: Vec<_> = (0..CONNECTIONS).map(|id| fiberio::spawn(move || client(addr, id))).collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect::<Vec<u32>>()
    });
    done.store(true, SeqCst);
    let mut served_count: HashMap<u32, usize> = HashMap::new();
    let mut per_acceptor = Vec::new();
    let mut workers = Vec::new();
    for (index, a) in acceptors.into_iter().enumerate() {
        let (served, worker) = a.join().unwrap();
        assert!(worker.ends_with(&format!("-{}", index % 2)), "acceptor {index} ran on {worker}");
        for &id in &served {
            *served_count.entry(id).or_default() += 1;
            assert_eq!(
                answered_by[id as usize], index as u32,
                "connection {id} was answered by its acceptor"
            );
        }
        per_acceptor.push(served.len());
        workers.push(worker);
    }
    assert_eq!(per_acceptor.iter().sum::<usize>(), CONNECTIONS as usize, "accepts in total");
    for id in 0..CONNECTIONS {
        assert_eq!(served_count.get(&id), Some(&1), "connection {id} served once");
    }
    println!("accepts per acceptor: {per_acceptor:?} on {workers:?}");
}

/// Two acceptors wait; two connections arrive while the acceptors' worker
/// is busy, so epoll reports them in one edge. Each acceptor serves its
/// connection inline: greets it, then reads until the client closes.
/// Returns what each client read within the guard time.
fn two_connections_in_one_edge(
    start_acceptors: impl FnOnce(Arc<AtomicBool>, mpsc::Sender<()>) -> Box<dyn FnOnce()>,
    addr: std::net::SocketAddr,
) -> (Result<Vec<u8>, ErrorKind>, Result<Vec<u8>, ErrorKind>) {
    let go = Arc::new(AtomicBool::new(false));
    let (busy_tx, busy_rx) = mpsc::channel();
    let join = start_acceptors(go.clone(), busy_tx);
    busy_rx.recv_timeout(GUARD).expect("the acceptors' worker is busy");
    let c1 = std::net::TcpStream::connect(addr).unwrap();
    let c2 = std::net::TcpStream::connect(addr).unwrap();
    go.store(true, SeqCst);
    let greeting = |mut c: &std::net::TcpStream| {
        c.set_read_timeout(Some(GUARD)).unwrap();
        let mut hello = [0u8; 5];
        c.read_exact(&mut hello).map(|()| hello.to_vec()).map_err(|e| e.kind())
    };
    let (g1, g2) = (greeting(&c1), greeting(&c2));
    drop((c1, c2));
    join();
    (g1, g2)
}

/// Accepts one connection, greets it, reads until it closes.
fn serve_one(listener: &TcpListener) {
    if let Ok((mut s, _)) = listener.accept_timeout(GUARD) {
        s.set_read_timeout(Some(GUARD)).unwrap();
        s.write_all(b"hello").unwrap();
        let _ = s.read_to_end(&mut Vec::new());
    }
}

/// Stands in for busy fibers: keeps its thread from doing anything else
/// until `go` (at most the guard time).
fn busy_until(go: &AtomicBool, busy: mpsc::Sender<()>) {
    busy.send(()).unwrap();
    let start = Instant::now();
    while !go.load(SeqCst) && start.elapsed() < GUARD {
        std::hint::spin_loop();
    }
}

#[test]
fn two_connections_in_one_edge_both_find_an_acceptor() {
    // std: two threads blocked in accept; the kernel wakes one per
    // connection.
    let listener = Arc::new(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = listener.local_addr().unwrap();
    let std_outcome = two_connections_in_one_edge(
        |go, busy| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let l = listener.clone();
                    thread::spawn(move || {
                        let (mut s, _) = l.accept().unwrap();
                        s.write_all(b"hello").unwrap();
                        let _ = s.read_to_end(&mut Vec::new());
                    })
                })
                .collect();
            thread::spawn(move || busy_until(&go, busy));
            Box::new(move || threads.into_iter().for_each(|t| t.join().unwrap()))
        },
        addr,
    );
    assert_eq!(std_outcome, (Ok(b"hello".to_vec()), Ok(b"hello".to_vec())), "std");

    // fiberio, one worker: both acceptors park in accept, then a busy fiber
    // holds the worker while both connections complete their handshakes.
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    for round in 0..3 {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let outcome = two_connections_in_one_edge(
            |go, busy| {
                // Started in this order on the one worker: both acceptors
                // park before the busy fiber runs.
                let acceptors: Vec<_> = (0..2)
                    .map(|_| {
                        let l = listener.clone();
                        rt.spawn(move || serve_one(&l))
                    })
                    .collect();
                let busy = rt.spawn(move || busy_until(&go, busy));
                Box::new(move || {
                    busy.join().unwrap();
                    acceptors.into_iter().for_each(|a| a.join().unwrap());
                })
            },
            addr,
        );
        assert_eq!(
            outcome, std_outcome,
            "round {round} (WouldBlock: a connection waited while an acceptor idled)"
        );
    }
}
