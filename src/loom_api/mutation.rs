//! Switches for the deliberate defects of `crate::loom::mutation`, which
//! the broken variants turn on in the runtime's own source.

pub use crate::loom::mutation::Mutation;

/// Switches defect `m` on (`None`: every defect off) for the models run on
/// this thread — a model checked after this runs the mutated protocol.
pub fn mutate(m: Option<Mutation>) {
    crate::loom::mutation::set(m);
}
