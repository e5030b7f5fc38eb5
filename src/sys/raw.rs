//! Raw system calls for the libc hook (feature `hook`, `src/hook/`).
//!
//! With the hook on, the executable defines `read`, `recv`, `poll`, ... and
//! every call of those names from Rust code (std's, a crate's, fiberio's)
//! lands in `src/hook/`. The hook must then reach the kernel without
//! calling its own symbols again: every call here goes through
//! the `syscall` instruction ([`call`]), which the hook does not define.
//! Results are `io::Result`; the hook turns them back into `-1` + `errno`
//! at its C boundary ([`ret`]).
//!
//! The one libc function the hook needs for real is `getaddrinfo` (the
//! resolver is user-space code, not a system call): [`real_getaddrinfo`]
//! finds glibc's own with `dlsym(RTLD_NEXT)`.

use crate::loom::static_atomic::{AtomicUsize, Ordering::*};
use std::ffi::{c_char, c_int, c_long, c_ulong};
use std::io;

/// Makes a system call with up to six arguments, all passed as `c_long`;
/// a negative kernel result becomes the OS error (and nothing touches
/// `errno`: [`ret`] sets it at the hook's C boundary).
///
/// # Safety
///
/// The arguments must satisfy the kernel's contract for `nr` (valid
/// pointers of the right length, an fd the caller may use).
#[inline]
pub(crate) unsafe fn call(nr: c_long, a: [c_long; 6]) -> io::Result<usize> {
    // SAFETY: the caller upholds the call's contract.
    let res = unsafe { syscall6(nr, a) };
    if is_error(res) { Err(io::Error::from_raw_os_error(-res as c_int)) } else { Ok(res as usize) }
}

/// Makes a system call as libc's wrapper of it does: the result, or `-1`
/// with `errno` set. The path of every hooked call off a fiber, so it
/// builds no `io::Error`.
///
/// # Safety
///
/// As [`call`].
#[inline]
pub(crate) unsafe fn libc_call(nr: c_long, a: [c_long; 6]) -> isize {
    // SAFETY: the caller upholds the call's contract.
    let res = unsafe { syscall6(nr, a) };
    if is_error(res) {
        return failed(res);
    }
    res as isize
}

/// `-1` with `errno` set from the kernel's `-errno` `res` (out of line:
/// [`libc_call`]'s success path saves no register for it).
#[cold]
#[inline(never)]
fn failed(res: c_long) -> isize {
    set_errno(-res as c_int);
    -1
}

/// Whether a raw system call result is an error: -4095..-1 are `-errno`
/// (the kernel's convention).
#[inline(always)]
fn is_error(res: c_long) -> bool {
    (-4095..0).contains(&res)
}

/// The system call `nr`: its result, or `-errno` (the kernel's
/// convention, also off x86_64).
///
/// On x86_64 this is the `syscall` instruction itself (glibc's variadic
/// `syscall()` costs a dozen instructions more per call, on every hooked
/// call of every thread); elsewhere glibc's `syscall()`.
///
/// # Safety
///
/// As [`call`].
#[inline(always)]
unsafe fn syscall6(nr: c_long, a: [c_long; 6]) -> c_long {
    #[cfg(target_arch = "x86_64")]
    {
        let res: c_long;
        // The Linux x86_64 system call convention: number in rax, arguments
        // in rdi, rsi, rdx, r10, r8, r9; the kernel returns in rax and
        // clobbers rcx and r11; it does not touch the stack.
        // SAFETY: that convention, and the caller upholds the call's contract.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") nr => res,
                in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
                in("r10") a[3], in("r8") a[4], in("r9") a[5],
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags)
            );
        }
        res
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: the caller upholds the system call's contract.
        let res = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
        if res < 0 {
            -(io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) as c_long)
        } else {
            res
        }
    }
}

