//! loom models of fiberio's wake-up protocols (DESIGN.md section 3).
//!
//! Built only with `RUSTFLAGS="--cfg loom"`, when fiberio's atomics are
//! loom's: the models exercise the runtime's own protocol code through
//! `fiberio::__loom`. Each model also runs with a deliberately planted
//! defect switched on in that code (`fiberio::__loom::mutate`), and must
//! catch it: a model that cannot fail proves nothing. The models live in `tests/`, one file per
//! group of races; fiberio's `tests/loom.rs` runs them as part of the
//! README's test command. `README.md` lists each model's preemption bound
//! and time.

/// Runs `model` under loom with at most `preemptions` preemptions per
/// execution (`None`: every interleaving). To re-check a model more deeply
/// by hand, `LOOM_MAX_PREEMPTIONS=n` overrides the bound and
/// `FIBERIO_LOOM_EXHAUSTIVE=1` lifts it.
#[cfg(loom)]
pub fn check(preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if std::env::var_os("FIBERIO_LOOM_EXHAUSTIVE").is_some() {
        builder.preemption_bound = None;
    } else if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = preemptions;
    }
    builder.check(model);
}

/// How a model's reader waits on a poll descriptor: as a fiber, parking
/// in `PollDesc::run_io`, or as an async task, storing its waker in
/// `PollDesc::poll_io` and sleeping until it is woken ([`run_task`]). The
/// protocol must wake both alike.
#[cfg(loom)]
#[derive(Debug, Clone, Copy)]
pub enum Waits {
    Fiber,
    Task,
}

/// One blocking IO operation of `dir` on `pd`, waiting as `waits` says:
/// `op` is the non-blocking syscall (`Err(WouldBlock)` for `EAGAIN`), and
/// every success uses the readiness up.
#[cfg(loom)]
pub fn run_io(
    pd: &fiberio::__loom::PollDesc,
    dir: fiberio::__loom::Dir,
    waits: Waits,
    mut op: impl FnMut() -> std::io::Result<()>,
) -> std::io::Result<()> {
    match waits {
        Waits::Fiber => pd.run_io(dir, false, op, |_| true),
        Waits::Task => run_task(|cx| pd.poll_io(dir, cx, &mut op, |_| true)),
    }
}

/// A waker that notifies a loom `Notify`.
#[cfg(loom)]
struct NotifyWaker(loom::sync::Notify);

#[cfg(loom)]
impl std::task::Wake for NotifyWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// A task's executor: polls `poll` until it is ready, sleeping on a loom
/// `Notify` between `Pending` and the waker's wake (a wake that comes
/// first is kept, so none is lost here).
#[cfg(loom)]
pub fn run_task<R>(mut poll: impl FnMut(&mut std::task::Context<'_>) -> std::task::Poll<R>) -> R {
    // std's Arc, as in the models: a failed model's teardown must not
    // touch loom objects.
    let notify = std::sync::Arc::new(NotifyWaker(loom::sync::Notify::new()));
    let waker = std::task::Waker::from(notify.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        match poll(&mut cx) {
            std::task::Poll::Ready(out) => return out,
            std::task::Poll::Pending => notify.0.wait(),
        }
    }
}
