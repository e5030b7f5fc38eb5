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
