//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::process::{Command, Output};

/// The environment variable that tells a re-executed test binary which
/// child scenario to run.
const CHILD_ENV: &str = "FIBERIO_TEST_CHILD";

/// Whether this process is the child for `scenario` (see [`run_child`]).
pub fn is_child(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(scenario)
}

/// Re-runs this test binary with only `test` selected and the child
/// scenario `scenario` switched on; returns its output once it exits.
/// Scenarios that must crash the process (stack overflow) or exhaust a
/// process-wide resource (memory mappings) run there.
pub fn run_child(test: &str, scenario: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]).env(CHILD_ENV, scenario);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the test binary runs as a child")
}

/// A small deterministic xorshift generator, so tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// The name of the worker thread running this code (e.g. `fiberio-worker-1`).
pub fn worker_name() -> String {
    std::thread::current().name().unwrap_or("<unnamed>").to_string()
}

/// The value after `key` on the first line of `output` that has it (a
/// child's first line follows libtest's `test name ... ` on the same line).
pub fn field<'a>(output: &'a str, key: &str) -> Option<&'a str> {
    output.lines().find_map(|l| l.split_once(key).map(|(_, rest)| rest))
}

/// A fiber placed on a chosen worker by [`spawn_on`].
pub struct Placed<T>(fiberio::JoinHandle<Option<T>>);

impl<T: Send + 'static> Placed<T> {
    /// Waits for the fiber, like `JoinHandle::join`.
    pub fn join(self) -> std::thread::Result<T> {
        self.0.join().map(|ran| ran.expect("the placed fiber ran its closure"))
    }
}

/// Spawns `f` on `rt` so that it runs on worker `index` (the thread named
/// `<prefix>-<index>`). Fibers never move once started, so this spawns
/// probes from the calling thread — which must be a plain thread, not a
/// fiber: it blocks — until one starts on that worker, and runs `f` there.
/// Spawns from outside go round-robin over the workers, so a few probes do.
pub fn spawn_on<T, F>(rt: &fiberio::Runtime, index: usize, f: F) -> Placed<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    use std::sync::{Arc, Mutex, mpsc};
    let suffix = format!("-{index}");
    let f = Arc::new(Mutex::new(Some(f)));
    for _ in 0..1_000 {
        let (tx, rx) = mpsc::channel();
        let (f, suffix) = (f.clone(), suffix.clone());
        let probe = rt.spawn(move || {
            let here = worker_name().ends_with(&suffix);
            tx.send(here).unwrap();
            if here { f.lock().unwrap().take().map(|f| f()) } else { None }
        });
        if rx.recv_timeout(std::time::Duration::from_secs(10)).expect("a probe fiber starts") {
            return Placed(probe);
        }
        probe.join().unwrap();
    }
    panic!("no probe fiber started on worker {index} in 1,000 tries");
}

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
