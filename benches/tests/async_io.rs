//! The async IO traits (features `tokio-io` and `futures-io`, which this
//! crate turns on) and `poll_read_ready`, polled inside
//! `fiberio::future::block_on` on fibers: data crosses intact both ways
//! while reads and writes wait; a pending poll is polled again only after
//! its socket's edge woke its waker (no busy polling); a task on another
//! worker than the one whose poller holds the socket is woken; the peer's
//! close wakes a pending read with EOF; a poll off a fiber fails clearly.

#[path = "../../tests/util/mod.rs"]
mod util;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

use fiberio::future::block_on;
use fiberio::net::{TcpListener, TcpStream, UdpSocket};
use fiberio::os::unix::net::UnixStream;

/// A connected loopback pair, made on the calling fiber or thread.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// `len` bytes of a pattern that shows a lost or reordered chunk.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i >> 12) as u8).collect()
}

/// 8 MiB each way through tokio's `AsyncRead`/`AsyncWrite`, more than the
/// socket buffers hold, so both directions wait: one side echoes with
/// `tokio::io::copy` over `&stream` halves, the other writes and reads at
/// once (`tokio::join!` in one `block_on`).
#[test]
fn tokio_traits_echo_eight_mib_while_both_directions_wait() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _w = util::Watchdog::new("tokio_traits_echo", 60);
    let rt = util::two_workers();
    let data = pattern(8 << 20);
    let expected = data.clone();
    let back = rt.block_on(move || {
        let (client, server) = tcp_pair();
        let echo = fiberio::spawn(move || {
            block_on(async {
                let (mut r, mut w) = (&server, &server);
                let n = tokio::io::copy(&mut r, &mut w).await.unwrap();
                AsyncWriteExt::shutdown(&mut w).await.unwrap();
                n
            })
        });
        let back = block_on(async {
            let (mut r, mut w) = (&client, &client);
            let send = async {
                w.write_all(&data).await.unwrap();
                AsyncWriteExt::shutdown(&mut w).await.unwrap();
            };
            let mut back = Vec::new();
            let recv = r.read_to_end(&mut back);
            let ((), got) = tokio::join!(send, recv);
            got.unwrap();
            back
        });
        assert_eq!(echo.join().unwrap(), 8 << 20);
        back
    });
    assert!(back == expected, "the echo came back different ({} of {} bytes)", back.len(), expected.len());
}

/// The same through the `futures-io` traits, on a Unix stream pair, with a
/// reader and a writer fiber on a 1-worker runtime.
#[test]
fn futures_traits_carry_four_mib_over_a_unix_stream() {
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    let _w = util::Watchdog::new("futures_traits_unix", 60);
    let rt = util::one_worker();
    let data = pattern(4 << 20);
    let expected = data.clone();
    let back = rt.block_on(move || {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let writer = fiberio::spawn(move || {
            block_on(async {
                a.write_all(&data).await.unwrap();
                a.close().await.unwrap();
            })
        });
        let mut back = Vec::new();
        block_on(b.read_to_end(&mut back)).unwrap();
        writer.join().unwrap();
        back
    });
    assert!(back == expected, "the stream came back different ({} of {} bytes)", back.len(), expected.len());
}

/// A read that finds no data is polled exactly twice: once to return
/// `Pending` (which lets the writer go), once after the write's edge woke
/// its waker. A busy-polling or timer-driven adapter polls more.
#[test]
fn a_pending_read_is_polled_again_only_after_its_edge() {
    let _w = util::Watchdog::new("pending_read_polled_twice", 60);
    let rt = util::two_workers();
    let polls = rt.block_on(|| {
        let (client, server) = tcp_pair();
        let (go, went) = fiberio::sync::mpsc::channel::<()>();
        let writer = fiberio::spawn(move || {
            went.recv().unwrap();
            std::io::Write::write_all(&mut &server, b"hello").unwrap();
            server
        });
        let polls = AtomicUsize::new(0);
        let mut buf = [0u8; 64];
        let n = block_on(poll_fn(|cx| {
            let mut read_buf = tokio::io::ReadBuf::new(&mut buf);
            let polled = tokio::io::AsyncRead::poll_read(Pin::new(&mut &client), cx, &mut read_buf);
            if polls.fetch_add(1, SeqCst) == 0 {
                assert!(polled.is_pending(), "the first poll found data nobody had sent");
                go.send(()).unwrap();
            }
            polled.map_ok(|()| read_buf.filled().len())
        }))
        .unwrap();
        assert_eq!(&buf[..n], b"hello");
        drop(writer.join().unwrap());
        polls.load(SeqCst)
    });
    assert_eq!(polls, 2, "the read was polled {polls} times: once pending, once after the edge expected");
}

