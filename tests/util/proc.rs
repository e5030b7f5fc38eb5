//! What `/proc` says about this process: its open fds.

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