/// The system call numbers the hook uses (`poll` and `dup2` exist only
/// as `ppoll` and `dup3` on some architectures, so the hook uses those).
#[allow(missing_docs)]
pub(crate) mod nr {
    use std::ffi::c_long;
    pub(crate) const READ: c_long = libc::SYS_read;
    pub(crate) const WRITE: c_long = libc::SYS_write;
    pub(crate) const READV: c_long = libc::SYS_readv;
    pub(crate) const WRITEV: c_long = libc::SYS_writev;
    pub(crate) const RECVFROM: c_long = libc::SYS_recvfrom;
    pub(crate) const SENDTO: c_long = libc::SYS_sendto;
    pub(crate) const RECVMSG: c_long = libc::SYS_recvmsg;
    pub(crate) const SENDMSG: c_long = libc::SYS_sendmsg;
    pub(crate) const ACCEPT4: c_long = libc::SYS_accept4;
    pub(crate) const CONNECT: c_long = libc::SYS_connect;
    pub(crate) const SOCKET: c_long = libc::SYS_socket;
    pub(crate) const CLOSE: c_long = libc::SYS_close;
    pub(crate) const FCNTL: c_long = libc::SYS_fcntl;
    pub(crate) const IOCTL: c_long = libc::SYS_ioctl;
    pub(crate) const SETSOCKOPT: c_long = libc::SYS_setsockopt;
    pub(crate) const GETSOCKOPT: c_long = libc::SYS_getsockopt;
    pub(crate) const GETPEERNAME: c_long = libc::SYS_getpeername;
    pub(crate) const PPOLL: c_long = libc::SYS_ppoll;
    pub(crate) const NANOSLEEP: c_long = libc::SYS_nanosleep;
    pub(crate) const CLOCK_NANOSLEEP: c_long = libc::SYS_clock_nanosleep;
    pub(crate) const DUP: c_long = libc::SYS_dup;
    pub(crate) const DUP3: c_long = libc::SYS_dup3;
    pub(crate) const EPOLL_PWAIT: c_long = libc::SYS_epoll_pwait;
}

/// The kernel's signal-set size, the last argument of `ppoll` and
/// `epoll_pwait` (64 signals on Linux).
pub(crate) const SIGSET_SIZE: c_long = 8;

/// Sets `errno` (the hook's C boundary, [`ret`]).
#[inline]
pub(crate) fn set_errno(errno: c_int) {
    // SAFETY: `__errno_location` returns this thread's `errno` slot.
    unsafe { *libc::__errno_location() = errno };
}

/// The `errno` an error stands for. Errors fiberio makes itself (a
/// timeout, a close under a waiter, shutdown) map to what the kernel
/// would say: `EAGAIN` for a receive/send timeout (std's `WouldBlock`),
/// `EBADF` for an fd closed while in use, `ECANCELED` for a cancelled
/// fiber or a runtime shutting down.
pub(crate) fn errno_of(e: &io::Error) -> c_int {
    e.raw_os_error().unwrap_or(match e.kind() {
        io::ErrorKind::WouldBlock => libc::EAGAIN,
        io::ErrorKind::TimedOut => libc::ETIMEDOUT,
        io::ErrorKind::NotConnected => libc::EBADF,
        io::ErrorKind::Interrupted => libc::EINTR,
        _ => libc::ECANCELED,
    })
}

/// `Ok(n)` → `n`; `Err(e)` → `-1` with `errno` set.
#[inline]
pub(crate) fn ret(res: io::Result<usize>) -> isize {
    match res {
        Ok(n) => n as isize,
        Err(e) => {
            set_errno(errno_of(&e));
            -1
        }
    }
}

/// An error built from an errno value.
pub(crate) fn err(errno: c_int) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// What kind of file an fd is, as far as the hook cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// A socket of `SO_TYPE` `SOCK_STREAM` (`stream`) or another type.
    Socket { stream: bool },
    /// A pipe or FIFO.
    Fifo,
    /// Anything else (regular file, terminal, eventfd, ...).
    Other,
}

