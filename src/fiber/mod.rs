//! Fibers: the control block, the park protocol, spawning and joining,
//! the current fiber, and fiber-local storage.
//!
//! - `park`: the two-phase park / exactly-one-wakeup protocol (no context
//!   switch; model-checked by loom).
//! - `waiter`: [`wait`](waiter::wait), the one blocking primitive every
//!   blocking operation uses, on fibers and on plain threads alike.
//! - `task`: the `Send + Sync` part of a fiber.
//! - `cancel`: `JoinHandle::cancel`, delivered at the next blocking point.
//! - `builder`, `join`, `current`, `local`: the public API.

mod builder;
pub(crate) mod cancel;
mod current;
mod join;
mod local;
pub(crate) mod park;
pub(crate) mod task;
pub(crate) mod waiter;

pub use builder::{Builder, spawn};
pub use cancel::Cancelled;
pub use current::{Fiber, FiberId, current, yield_now};
pub use join::JoinHandle;
pub use local::LocalKey;

pub(crate) use builder::check_stack_size;
pub(crate) use join::{drop_or_abort, shutdown_output};
pub(crate) use local::{LocalMap, clear_current};
