//! Cancellation: a fiber parked in a wait, cancelled, and the proof that
//! its locals were dropped.

/// A value whose drop sets a flag: proof that a fiber's locals were dropped.
pub struct DropFlag(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
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
