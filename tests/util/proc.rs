//! What `/proc` says about this process: its open fds, and whether one
//! of its threads is blocked in the kernel.

/// The number of fds this process has open (`/proc/self/fd`, minus the
/// one that reading the directory opens).
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd is readable").count() - 1
}

/// The fds this process has open, with what each points to: for messages.
pub fn fd_list() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .filter_map(|e| e.ok())
        .map(|e| {
            let target = std::fs::read_link(e.path()).map(|t| t.display().to_string());
            format!("{} -> {}", e.file_name().to_string_lossy(), target.unwrap_or_else(|_| "?".into()))
        })
        .collect();
    fds.sort();
    fds
}

/// The kernel's id of the calling thread, for [`blocked_in_syscall`].
pub fn tid() -> libc::pid_t {
    // SAFETY: gettid(2) has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// Whether thread `tid` of this process is asleep inside a system call
/// other than a futex wait: blocked on an fd (`poll`, `accept`, `read`,
/// `write`, `epoll_wait`) or a timer, not on a lock and not running.
///
/// Reads the state letter of `/proc/self/task/<tid>/stat` (`S`: asleep,
/// interruptibly) and the syscall number in `/proc/self/task/<tid>/syscall`
/// (`running` while the thread runs). False once the thread has exited.
pub fn blocked_in_syscall(tid: libc::pid_t) -> bool {
    let task = format!("/proc/self/task/{tid}");
    let Ok(stat) = std::fs::read_to_string(format!("{task}/stat")) else { return false };
    // The name in parentheses may hold spaces: the state follows the last ')'.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    let Ok(syscall) = std::fs::read_to_string(format!("{task}/syscall")) else { return false };
    let nr = syscall.split_whitespace().next().and_then(|n| n.parse::<libc::c_long>().ok());
    state == Some("S") && matches!(nr, Some(nr) if nr >= 0 && nr != libc::SYS_futex)
}
