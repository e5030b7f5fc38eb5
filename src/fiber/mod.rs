//! Fibers below the scheduler: the control block, the park protocol,
//! waiters and the one way to wait, and the running fiber.
//!
//! - `task`: the `Send + Sync` control block of a fiber, and the
//!   `Scheduler` trait through which a woken fiber goes back to its worker.
//! - `park`: the two-phase park / exactly-one-wakeup protocol (no context
//!   switch; model-checked by loom).
//! - `waiter`: the handle that ends one wait; `wait`: [`wait`], the one
//!   blocking primitive every blocking operation uses, on fibers and on
//!   plain threads alike, which turns a cancellation into the unwind.
//! - `wait_list`: the FIFO waiter list and `wait_on`, the protocol every
//!   sync primitive and channel queues on (no context switch; loom).
//! - `join_slot`: the oneshot a fiber's result travels through (loom).
//! - `carrier`: the running fiber and the worker that carries it — "am I
//!   on a fiber?" is answered here.
//! - `cancel`: cancellation, delivered at the next blocking point.
//! - `local`: the per-fiber maps behind `fiber_local!`.
//! - `wait_on`: what a parked fiber waits on, recorded for the fiber dump;
//!   `capture`: a suspended fiber's backtrace, taken by the fiber itself.
//!
//! The user's task API (`spawn`, `JoinHandle`, `current`, ...) sits above
//! the scheduler, in `task/`.

pub(crate) mod cancel;
pub(crate) mod capture;
pub(crate) mod carrier;
pub(crate) mod join_slot;
pub(crate) mod local;
pub(crate) mod park;
pub(crate) mod task;
pub(crate) mod wait;
pub(crate) mod wait_list;
pub(crate) mod wait_on;
pub(crate) mod waiter;

pub use cancel::Cancelled;

pub(crate) use carrier::{current_task, in_fiber};
pub(crate) use join_slot::{drop_or_abort, shutdown_output};
pub(crate) use wait::{Woken, wait};
pub(crate) use wait_on::{SyncKind, WaitOn};
