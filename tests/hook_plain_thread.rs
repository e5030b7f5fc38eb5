//! With the `hook` feature, off a fiber every interposed function behaves
//! as libc's: same results, same errors, blocking where the program left
//! an fd blocking — including an fd a fiber made the hook adopt.
#![cfg(feature = "hook")]

mod util;

use std::ffi::{CStr, c_int, c_void};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

const BAD_FD: c_int = 999_999;

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// `-1` with `EBADF`, as libc answers on an fd that is not open.
fn ebadf(res: isize) {
    assert_eq!((res, errno()), (-1, libc::EBADF));
}

#[test]
fn every_interposed_symbol_is_the_executables() {
    let exe = std::fs::read_link("/proc/self/exe").unwrap();
    for name in [
        c"read",
        c"write",
        c"readv",
        c"writev",
        c"recv",
        c"recvfrom",
        c"recvmsg",
        c"send",
        c"sendto",
        c"sendmsg",
        c"socket",
        c"accept",
        c"accept4",
        c"connect",
        c"close",
        c"dup",
        c"dup2",
        c"dup3",
        c"fcntl",
        c"ioctl",
        c"setsockopt",
        c"poll",
        c"ppoll",
        c"nanosleep",
        c"clock_nanosleep",
        c"epoll_wait",
        c"epoll_pwait",
        c"getaddrinfo",
    ] {
        // SAFETY: a NUL-terminated name; RTLD_DEFAULT searches the global scope.
        let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        assert!(!sym.is_null(), "{name:?} not found");
        // SAFETY: an all-zero Dl_info is a valid out-buffer.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        // SAFETY: `sym` is an address in a loaded object; `info` is writable.
        assert_ne!(unsafe { libc::dladdr(sym, &mut info) }, 0);
        // SAFETY: dladdr set `dli_fname` to a NUL-terminated path.
        let file = unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
        let file = std::fs::canonicalize(&file).unwrap_or(file.into());
        assert_eq!(file, exe, "{name:?} resolves to {file:?}, not to the executable");
    }
}

#[test]
fn calls_on_a_closed_fd_fail_with_ebadf() {
    let mut buf = [0u8; 4];
    let p = buf.as_mut_ptr() as *mut c_void;
    // SAFETY (all below): valid buffers; the fd is simply not open.
    unsafe {
        ebadf(libc::read(BAD_FD, p, 4));
        ebadf(libc::write(BAD_FD, p, 4));
        ebadf(libc::recv(BAD_FD, p, 4, 0));
        ebadf(libc::send(BAD_FD, p, 4, 0));
        ebadf(libc::accept(BAD_FD, std::ptr::null_mut(), std::ptr::null_mut()) as isize);
        ebadf(libc::close(BAD_FD) as isize);
        ebadf(libc::dup(BAD_FD) as isize);
        ebadf(libc::dup2(BAD_FD, BAD_FD) as isize);
        ebadf(libc::fcntl(BAD_FD, libc::F_GETFL) as isize);
        let one: c_int = 1;
        ebadf(libc::ioctl(BAD_FD, libc::FIONBIO, &one) as isize);
        let tv = libc::timeval { tv_sec: 1, tv_usec: 0 };
        let tvp = &tv as *const _ as *const c_void;
        ebadf(libc::setsockopt(BAD_FD, libc::SOL_SOCKET, libc::SO_RCVTIMEO, tvp, 16) as isize);
        ebadf(libc::epoll_wait(BAD_FD, std::ptr::null_mut(), 1, 0) as isize);
    }
}

#[test]
fn a_receive_timeout_fails_with_eagain_after_the_timeout() {
    let (a, _b) = UnixStream::pair().unwrap();
    let tv = libc::timeval { tv_sec: 0, tv_usec: 50_000 };
    let mut buf = [0u8; 1];
    let start = Instant::now();
    // SAFETY: a valid timeval and buffer.
    let res = unsafe {
        libc::setsockopt(
            a.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const c_void,
            16,
        );
        libc::recv(a.as_raw_fd(), buf.as_mut_ptr() as *mut c_void, 1, 0)
    };
    assert_eq!((res, errno()), (-1, libc::EAGAIN));
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn o_nonblock_set_by_the_program_makes_reads_fail_with_eagain() {
    let (a, _b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    // SAFETY: integer fcntl commands on an open fd, a valid buffer.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        assert_eq!(flags & libc::O_NONBLOCK, 0);
        assert_eq!(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK), 0);
        assert_ne!(libc::fcntl(fd, libc::F_GETFL) & libc::O_NONBLOCK, 0);
        let mut buf = [0u8; 1];
        assert_eq!((libc::read(fd, buf.as_mut_ptr() as *mut c_void, 1), errno()), (-1, libc::EAGAIN));
    }
}

