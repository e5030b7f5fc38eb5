//! Shutting a runtime down closes every fd it and its fibers opened: the
//! sockets of fibers left parked in `accept`, `read`, `connect` (with and
//! without timeouts), and the runtime's own epoll instances and eventfds.
//! A socket that outlives the runtime keeps only its own fd open, and
//! still works.
//!
//! Each scenario runs in a child process (`util::run_child`), so the fds
//! of tests running in parallel do not count; the child prints its
//! `/proc/self/fd` counts and the parent checks them.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};

const WORKERS: usize = 2;
const CLIENTS: usize = 20;
const HOUR: Duration = Duration::from_secs(3600);

/// The child of `fibers_parked_in_io_leave_no_fd_behind_after_shutdown`.
fn parked_fibers_child() {
    let before = util::fd_count();
    let rt = fiberio::Runtime::builder().workers(WORKERS).build().unwrap();
    let with_runtime = util::fd_count();

    // A listener whose accept queue is full: a connect to it stays pending.
    let full = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    full.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
    full.listen(0).unwrap();
    let full_addr = full.local_addr().unwrap().as_socket().unwrap();
    let queued = std::net::TcpStream::connect(full_addr).unwrap();

    let (parked_tx, parked_rx) = mpsc::channel::<&'static str>();
    let mut handles = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The server: accepts CLIENTS connections, gives each a handler parked
    // in `read` (half of them with a timeout), then parks in `accept`.
    let tx = parked_tx.clone();
    handles.push(rt.spawn(move || {
        for i in 0..CLIENTS {
            let (mut s, _) = listener.accept().unwrap();
            let tx = tx.clone();
            fiberio::spawn(move || {
                if i % 2 == 0 {
                    s.set_read_timeout(Some(HOUR)).unwrap();
                }
                let mut hello = [0u8; 5];
                s.read_exact(&mut hello).unwrap();
                tx.send("handler").unwrap();
                let _ = s.read(&mut [0u8; 8]); // the client never sends more
                unreachable!("parked until shutdown");
            });
        }
        tx.send("acceptor").unwrap();
        let _ = listener.accept();
        unreachable!("parked until shutdown");
    }));
    // Clients: connect, say hello, park in `read` (the server never answers).
    for i in 0..CLIENTS {
        let tx = parked_tx.clone();
        handles.push(rt.spawn(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            if i % 2 == 1 {
                c.set_read_timeout(Some(HOUR)).unwrap();
            }
            c.write_all(b"hello").unwrap();
            tx.send("client").unwrap();
            let _ = c.read(&mut [0u8; 8]);
            unreachable!("parked until shutdown");
        }));
    }
    // One fiber parked in `accept_timeout`, one in `connect_timeout`.
    let tx = parked_tx.clone();
    handles.push(rt.spawn(move || {
        let idle = TcpListener::bind("127.0.0.1:0").unwrap();
        tx.send("accept_timeout").unwrap();
        let _ = idle.accept_timeout(HOUR);
        unreachable!("parked until shutdown");
    }));
    let tx = parked_tx.clone();
    handles.push(rt.spawn(move || {
        tx.send("connect_timeout").unwrap();
        let _ = TcpStream::connect_timeout(&full_addr, HOUR);
        unreachable!("parked until shutdown");
    }));
    drop(parked_tx);
    let expected = 2 * CLIENTS + 3;
    for n in 0..expected {
        parked_rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{n} of {expected} parked: {e}"));
    }
    std::thread::sleep(Duration::from_millis(50)); // let the last ones park
    let busy = util::fd_count();

    rt.shutdown();
    for h in handles {
        assert!(h.join().is_err(), "a parked fiber ends with the runtime's shutdown");
    }
    drop((full, queued));
    let after = util::fd_count();
    println!("before={before}");
    println!("with_runtime={with_runtime}");
    println!("busy={busy}");
    println!("after={after}");
    if after != before {
        println!("open={:?}", util::fd_list());
    }
}

fn counts(stdout: &str) -> impl Fn(&str) -> usize + '_ {
    move |key| {
        let v = util::field(stdout, &format!("{key}=")).unwrap_or_else(|| panic!("no {key} in:\n{stdout}"));
        v.trim().parse().unwrap_or_else(|_| panic!("{key}={v}"))
    }
}

#[test]
fn fibers_parked_in_io_leave_no_fd_behind_after_shutdown() {
    if util::is_child("parked") {
        return parked_fibers_child();
    }
    let out = util::run_child("fibers_parked_in_io_leave_no_fd_behind_after_shutdown", "parked", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let n = counts(&stdout);
    // Each worker has an epoll instance and an eventfd.
    assert_eq!(n("with_runtime"), n("before") + 2 * WORKERS, "{stdout}");
    // Two sockets per connection, two listeners, the pending connect, the
    // full listener and its queued connection: all open while parked.
    assert!(n("busy") >= n("with_runtime") + 2 * CLIENTS + 5, "{stdout}");
    assert_eq!(n("after"), n("before"), "fds left open after shutdown:\n{stdout}");
}

/// The child of `a_socket_outliving_its_runtime_keeps_only_its_own_fd`.
fn outliving_socket_child() {
    let before = util::fd_count();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let with_listener = util::fd_count();
    let rt = fiberio::Runtime::builder().workers(WORKERS).build().unwrap();
    // A fiber waits on the listener (registering it with its worker's epoll)
    // and gives up.
    let timed_out = rt.block_on(|| listener.accept_timeout(Duration::from_millis(5)).map(|_| ()));
    assert_eq!(timed_out.map_err(|e| e.kind()), Err(ErrorKind::TimedOut));
    rt.shutdown();
    let after_shutdown = util::fd_count();
    let open = util::fd_list();
    // The listener still works, from a plain thread.
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || std::net::TcpStream::connect(addr).unwrap().write_all(b"hi"));
    let (mut s, _) = listener.accept_timeout(Duration::from_secs(5)).unwrap();
    let mut hi = [0u8; 2];
    s.read_exact(&mut hi).unwrap();
    client.join().unwrap().unwrap();
    assert_eq!(&hi, b"hi");
    drop((s, listener));
    let after = util::fd_count();
    println!("before={before}");
    println!("with_listener={with_listener}");
    println!("after_shutdown={after_shutdown}");
    println!("after={after}");
    println!("open_after_shutdown={open:?}");
}

#[test]
fn a_socket_outliving_its_runtime_keeps_only_its_own_fd() {
    if util::is_child("outliving") {
        return outliving_socket_child();
    }
    let out = util::run_child("a_socket_outliving_its_runtime_keeps_only_its_own_fd", "outliving", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let n = counts(&stdout);
    assert_eq!(n("with_listener"), n("before") + 1, "{stdout}");
    assert_eq!(
        n("after_shutdown"),
        n("with_listener"),
        "after shutdown only the listener should remain, not its dead worker's epoll/eventfd:\n{stdout}"
    );
    assert_eq!(n("after"), n("before"), "{stdout}");
}
