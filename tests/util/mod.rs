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
/// `<prefix>-<index>`), from a plain thread.
///
/// Placement is deterministic: the first call for a runtime starts one
/// resident dispatcher fiber per worker (probes spin together until every
/// one has started, which forces one onto each worker). A dispatcher spawns
/// the fibers asked of it from its own worker and yields at once, so each
/// starts right there — a local spawn waits in the worker's `runnext` slot,
/// which no other worker steals.
pub fn spawn_on<T, F>(rt: &fiberio::Runtime, index: usize, f: F) -> Placed<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let job: Job = Box::new(move || {
        let handle = fiberio::spawn(move || Some(f()));
        let _ = tx.send(handle);
    });
    // A runtime at the address of an earlier, dropped one finds that one's
    // dispatchers gone: start its own and send again.
    if let Err(std::sync::mpsc::SendError(job)) = dispatcher(rt, index, false).send(job) {
        dispatcher(rt, index, true).send(job).expect("a fresh dispatcher takes the job");
    }
    Placed(rx.recv().expect("the dispatcher placed the fiber"))
}

type Job = Box<dyn FnOnce() + Send>;

/// The job queue of the dispatcher fiber on worker `index` of `rt`.
fn dispatcher(rt: &fiberio::Runtime, index: usize, fresh: bool) -> std::sync::mpsc::Sender<Job> {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::{Arc, Mutex, mpsc};
    static DISPATCHERS: Mutex<Option<HashMap<usize, Vec<mpsc::Sender<Job>>>>> = Mutex::new(None);
    let key = rt as *const fiberio::Runtime as usize;
    let mut all = DISPATCHERS.lock().unwrap();
    let all = all.get_or_insert_with(HashMap::new);
    if fresh {
        all.remove(&key);
    }
    let senders = all.entry(key).or_insert_with(|| {
        let n = rt.workers();
        let started = Arc::new(AtomicUsize::new(0));
        let (found_tx, found_rx) = mpsc::channel();
        for _ in 0..n {
            let (started, found_tx) = (started.clone(), found_tx.clone());
            rt.spawn(move || {
                // Spin (no yield) until every probe runs: n probes busy at
                // once means one on each worker.
                started.fetch_add(1, SeqCst);
                let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while started.load(SeqCst) < n {
                    assert!(std::time::Instant::now() < give_up, "dispatcher probes never all ran");
                    std::hint::spin_loop();
                }
                let (job_tx, job_rx) = mpsc::channel::<Job>();
                found_tx.send((worker_name(), job_tx)).unwrap();
                loop {
                    match job_rx.try_recv() {
                        Ok(job) => {
                            job();
                            fiberio::yield_now(); // the new fiber starts here, now
                        }
                        Err(mpsc::TryRecvError::Empty) => {
                            fiberio::sleep(std::time::Duration::from_micros(200))
                        }
                        Err(mpsc::TryRecvError::Disconnected) => return,
                    }
                }
            });
        }
        let mut by_worker: Vec<(String, mpsc::Sender<Job>)> =
            (0..n).map(|_| found_rx.recv().unwrap()).collect();
        by_worker.sort_by_key(|(name, _)| name.rsplit('-').next().and_then(|i| i.parse::<usize>().ok()));
        let names: Vec<&String> = by_worker.iter().map(|(name, _)| name).collect();
        assert!(names.windows(2).all(|w| w[0] != w[1]), "one dispatcher per worker: {names:?}");
        by_worker.into_iter().map(|(_, tx)| tx).collect()
    });
    senders[index].clone()
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