/// `fstat` (and `SO_TYPE`) of `fd`.
pub(crate) fn file_kind(fd: c_int) -> io::Result<FileKind> {
    // SAFETY: an all-zero `stat` is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a writable `stat`; a bad fd is an error, not UB.
    unsafe { call(libc::SYS_fstat, [fd as c_long, &mut st as *mut _ as c_long, 0, 0, 0, 0]) }?;
    Ok(match st.st_mode & libc::S_IFMT {
        libc::S_IFSOCK => {
            let mut ty: c_int = 0;
            getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, &mut ty)?;
            FileKind::Socket { stream: ty == libc::SOCK_STREAM }
        }
        libc::S_IFIFO => FileKind::Fifo,
        _ => FileKind::Other,
    })
}

/// A socket's `SO_RCVTIMEO` (`read`) or `SO_SNDTIMEO`; `None`: none set.
pub(crate) fn socket_timeout(fd: c_int, read: bool) -> io::Result<Option<std::time::Duration>> {
    let name = if read { libc::SO_RCVTIMEO } else { libc::SO_SNDTIMEO };
    let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
    getsockopt(fd, libc::SOL_SOCKET, name, &mut tv)?;
    Ok(timeval_duration(&tv))
}

/// A `timeval` timeout as a duration; zero means "none", as the kernel
/// reads it.
pub(crate) fn timeval_duration(tv: &libc::timeval) -> Option<std::time::Duration> {
    let d = std::time::Duration::new(tv.tv_sec.max(0) as u64, (tv.tv_usec.clamp(0, 999_999) * 1000) as u32);
    (!d.is_zero()).then_some(d)
}

/// `fcntl(fd, cmd, arg)` with an integer argument.
pub(crate) fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> io::Result<usize> {
    // SAFETY: integer commands (F_GETFL, F_SETFL, F_DUPFD*) take no pointer.
    unsafe { call(nr::FCNTL, [fd as c_long, cmd as c_long, arg as c_long, 0, 0, 0]) }
}

/// `getsockopt` of an integer or `timeval` option into `val`.
pub(crate) fn getsockopt<T>(fd: c_int, level: c_int, name: c_int, val: &mut T) -> io::Result<()> {
    let mut len = std::mem::size_of::<T>() as libc::socklen_t;
    let (v, l) = (val as *mut T as c_long, &mut len as *mut _ as c_long);
    // SAFETY: `val` is writable for `len` bytes; `len` is writable.
    unsafe { call(nr::GETSOCKOPT, [fd as c_long, level as c_long, name as c_long, v, l, 0]) }.map(drop)
}

/// Whether a connect in progress on `fd` is over: `Ok(())` connected,
/// the socket's error if it failed, `WouldBlock` while in progress.
pub(crate) fn connect_result(fd: c_int) -> io::Result<()> {
    let mut so_error: c_int = 0;
    getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut so_error)?;
    if so_error != 0 {
        return Err(err(so_error));
    }
    // SAFETY: an all-zero `sockaddr_storage` is a valid out-buffer.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&addr) as libc::socklen_t;
    let (a, l) = (&mut addr as *mut _ as c_long, &mut len as *mut _ as c_long);
    // SAFETY: `addr` is writable for `len` bytes; `len` is writable.
    match unsafe { call(nr::GETPEERNAME, [fd as c_long, a, l, 0, 0, 0]) } {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Err(io::ErrorKind::WouldBlock.into()),
        Err(e) => Err(e),
    }
}

/// `ppoll` with a zero timeout: which of `fds` are ready now.
///
/// # Safety
///
/// `fds` must point at `nfds` writable `pollfd`s.
pub(crate) unsafe fn poll_now(fds: *mut libc::pollfd, nfds: libc::nfds_t) -> io::Result<usize> {
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    let ts = &zero as *const _ as c_long;
    // SAFETY: the caller vouches for `fds`; `zero` lives across the call.
    unsafe { call(nr::PPOLL, [fds as c_long, nfds as c_long, ts, 0, SIGSET_SIZE, 0]) }
}

