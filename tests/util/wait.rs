//! Waiting for something a test can observe, bounded so that a lost
//! wakeup fails the test instead of hanging it.

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
