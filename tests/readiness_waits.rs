//! `readable()` and `writable()` on fiberio's sockets and `PollFd`: they
//! park only the fiber until the fd is really ready (data, a datagram, the
//! peer's end, room to write), return at once when it is, ignore the
//! socket's non-blocking mode, and block a plain thread off a fiber.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use fiberio::net::{TcpListener, TcpStream, UdpSocket};
use fiberio::os::unix::net::UnixStream;
use util::{PATIENCE, Watchdog, one_worker, spawn_counter, wait_until};

fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

#[test]
fn readable_parks_only_the_fiber_until_data_arrives() {
    let _w = Watchdog::new("readable_parks_only_the_fiber_until_data_arrives", 60);
    let rt = one_worker();
    let (count, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let counter = spawn_counter(&rt, &count, &stop);
    let (mut client, server) = rt.block_on(pair);
    let reader = rt.spawn(move || {
        server.readable().unwrap();
        // Ready for real: a non-blocking read finds the data.
        server.set_nonblocking(true).unwrap();
        let mut buf = [0; 8];
        (&server).read(&mut buf).unwrap()
    });
    // The worker keeps running the counter while the reader waits.
    let at = count.load(SeqCst);
    wait_until(PATIENCE, "the counter advances while readable() waits", || count.load(SeqCst) > at + 100);
    assert!(!reader.is_finished(), "no data yet");
    client.write_all(b"hello").unwrap();
    assert_eq!(reader.join().unwrap(), 5);
    stop.store(true, SeqCst);
    counter.join().unwrap();
}

#[test]
fn readable_returns_at_once_when_ready_and_on_the_peers_end() {
    let rt = one_worker();
    rt.block_on(|| {
        let (mut client, server) = pair();
        client.write_all(b"x").unwrap();
        server.readable().unwrap();
        server.readable().unwrap(); // still ready: nothing was read
        drop(client);
        let mut buf = [0; 4];
        assert_eq!((&server).read(&mut buf).unwrap(), 1);
        server.readable().unwrap(); // the end of the stream is readable
        assert_eq!((&server).read(&mut buf).unwrap(), 0);
    });
}

#[test]
fn readable_waits_even_on_a_non_blocking_socket() {
    let _w = Watchdog::new("readable_waits_even_on_a_non_blocking_socket", 60);
    let rt = one_worker();
    let (mut client, server) = rt.block_on(pair);
    server.set_nonblocking(true).unwrap();
    let mut buf = [0; 4];
    assert_eq!(rt.block_on(|| (&server).read(&mut buf).unwrap_err().kind()), ErrorKind::WouldBlock);
    let reader = rt.spawn(move || server.readable());
    wait_until(PATIENCE, "the reader parks", || rt.metrics()[0].parks >= 1);
    assert!(!reader.is_finished());
    client.write_all(b"x").unwrap();
    reader.join().unwrap().unwrap();
}

#[test]
fn writable_waits_for_room_in_the_send_buffer() {
    let _w = Watchdog::new("writable_waits_for_room_in_the_send_buffer", 60);
    let rt = one_worker();
    let (client, mut server) = rt.block_on(pair);
    rt.block_on(|| client.writable()).unwrap(); // a fresh socket has room
    // Fill both buffers without blocking.
    client.set_nonblocking(true).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut written = 0usize;
    loop {
        match (&client).write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    let writer = rt.spawn(move || {
        client.writable().unwrap();
        (&client).write(&chunk).unwrap()
    });
    wait_until(PATIENCE, "the writer parks", || rt.metrics()[0].parks >= 1);
    assert!(!writer.is_finished(), "no room until the peer reads");
    // Drain what was written; the writer then finds room.
    server.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut sink = vec![0u8; written];
    server.read_exact(&mut sink).unwrap();
    assert!(writer.join().unwrap() > 0);
}

#[test]
fn udp_and_unix_sockets_wait_for_readiness() {
    let _w = Watchdog::new("udp_and_unix_sockets_wait_for_readiness", 60);
    let rt = one_worker();
    let a = rt.block_on(|| UdpSocket::bind("127.0.0.1:0")).unwrap();
    let b = rt.block_on(|| UdpSocket::bind("127.0.0.1:0")).unwrap();
    let to = a.local_addr().unwrap();
    let got = rt.spawn(move || {
        a.readable().unwrap();
        let mut buf = [0; 8];
        a.set_nonblocking(true).unwrap();
        a.recv(&mut buf).unwrap()
    });
    wait_until(PATIENCE, "the UDP reader parks", || rt.metrics()[0].parks >= 1);
    b.send_to(b"dgram", to).unwrap();
    assert_eq!(got.join().unwrap(), 5);

    let (mut x, y) = UnixStream::pair().unwrap();
    let got = rt.spawn(move || {
        y.readable().unwrap();
        y.writable().unwrap();
        let mut buf = [0; 8];
        (&y).read(&mut buf).unwrap()
    });
    x.write_all(b"unix").unwrap();
    assert_eq!(got.join().unwrap(), 4);
}

#[test]
fn off_a_fiber_readable_blocks_the_thread() {
    let _w = Watchdog::new("off_a_fiber_readable_blocks_the_thread", 60);
    let (mut client, server) = pair();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        client.write_all(b"late").unwrap();
        client
    });
    server.readable().unwrap();
    let mut buf = [0; 8];
    server.set_nonblocking(true).unwrap();
    assert_eq!((&server).read(&mut buf).unwrap(), 4);
    drop(writer.join().unwrap());
}
