//! loom models of fiberio's wake-up protocols (DESIGN.md section 3).
//!
//! Built only with `RUSTFLAGS="--cfg loom"`, when fiberio's atomics are
//! loom's: the models exercise the runtime's own protocol code through
//! `fiberio::__loom`. Each model also runs against a deliberately broken
//! copy of the protocol (`broken.rs`), and must catch it: a model that
//! cannot fail proves nothing. `tests/models.rs` holds the models; fiberio's
//! `tests/loom.rs` runs them as part of the README's test command.

#[cfg(loom)]
pub mod broken;
