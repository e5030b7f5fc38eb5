//! The scheduler: per-core workers, their loop, run queues, inbox,
//! sleep/notify, stealing, and the runtime that owns them.
//!
//! - `worker`: the dispatcher loop of one worker (DESIGN.md decision 3);
//!   `poll`: its epoll, timer and sleep half.
//! - `fibers`: the slab of coroutines a worker owns; the fiber entry point.
//! - `context`: the current worker and fiber; park, yield, schedule.
//! - `queue`: unstarted fibers, the only thing that moves between workers.
//! - `inbox`: wakes from other threads; `idle`: the sleep/notify protocol
//!   (no context switch; model-checked by loom).
//! - `runtime`, `builder`, `block_on`: the public runtime API.
//! - `metrics`: per-worker counters.
//! - `stall`: the stall warning — each worker's record of the fiber run in
//!   progress, and the watchdog thread that reports long runs.

mod block_on;
mod builder;
mod context;
mod fibers;
mod idle;
mod inbox;
mod metrics;
mod poll;
mod queue;
mod runtime;
mod stall;
mod worker;

pub use builder::RuntimeBuilder;
pub use metrics::WorkerMetrics;
pub use runtime::Runtime;

pub(crate) use context::{
    current_task, current_worker_shared, in_fiber, park_fiber, schedule, with_current_locals,
    worker_shutting_down, yield_fiber,
};
pub(crate) use fibers::{Coro, FiberSlot};
pub(crate) use queue::Unstarted;
pub(crate) use runtime::{RuntimeShared, with_spawn_target};
pub(crate) use worker::{Worker, WorkerShared};

#[cfg(loom)]
pub(crate) use {
    idle::{SleepState, notify_one},
    inbox::Inbox,
    queue::UnstartedQueue,
};
