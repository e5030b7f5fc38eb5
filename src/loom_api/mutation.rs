//! Switches for the deliberate defects of `crate::loom::mutation`, which
//! the broken variants turn on in the runtime's own source.

pub use crate::loom::mutation::Mutation;

/// Whether the lock waits of the models run on this thread count as past
/// the locks' hand-off bound (default `true`: hand-off mode is explored;
/// `false`: normal mode alone). Time is not modelled under loom.
pub fn waits_pass_bound(pass: bool) {
    crate::loom::set_waits_pass_bound(pass);
}

/// Switches defect `m` on (`None`: every defect off) for the models run on
/// this thread — a model checked after this runs the mutated protocol.
pub fn mutate(m: Option<Mutation>) {
    crate::loom::mutation::set(m);
}
