//! Unix-domain streams and datagrams between fibers, and from a plain thread.

mod util;

use std::io::{Read, Write};

use fiberio::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use util::temp_socket_path as temp_path;

#[test]
fn a_stream_pair_carries_a_megabyte_each_way() {
    let rt = fiberio::Runtime::builder().workers(2).build().unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let data: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let expected = data.clone();
    let echo = rt.spawn(move || {
        let mut b = b;
        let mut buf = vec![0; 1 << 20];
        b.read_exact(&mut buf).unwrap();
        b.write_all(&buf).unwrap();
    });
    let back = rt
        .spawn(move || {
            let writer = a.try_clone().unwrap();
            let w = fiberio::spawn(move || (&writer).write_all(&data).unwrap());
            let mut got = vec![0; 1 << 20];
            (&a).read_exact(&mut got).unwrap();
            w.join().unwrap();
            got
        })
        .join()
        .unwrap();
    echo.join().unwrap();
    assert!(back == expected);
}

#[test]
fn listener_accepts_from_fibers_and_plain_threads() {
    let path = temp_path("listener");
    let listener = UnixListener::bind(&path).unwrap();
    let server = fiberio::spawn(move || {
        for _ in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut line = [0u8; 4];
            s.read_exact(&mut line).unwrap();
            s.write_all(&line).unwrap();
        }
    });
    let p = path.clone();
    let from_fiber = fiberio::spawn(move || {
        let mut c = UnixStream::connect(&p).unwrap();
        c.write_all(b"fibr").unwrap();
        let mut r = [0; 4];
        c.read_exact(&mut r).unwrap();
        r
    });
    assert_eq!(&from_fiber.join().unwrap(), b"fibr");
    let mut c = UnixStream::connect(&path).unwrap(); // plain thread: blocks
    c.write_all(b"thrd").unwrap();
    let mut r = [0; 4];
    c.read_exact(&mut r).unwrap();
    assert_eq!(&r, b"thrd");
    server.join().unwrap();
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn datagrams_keep_their_boundaries() {
    let path = temp_path("dgram");
    let receiver = UnixDatagram::bind(&path).unwrap();
    let got = fiberio::spawn(move || {
        let mut sizes = Vec::new();
        let mut buf = [0u8; 256];
        for _ in 0..3 {
            let (n, _) = receiver.recv_from(&mut buf).unwrap();
            sizes.push(n);
        }
        sizes
    });
    let sender = UnixDatagram::unbound().unwrap();
    for n in [1usize, 100, 200] {
        sender.send_to(&vec![9; n], &path).unwrap();
    }
    assert_eq!(got.join().unwrap(), vec![1, 100, 200]);
    let (a, b) = UnixDatagram::pair().unwrap();
    b.set_read_timeout(Some(std::time::Duration::from_millis(20))).unwrap();
    let err = fiberio::spawn(move || b.recv(&mut [0; 8]).unwrap_err().kind()).join().unwrap();
    assert_eq!(err, std::io::ErrorKind::WouldBlock, "a read timeout is WouldBlock, as std on Linux");
    drop(a);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
