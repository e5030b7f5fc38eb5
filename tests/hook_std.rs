//! With the `hook` feature, unmodified std code on fibers parks only its
//! fiber: 10 fibers on one worker overlap their std socket calls, their
//! `std::thread::sleep`s and their name resolutions.
#![cfg(feature = "hook")]

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use util::{OVERLAPPED, SLOW, Watchdog, answer_line, on_one_worker, read_line, slow_server, verdict};

#[test]
fn std_tcp_calls_overlap_on_one_worker() {
    let _w = Watchdog::new("std_tcp_calls_overlap_on_one_worker", 60);
    let addr = slow_server(10, read_line, answer_line);
    let (answers, took) = on_one_worker(10, move |i| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("request {i}\n").as_bytes()).unwrap();
        let mut answer = String::new();
        BufReader::new(s).read_line(&mut answer).unwrap();
        answer.trim().to_string()
    });
    assert!(answers.iter().all(|a| a == verdict(true)), "{answers:?}");
    eprintln!("10 std::net requests, 300 ms each, on one worker: {took:?}");
    assert!(took < OVERLAPPED, "took {took:?}");
}

#[test]
fn std_thread_sleep_parks_only_the_fiber() {
    let (_, took) = on_one_worker(10, |_| std::thread::sleep(SLOW));
    eprintln!("10 std::thread::sleep(300 ms) on one worker: {took:?}");
    assert!(took >= SLOW, "a sleep returned early: {took:?}");
    assert!(took < OVERLAPPED, "took {took:?}");
}

#[test]
fn std_name_resolution_runs_on_the_helper_pool() {
    let before = fiberio::blocking_pool_metrics().completed;
    let (addrs, _) = on_one_worker(4, |_| ("localhost", 80).to_socket_addrs().unwrap().collect::<Vec<_>>());
    for a in &addrs {
        assert!(a.iter().any(|a| a.ip().is_loopback()), "{a:?}");
    }
    // Each lookup is a job of the pool (counted just after its caller is
    // handed the result, so wait for the count).
    util::wait_until(util::PATIENCE, "four resolver jobs", || {
        fiberio::blocking_pool_metrics().completed >= before + 4
    });
}

#[test]
fn std_pipe_reader_parks_while_the_writer_runs_on_the_same_worker() {
    let _w = Watchdog::new("std_pipe_reader_parks", 60);
    let rt = util::one_worker();
    let (mut r, mut w) = std::io::pipe().unwrap();
    // The reader starts first and blocks in `read`: only a parked fiber
    // lets the writer, on the same worker, run.
    let reader = rt.spawn(move || {
        let mut got = String::new();
        r.read_to_string(&mut got).unwrap();
        got
    });
    let writer = rt.spawn(move || {
        w.write_all(b"through a std pipe").unwrap();
    });
    writer.join().unwrap();
    assert_eq!(reader.join().unwrap(), "through a std pipe");
}

#[test]
fn std_udp_recv_parks_while_the_sender_runs_on_the_same_worker() {
    let _w = Watchdog::new("std_udp_recv_parks", 60);
    let rt = util::one_worker();
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let receiver = rt.spawn(move || {
        let mut buf = [0; 16];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        (buf[..n].to_vec(), from)
    });
    let sender = rt.spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.send_to(b"datagram", addr).unwrap();
        s.local_addr().unwrap()
    });
    let from = sender.join().unwrap();
    assert_eq!(receiver.join().unwrap(), (b"datagram".to_vec(), from));
}

#[test]
fn std_connect_timeout_and_read_timeout_on_fibers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (err, _) = on_one_worker(1, move |_| {
        // `connect_timeout` sets FIONBIO, connects, waits in `poll`.
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut buf = [0; 1];
        (&s).read(&mut buf).unwrap_err().kind()
    });
    drop(listener);
    assert_eq!(err, vec![std::io::ErrorKind::WouldBlock], "std reports a read timeout as WouldBlock");
}