/// Makes a fiber adopt a duplicate of `s`'s fd (same open file
/// description, as `try_clone` makes): a read that parks until `peer`
/// writes.
fn adopt_on_a_fiber(s: &UnixStream, peer: &mut UnixStream) {
    let rt = util::one_worker();
    let mine = s.try_clone().unwrap();
    let h = rt.spawn(move || {
        let mut buf = [0u8; 1];
        (&mine).read_exact(&mut buf).unwrap();
    });
    util::wait_until(util::PATIENCE, "the fiber parks", || rt.metrics().iter().any(|w| w.parks > 0));
    peer.write_all(b"x").unwrap();
    h.join().unwrap();
}

#[test]
fn an_fd_a_fiber_adopted_still_blocks_a_plain_thread() {
    let (a, mut b) = UnixStream::pair().unwrap();
    adopt_on_a_fiber(&a, &mut b);
    // SAFETY: an integer fcntl command on an open fd.
    let flags = unsafe { libc::fcntl(a.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(flags & libc::O_NONBLOCK, 0, "the hook left the fd's flags as the program set them");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        tx.send(util::tid()).unwrap();
        let mut buf = [0u8; 5];
        (&a).read_exact(&mut buf).map(|()| buf)
    });
    let tid = rx.recv().unwrap();
    util::wait_until(util::PATIENCE, "the reader blocks in the kernel", || util::blocked_in_syscall(tid));
    b.write_all(b"later").unwrap();
    assert_eq!(&reader.join().unwrap().unwrap(), b"later");
}

#[test]
fn poll_and_ppoll_report_readiness_as_libc() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut pfd = libc::pollfd { fd: a.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: one valid pollfd, a valid timespec.
    unsafe {
        assert_eq!(libc::poll(&mut pfd, 1, 0), 0);
        assert_eq!(libc::poll(&mut pfd, 1, 20), 0);
        b.write_all(b"x").unwrap();
        assert_eq!(libc::poll(&mut pfd, 1, -1), 1);
        assert_ne!(pfd.revents & libc::POLLIN, 0);
        assert_eq!(libc::ppoll(&mut pfd, 1, &zero, std::ptr::null()), 1);
    }
}

#[test]
fn sleeps_return_and_fail_as_libc() {
    let short = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000 };
    let bad = libc::timespec { tv_sec: 0, tv_nsec: 2_000_000_000 };
    // SAFETY: valid timespecs; null remainders.
    unsafe {
        assert_eq!(libc::nanosleep(&short, std::ptr::null_mut()), 0);
        assert_eq!((libc::nanosleep(&bad, std::ptr::null_mut()), errno()), (-1, libc::EINVAL));
        assert_eq!(libc::clock_nanosleep(libc::CLOCK_MONOTONIC, 0, &short, std::ptr::null_mut()), 0);
        // clock_nanosleep returns the error number itself.
        assert_eq!(libc::clock_nanosleep(libc::CLOCK_MONOTONIC, 0, &bad, std::ptr::null_mut()), libc::EINVAL);
    }
}

#[test]
fn getaddrinfo_answers_as_glibcs_own() {
    type Gai = unsafe extern "C" fn(
        *const libc::c_char,
        *const libc::c_char,
        *const libc::addrinfo,
        *mut *mut libc::addrinfo,
    ) -> c_int;
    // SAFETY: glibc's getaddrinfo, found after the executable's, has this type.
    let real: Gai = unsafe { std::mem::transmute(libc::dlsym(libc::RTLD_NEXT, c"getaddrinfo".as_ptr())) };
    for name in [c"localhost", c"127.0.0.1", c"no-such-host.invalid"] {
        let (mut ours, mut theirs) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: a NUL-terminated name, no hints, writable result slots.
        let (a, b) = unsafe {
            (
                libc::getaddrinfo(name.as_ptr(), std::ptr::null(), std::ptr::null(), &mut ours),
                real(name.as_ptr(), std::ptr::null(), std::ptr::null(), &mut theirs),
            )
        };
        assert_eq!(a, b, "{name:?}");
        for list in [ours, theirs] {
            if !list.is_null() {
                // SAFETY: a list getaddrinfo returned, freed once.
                unsafe { libc::freeaddrinfo(list) };
            }
        }
    }
}

#[test]
fn epoll_wait_reports_events_as_libc() {
    let (a, mut b) = UnixStream::pair().unwrap();
    // SAFETY: epoll calls with valid event buffers.
    unsafe {
        let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        assert!(ep >= 0);
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 7 };
        assert_eq!(libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, a.as_raw_fd(), &mut ev), 0);
        let mut out = [libc::epoll_event { events: 0, u64: 0 }; 4];
        assert_eq!(libc::epoll_wait(ep, out.as_mut_ptr(), 4, 10), 0);
        b.write_all(b"x").unwrap();
        assert_eq!(libc::epoll_wait(ep, out.as_mut_ptr(), 4, -1), 1);
        assert_eq!({ out[0].u64 }, 7);
        assert_eq!(libc::close(ep), 0);
    }
}
