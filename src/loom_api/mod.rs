//! `fiberio::__loom`: fiberio's wake-up protocols behind a thin public
//! face, for the loom models in `loom-tests/` (built only with `--cfg loom`).
//!
//! Every type here wraps the very code the runtime runs — with loom's
//! atomics and locks, which `crate::loom` switches in — and adds nothing
//! to it but conversions (numbers for enums, bools for directions), so a
//! model exercises the protocol, not a copy. Not a stable API.
//!
//! - `park`: the park protocol (`ParkState`, cancellation and its mask
//!   included) and a thread [`Parker`] whose [`Waiter`]s are the runtime's
//!   own (races 1–5);
//! - `reactor`: the poll descriptor — the poller's event dispatch, and a
//!   fiber's IO loop parking through the runtime's wait (races 5, 6, 9,
//!   11);
//! - `sched`: a runtime's workers without threads — sleep/notify with the
//!   worker's re-check, remote wakes, submit, stealing, the worker's
//!   commit of a park and its shutdown (races 5, 7, 8);
//! - `join_slot`: a fiber's result and its joiner;
//! - `user_mode`: `fiberio::spawn` as a loom thread (the user loom mode);
//! - `mutation`: switches for defects planted in the runtime's own source
//!   (every broken variant).

mod join_slot;
mod mutation;
mod park;
mod reactor;
mod sched;
mod user_mode;

pub use join_slot::JoinSlot;
pub use mutation::{Mutation, mutate, waits_pass_bound};
pub use park::{
    ParkState, Parker, REASON_CANCELLED, REASON_NOTIFIED, REASON_SHUTDOWN, REASON_TIMED_OUT, WAKE_LOST,
    WAKE_WON_PARKED, WAKE_WON_RUNNING, Waiter,
};
pub use reactor::{Dir, PollDesc, Ready, Snapshot};
pub use sched::{Fiber, Runnext, Runtime};
pub(crate) use user_mode::spawn_fiber;