/// The socket is first used on worker 0, so worker 0's poller holds it;
/// then a fiber on worker 1 polls a read that waits. The edge arrives at
/// worker 0 and wakes the waker, which resumes the fiber on worker 1.
#[test]
fn a_task_on_another_worker_than_the_sockets_poller_is_woken() {
    use tokio::io::AsyncReadExt;
    let _w = util::Watchdog::new("task_on_other_worker", 60);
    let rt = util::two_workers();
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    let c = client.clone();
    let registered = util::spawn_on(&rt, 0, move || {
        // A read that waits once registers the socket with worker 0.
        let s2 = server.clone();
        let writer = fiberio::spawn(move || {
            fiberio::yield_now();
            std::io::Write::write_all(&mut &*s2, b"1").unwrap();
        });
        let mut one = [0u8; 1];
        std::io::Read::read_exact(&mut &*c, &mut one).unwrap();
        writer.join().unwrap();
        (util::worker_name(), server)
    });
    let (first_worker, server) = registered.join().unwrap();
    let reader = util::spawn_on(&rt, 1, move || {
        let (go, went) = fiberio::sync::mpsc::channel::<()>();
        let s = server.clone();
        let writer = std::thread::spawn(move || {
            went.recv().unwrap();
            std::io::Write::write_all(&mut &*s, b"second").unwrap();
        });
        let mut buf = [0u8; 6];
        let polls = AtomicUsize::new(0);
        block_on(async {
            poll_fn(|cx| {
                if polls.fetch_add(1, SeqCst) == 0 {
                    // Pending first: nobody wrote yet; then let the writer go.
                    let mut rb = tokio::io::ReadBuf::new(&mut buf);
                    let p = tokio::io::AsyncRead::poll_read(Pin::new(&mut &*client), cx, &mut rb);
                    assert!(p.is_pending());
                    go.send(()).unwrap();
                    return Poll::Pending;
                }
                Poll::Ready(())
            })
            .await;
            (&*client).read_exact(&mut buf).await.unwrap();
        });
        writer.join().unwrap();
        (util::worker_name(), buf)
    });
    let (second_worker, buf) = reader.join().unwrap();
    assert_ne!(first_worker, second_worker);
    assert_eq!(&buf, b"second");
}

/// A read waiting in a task ends with EOF when the peer closes.
#[test]
fn the_peers_close_wakes_a_pending_read_with_eof() {
    use tokio::io::AsyncReadExt;
    let _w = util::Watchdog::new("peer_close_eof", 60);
    let rt = util::one_worker();
    let n = rt.block_on(|| {
        let (client, server) = tcp_pair();
        let closer = fiberio::spawn(move || {
            fiberio::yield_now();
            drop(server);
        });
        let mut buf = [0u8; 16];
        let n = block_on((&client).read(&mut buf)).unwrap();
        closer.join().unwrap();
        n
    });
    assert_eq!(n, 0);
}

/// `UdpSocket::poll_read_ready`: pending until a datagram arrives, then
/// ready after one wake.
#[test]
fn poll_read_ready_waits_for_a_datagram() {
    let _w = util::Watchdog::new("udp_poll_read_ready", 60);
    let rt = util::one_worker();
    let polls = rt.block_on(|| {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        let (go, went) = fiberio::sync::mpsc::channel::<()>();
        let sender = fiberio::spawn(move || {
            went.recv().unwrap();
            UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"ping", addr).unwrap();
        });
        let polls = AtomicUsize::new(0);
        block_on(poll_fn(|cx| {
            let ready = sock.poll_read_ready(cx);
            if polls.fetch_add(1, SeqCst) == 0 {
                assert!(ready.is_pending(), "ready before any datagram was sent");
                go.send(()).unwrap();
            }
            ready
        }))
        .unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(sock.recv(&mut buf).unwrap(), 4);
        sender.join().unwrap();
        polls.load(SeqCst)
    });
    assert_eq!(polls, 2);
}

/// Off a fiber (here `block_on` on a plain thread) there is no worker to
/// watch the socket: the poll fails and says where to poll instead.
#[test]
fn a_poll_off_a_fiber_fails_and_says_why() {
    use tokio::io::AsyncReadExt;
    let (client, _server) = tcp_pair();
    let mut buf = [0u8; 4];
    let err = block_on((&client).read(&mut buf)).unwrap_err();
    assert!(err.to_string().contains("outside a fiber"), "{err}");
}