/// `clock_gettime(clock)` (the vDSO; not a hooked symbol).
pub(crate) fn clock_now(clock: libc::clockid_t) -> io::Result<libc::timespec> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a writable timespec.
    if unsafe { libc::clock_gettime(clock, &mut ts) } == 0 { Ok(ts) } else { Err(io::Error::last_os_error()) }
}

/// glibc's `getaddrinfo` signature.
pub(crate) type GetAddrInfo = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const libc::addrinfo,
    *mut *mut libc::addrinfo,
) -> c_int;

/// glibc's own `getaddrinfo` (the next definition after the executable's),
/// looked up once.
pub(crate) fn real_getaddrinfo() -> Option<GetAddrInfo> {
    static REAL: AtomicUsize = AtomicUsize::new(0);
    let mut addr = REAL.load(Acquire);
    if addr == 0 {
        // SAFETY: a NUL-terminated name; RTLD_NEXT searches the objects
        // loaded after the executable, where libc's definition lives.
        addr = unsafe { libc::dlsym(libc::RTLD_NEXT, c"getaddrinfo".as_ptr()) } as usize;
        REAL.store(addr, Release);
    }
    // SAFETY: a non-null `dlsym` result for "getaddrinfo" is glibc's
    // function of exactly this signature.
    (addr != 0).then(|| unsafe { std::mem::transmute::<usize, GetAddrInfo>(addr) })
}

/// `freeaddrinfo` (not hooked: it never blocks).
///
/// # Safety
///
/// `res` must be a list returned by `getaddrinfo` and not freed yet.
pub(crate) unsafe fn freeaddrinfo(res: *mut libc::addrinfo) {
    // SAFETY: the caller's contract.
    unsafe { libc::freeaddrinfo(res) }
}

/// `readv` (`write` false) or `writev` at the current position that never
/// blocks: `preadv2`/`pwritev2` with `RWF_NOWAIT`, the pipe's per-call
/// `O_NONBLOCK` (Linux 5.x and later; older kernels say `EOPNOTSUPP`).
///
/// # Safety
///
/// `iov` must point at `cnt` `iovec`s valid for the transfer.
pub(crate) unsafe fn rw_nowait(
    write: bool,
    fd: c_int,
    iov: *const libc::iovec,
    cnt: c_int,
) -> io::Result<usize> {
    let nr = if write { libc::SYS_pwritev2 } else { libc::SYS_preadv2 };
    // Offset -1: the file position, as `readv`; the offset's high half 0.
    let args = [fd as c_long, iov as c_long, cnt as c_long, -1, 0, libc::RWF_NOWAIT as c_long];
    // SAFETY: the caller vouches for `iov`.
    unsafe { call(nr, args) }
}

/// `recvmsg` (`write` false) or `sendmsg` of `iov` with `MSG_DONTWAIT`:
/// a socket's `readv`/`writev` that never blocks.
///
/// # Safety
///
/// `iov` must point at `cnt` `iovec`s valid for the transfer.
pub(crate) unsafe fn msg_nowait(
    write: bool,
    fd: c_int,
    iov: *const libc::iovec,
    cnt: c_int,
) -> io::Result<usize> {
    // SAFETY: an all-zero `msghdr` is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov as *mut libc::iovec;
    msg.msg_iovlen = cnt.max(0) as _;
    let nr = if write { nr::SENDMSG } else { nr::RECVMSG };
    let args = [fd as c_long, &msg as *const _ as c_long, libc::MSG_DONTWAIT as c_long, 0, 0, 0];
    // SAFETY: `msg` points at the caller's iovecs and lives across the call.
    unsafe { call(nr, args) }
}

/// Registers `f` to run in the child of every later `fork`.
pub(crate) fn at_fork_child(f: extern "C" fn()) {
    // SAFETY: a plain function pointer; no prepare or parent handler.
    let _ = unsafe { libc::pthread_atfork(None, None, Some(f)) };
}
