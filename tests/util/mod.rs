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

    /// Cancels the fiber, like `JoinHandle::cancel`.
    pub fn cancel(&self) {
        self.0.cancel();
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

/// Where the parties of a sync test run (issue 4, item 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Every party a fiber on worker 0.
    SameWorker,
    /// Fibers alternating between workers 0 and 1.
    CrossWorker,
    /// Even parties fibers (alternating workers), odd parties plain threads.
    FiberAndThread,
    /// Every party a plain OS thread, blocking the thread.
    Threads,
}

/// The four settings, in order.
pub const SETTINGS: [Setting; 4] =
    [Setting::SameWorker, Setting::CrossWorker, Setting::FiberAndThread, Setting::Threads];

impl Setting {
    /// Whether party `i` runs on a fiber.
    pub fn is_fiber(self, i: usize) -> bool {
        match self {
            Setting::SameWorker | Setting::CrossWorker => true,
            Setting::FiberAndThread => i.is_multiple_of(2),
            Setting::Threads => false,
        }
    }
}

/// A 2-worker runtime, the shape every multi-worker sync test uses.
pub fn two_workers() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(2).build().expect("a 2-worker runtime")
}

/// A party of a sync test: a placed fiber or a plain thread.
pub enum Party<T> {
    Fiber(Placed<T>),
    Thread(std::thread::JoinHandle<T>),
}

impl<T: Send + 'static> Party<T> {
    /// Waits for the party and returns its result.
    pub fn join(self) -> std::thread::Result<T> {
        match self {
            Party::Fiber(p) => p.join(),
            Party::Thread(t) => t.join(),
        }
    }
}

/// Starts party `i` of `setting` on `rt` (fibers) or a new thread.
pub fn start<T, F>(rt: &fiberio::Runtime, setting: Setting, i: usize, f: F) -> Party<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match setting {
        Setting::SameWorker => Party::Fiber(spawn_on(rt, 0, f)),
        Setting::CrossWorker => Party::Fiber(spawn_on(rt, i % 2, f)),
        Setting::FiberAndThread if i.is_multiple_of(2) => Party::Fiber(spawn_on(rt, (i / 2) % 2, f)),
        _ => Party::Thread(std::thread::spawn(f)),
    }
}

/// Runs `n` parties of `setting`, party `i` calling `f(i)`; returns their
/// results in order, panicking (with the setting named) if one panicked.
pub fn run_parties<T, F>(rt: &fiberio::Runtime, setting: Setting, n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let f = std::sync::Arc::new(f);
    let parties: Vec<Party<T>> = (0..n)
        .map(|i| {
            let f = f.clone();
            start(rt, setting, i, move || f(i))
        })
        .collect();
    parties
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.join().unwrap_or_else(|_| panic!("{setting:?}: party {i} panicked")))
        .collect()
}

/// Yields the fiber, or the thread off a fiber: a point where another
/// party may run inside a critical section if exclusion were broken.
pub fn yield_any() {
    fiberio::yield_now();
}

/// A counter with no synchronisation of its own: a lost update shows that
/// two parties were inside one critical section at once.
pub struct Racy(std::cell::UnsafeCell<u64>);

// SAFETY: only touched by parties holding the lock under test; that is
// what the tests check.
unsafe impl Sync for Racy {}

impl Racy {
    pub const fn new() -> Self {
        Self(std::cell::UnsafeCell::new(0))
    }

    /// Read, yield, write back plus one: loses updates without exclusion.
    pub fn bump_slowly(&self) {
        // SAFETY: the caller holds the lock under test (a broken lock shows
        // up as a wrong count, the point of the test).
        let v = unsafe { std::ptr::read_volatile(self.0.get()) };
        yield_any();
        // SAFETY: as above.
        unsafe { std::ptr::write_volatile(self.0.get(), v + 1) };
    }

    pub fn get(&self) -> u64 {
        // SAFETY: read once every party has been joined.
        unsafe { std::ptr::read_volatile(self.0.get()) }
    }
}

/// Aborts the test process with `what` if it is still alive after
/// `secs` seconds: a deadlock fails the test instead of hanging it. It is
/// a hang guard far above any expected run time, not a timing assertion.
pub struct Watchdog(Option<std::sync::mpsc::Sender<()>>);

impl Watchdog {
    pub fn new(what: &str, secs: u64) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let what = what.to_string();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(std::time::Duration::from_secs(secs))
            {
                eprintln!("watchdog: `{what}` still running after {secs} s: deadlock or lost wakeup");
                std::process::exit(99);
            }
        });
        Self(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// Polls `cond` (sleeping the fiber or thread in between) until it holds;
/// the [`Watchdog`] of the test bounds the wait.
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        fiberio::sleep(std::time::Duration::from_millis(1));
    }
}

/// A value whose drop sets a flag: proof that a fiber's locals were dropped.
pub struct DropFlag(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A 1-worker runtime: every fiber of a test on one worker.
pub fn one_worker() -> fiberio::Runtime {
    fiberio::Runtime::builder().workers(1).build().expect("a 1-worker runtime")
}

/// On a fiber: spawns `f` holding a [`DropFlag`] and lets it run until it
/// parks; returns its handle and the flag.
pub fn park_fiber<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> (fiberio::JoinHandle<T>, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = DropFlag(dropped.clone());
    let h = fiberio::spawn(move || {
        let _flag = flag;
        f()
    });
    fiberio::yield_now();
    assert!(!h.is_finished(), "the fiber is parked");
    (h, dropped)
}

/// Cancels a fiber parked by [`park_fiber`] and checks the outcome: `join`
/// reports `Cancelled`, and the fiber's locals were dropped.
pub fn cancel_parked<T: Send + 'static>(h: fiberio::JoinHandle<T>, dropped: &std::sync::atomic::AtomicBool) {
    h.cancel();
    let err = h.join().err().expect("a cancelled fiber has no result");
    assert!(err.is::<fiberio::Cancelled>(), "join reports the cancellation");
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst), "the fiber's locals were dropped");
}
