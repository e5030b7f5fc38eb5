//! The libc calls netbench makes itself: epoll for the hand-written server
//! and the load generator, fd limits, CPU affinity and resource usage.
//!
//! Every call goes through [`syscall!`], which turns `-1` into
//! `io::Error::last_os_error()`; fds are held as `OwnedFd`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Calls a libc function and maps `-1` to the OS error.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: each caller passes valid fds and pointers to live buffers
        // of the sizes it names; the call has no other precondition.
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 { Err(std::io::Error::last_os_error()) } else { Ok(res) }
    }};
}
pub(crate) use syscall;

/// An edge-triggered epoll instance.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

/// Readable, writable, peer closed; edge-triggered.
pub const ET_RW: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
/// Readable only, level-triggered (listeners).
pub const LT_IN: u32 = libc::EPOLLIN as u32;

impl Epoll {
    /// Creates an epoll instance (`EPOLL_CLOEXEC`).
    pub fn new() -> io::Result<Self> {
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
        Ok(Self { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Registers `fd` for `events`, with `token` as its data.
    pub fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        syscall!(epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev)).map(drop)
    }

    /// Waits up to `timeout` for events; retries on `EINTR` by returning 0.
    pub fn wait(&self, events: &mut [libc::epoll_event], timeout: Option<Duration>) -> io::Result<usize> {
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        let max = events.len().min(i32::MAX as usize) as i32;
        match syscall!(epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max, ms)) {
            Ok(n) => Ok(n as usize),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }
}

/// An empty event buffer for [`Epoll::wait`].
pub fn events(n: usize) -> Vec<libc::epoll_event> {
    vec![libc::epoll_event { events: 0, u64: 0 }; n]
}

/// `read(2)` into `buf`.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    syscall!(read(fd, buf.as_mut_ptr().cast(), buf.len())).map(|n| n as usize)
}

/// `write(2)` from `buf`.
pub fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    syscall!(write(fd, buf.as_ptr().cast(), buf.len())).map(|n| n as usize)
}

/// Binds `sock` to the source address `ip` with `IP_BIND_ADDRESS_NO_PORT`,
/// so the port is picked at `connect` per destination: connections spread
/// over several loopback sources do not exhaust one source's port range.
pub fn bind_source(sock: &socket2::Socket, ip: std::net::Ipv4Addr) -> io::Result<()> {
    let one: libc::c_int = 1;
    let len = size_of::<libc::c_int>() as libc::socklen_t;
    let opt = (&raw const one).cast();
    syscall!(setsockopt(sock.as_raw_fd(), libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT, opt, len))?;
    sock.bind(&std::net::SocketAddr::from((ip, 0)).into())
}

/// Raises the soft open-file limit to the hard one; returns the new soft limit.
pub fn raise_fd_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    syscall!(getrlimit(libc::RLIMIT_NOFILE, &mut lim))?;
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        syscall!(setrlimit(libc::RLIMIT_NOFILE, &lim))?;
    }
    Ok(lim.rlim_cur)
}

/// Fails with a message naming the limit unless `needed` fds fit in it.
pub fn check_fds(needed: u64, who: &str) -> io::Result<()> {
    let limit = raise_fd_limit()?;
    if needed > limit {
        return Err(io::Error::other(format!(
            "{who} needs about {needed} file descriptors but the open-file limit (RLIMIT_NOFILE) is {limit}; \
             raise it (ulimit -n) or use fewer connections"
        )));
    }
    Ok(())
}

/// Restricts the calling process (and the threads it starts later) to the
/// first `n` CPUs it may run on; does nothing if it has no more than `n`.
pub fn restrict_cpus(n: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    syscall!(sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set))?;
    let allowed: Vec<usize> = (0..libc::CPU_SETSIZE as usize).filter(|&c| cpu_isset(c, &set)).collect();
    if allowed.len() <= n {
        return Ok(());
    }
    // SAFETY: as above.
    let mut new: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in &allowed[..n] {
        // SAFETY: `c` < CPU_SETSIZE, the bound CPU_SET requires.
        unsafe { libc::CPU_SET(c, &mut new) };
    }
    syscall!(sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &new)).map(drop)
}

fn cpu_isset(cpu: usize, set: &libc::cpu_set_t) -> bool {
    if cpu >= libc::CPU_SETSIZE as usize {
        return false;
    }
    // SAFETY: `cpu` < CPU_SETSIZE (checked above), the bound CPU_ISSET requires.
    unsafe { libc::CPU_ISSET(cpu, set) }
}

/// What `getrusage(RUSAGE_SELF)` and `/proc/self/status` say of this process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// User plus system CPU time, microseconds.
    pub cpu_us: u64,
    /// Voluntary context switches (blocking waits), all threads.
    pub nvcsw: u64,
    /// Involuntary context switches (preemptions), all threads.
    pub nivcsw: u64,
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Peak resident set size, KiB.
    pub hwm_kib: u64,
}

impl Usage {
    /// This process, now.
    pub fn of_self() -> io::Result<Self> {
        // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        syscall!(getrusage(libc::RUSAGE_SELF, &mut ru))?;
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        let status = std::fs::read_to_string("/proc/self/status")?;
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        Ok(Self {
            cpu_us: us(ru.ru_utime) + us(ru.ru_stime),
            nvcsw: ru.ru_nvcsw as u64,
            nivcsw: ru.ru_nivcsw as u64,
            rss_kib: kib("VmRSS:"),
            hwm_kib: kib("VmHWM:"),
        })
    }

    /// One line: `cpu_us nvcsw nivcsw rss_kib hwm_kib`.
    pub fn to_line(self) -> String {
        format!("{} {} {} {} {}", self.cpu_us, self.nvcsw, self.nivcsw, self.rss_kib, self.hwm_kib)
    }

    /// Parses [`Usage::to_line`].
    pub fn from_line(line: &str) -> Option<Self> {
        let v: Vec<u64> = line.split_whitespace().map(|w| w.parse().ok()).collect::<Option<_>>()?;
        let [cpu_us, nvcsw, nivcsw, rss_kib, hwm_kib] = v[..] else { return None };
        Some(Self { cpu_us, nvcsw, nivcsw, rss_kib, hwm_kib })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_line_round_trips() {
        let u = Usage { cpu_us: 1, nvcsw: 2, nivcsw: 3, rss_kib: 4, hwm_kib: 5 };
        assert_eq!(Usage::from_line(&u.to_line()), Some(u));
        assert_eq!(Usage::from_line("1 2 3"), None);
    }
}
