//! With the `hook` feature, a fiber sees an fd as the program set it: its
//! own `O_NONBLOCK`, its receive timeout, a `close` by another fiber, a
//! number reused after `close`; a cancelled fiber's hooked call fails
//! instead of unwinding through C.
#![cfg(feature = "hook")]

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

#[test]
fn the_programs_own_o_nonblock_gives_wouldblock_on_a_fiber() {
    let (a, _b) = UnixStream::pair().unwrap();
    let a = Arc::new(a);
    let (kinds, _) = util::on_one_worker(1, move |_| {
        a.set_nonblocking(true).unwrap();
        let mut buf = [0; 1];
        (&*a).read(&mut buf).unwrap_err().kind()
    });
    assert_eq!(kinds, vec![ErrorKind::WouldBlock]);
}

#[test]
fn a_read_timeout_parks_only_the_fiber_then_fails_with_wouldblock() {
    let _w = util::Watchdog::new("a_read_timeout_parks_only_the_fiber", 60);
    let rt = util::one_worker();
    let (count, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let counter = util::spawn_counter(&rt, &count, &stop);
    let (a, _b) = UnixStream::pair().unwrap();
    let c = count.clone();
    let reader = rt.spawn(move || {
        a.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let before = c.load(SeqCst);
        let kind = (&a).read(&mut [0; 1]).unwrap_err().kind();
        (kind, c.load(SeqCst) - before)
    });
    let (kind, ran) = reader.join().unwrap();
    stop.store(true, SeqCst);
    counter.join().unwrap();
    assert_eq!(kind, ErrorKind::WouldBlock, "std reports SO_RCVTIMEO as WouldBlock");
    assert!(ran > 0, "the worker ran the counter fiber while the reader waited");
}

#[test]
fn close_by_another_fiber_wakes_the_waiting_one_with_ebadf() {
    let _w = util::Watchdog::new("close_wakes_the_waiting_fiber", 60);
    let rt = util::one_worker();
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.into_raw_fd();
    let reader = rt.spawn(move || {
        // SAFETY: `fd` is open; the stream is forgotten, never closed here.
        let s = unsafe { UnixStream::from_raw_fd(fd) };
        let res = (&s).read(&mut [0; 1]);
        std::mem::forget(s);
        res.map_err(|e| e.raw_os_error())
    });
    util::wait_until(util::PATIENCE, "the reader parks", || rt.metrics()[0].parks > 0);
    // SAFETY: closes the fd the reader waits on; nothing else owns it.
    rt.spawn(move || assert_eq!(unsafe { libc::close(fd) }, 0)).join().unwrap();
    assert_eq!(reader.join().unwrap(), Err(Some(libc::EBADF)));
}

/// A fiber reads 5 bytes on `s`, parking until `peer` writes them.
fn read_parked(rt: &fiberio::Runtime, s: UnixStream, peer: &mut UnixStream, data: &[u8; 5]) {
    let parks = rt.metrics()[0].parks;
    let reader = rt.spawn(move || {
        let mut buf = [0; 5];
        (&s).read_exact(&mut buf).map(|()| buf)
    });
    util::wait_until(util::PATIENCE, "the reader parks", || rt.metrics()[0].parks > parks);
    peer.write_all(data).unwrap();
    assert_eq!(&reader.join().unwrap().unwrap(), data);
}

#[test]
fn a_reused_fd_number_starts_afresh() {
    let _w = util::Watchdog::new("a_reused_fd_number_starts_afresh", 60);
    let rt = util::one_worker();
    let (a, mut b) = UnixStream::pair().unwrap();
    let number = a.as_raw_fd();
    let keep = a.try_clone().unwrap(); // the old socket outlives its fd number
    read_parked(&rt, a, &mut b, b"first"); // adopted and registered, then closed
    let (c, mut d) = UnixStream::pair().unwrap();
    // The new socket takes the old number (dup2 onto it if the kernel
    // handed out another one).
    let c = if c.as_raw_fd() == number {
        c
    } else {
        // SAFETY: `number` is free (closed above); dup2 makes it `c`'s.
        assert_eq!(unsafe { libc::dup2(c.as_raw_fd(), number) }, number);
        // SAFETY: `number` is now an fd nothing else owns.
        unsafe { UnixStream::from_raw_fd(number) }
    };
    b.write_all(b"stale").unwrap(); // an event of the old socket, not of this fd
    read_parked(&rt, c, &mut d, b"fresh");
    drop(keep);
}

#[test]
fn a_cancelled_fiber_sees_ecanceled_then_unwinds_at_its_next_blocking_point() {
    let _w = util::Watchdog::new("a_cancelled_fiber_sees_ecanceled", 60);
    let rt = util::one_worker();
    let (a, _b) = UnixStream::pair().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let h = rt.spawn(move || {
        let err = (&a).read(&mut [0; 1]).unwrap_err();
        tx.send(err.raw_os_error()).unwrap();
        fiberio::sleep(Duration::from_secs(3600)); // unwinds here
    });
    util::wait_until(util::PATIENCE, "the reader parks", || rt.metrics()[0].parks > 0);
    h.cancel();
    assert_eq!(rx.recv().unwrap(), Some(libc::ECANCELED));
    assert!(h.join().unwrap_err().is::<fiberio::Cancelled>());
}

#[test]
fn a_call_on_an_fd_that_is_not_open_fails_with_ebadf_on_a_fiber() {
    let _w = util::Watchdog::new("a_call_on_an_fd_that_is_not_open", 60);
    // A number far above what this test process opens, closed (and never
    // seen by the hook).
    let number = 4000;
    let (res, _) = util::on_one_worker(1, move |_| {
        // SAFETY: F_GETFD takes no argument; it only asks whether `number` is open.
        assert_eq!(unsafe { libc::fcntl(number, libc::F_GETFD) }, -1, "fd {number} is closed");
        let mut buf = [0u8; 1];
        // SAFETY: a valid buffer; `number` is closed, which read(2) reports.
        let n = unsafe { libc::read(number, buf.as_mut_ptr().cast(), 1) };
        (n, std::io::Error::last_os_error().raw_os_error())
    });
    assert_eq!(res, vec![(-1, Some(libc::EBADF))]);
}
