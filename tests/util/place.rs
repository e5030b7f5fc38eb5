//! Placement: which worker a fiber runs on, chosen from a plain thread.

/// The name of the worker thread running this code (e.g. `fiberio-worker-1`).
pub fn worker_name() -> String {
    std::thread::current().name().unwrap_or("<unnamed>").to_string()
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

    /// Whether the fiber has finished, like `JoinHandle::is_finished`.
    pub fn is_finished(&self) -> bool {
        self.0.is_finished()
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
