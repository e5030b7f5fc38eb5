//! The user's task API, above the scheduler (tokio's `task/` over
//! `runtime/`): [`spawn`] and [`Builder`], [`JoinHandle`], [`current`]
//! with [`Fiber`] and [`FiberId`], [`yield_now`], and fiber-local storage
//! ([`fiber_local!`](crate::fiber_local!), [`LocalKey`]).
//!
//! - `builder`: spawning, onto the current fiber's runtime or the global
//!   one (`sched::runtime`).
//! - `join`: the handle over a fiber's `JoinSlot` (`fiber/join_slot.rs`).
//! - `current`: the running fiber (`fiber/carrier.rs`), and yielding.
//! - `local`: `fiber_local!` keys over the maps of `fiber/local.rs`.

mod builder;
mod current;
mod join;
mod local;

pub use builder::{Builder, spawn};
pub use current::{Fiber, FiberId, current, yield_now};
pub use join::JoinHandle;
pub use local::LocalKey;
