//! The scheduler: per-core workers, their loop, run queues, inbox,
//! sleep/notify, stealing, and the runtime core that owns them. Below the
//! task API (`task/`) and the public `Runtime` (`runtime/`); above the
//! reactor, timers, stacks and the fiber layer, which it drives.
//!
//! - `worker`: the dispatcher loop of one worker (DESIGN.md decision 3),
//!   the fiber layer's `Carrier`; `poll`: its poller, timer and sleep half;
//!   `shared`: what other threads see of a worker, the fiber layer's
//!   `Scheduler`.
//! - `fibers`: the slab of coroutines a worker owns; the fiber entry point.
//! - `context`: which worker runs on this thread.
//! - `queue`: unstarted fibers, the only thing that moves between workers.
//! - `spin`: an idle worker's short spin on its inbox before it sleeps.
//! - `inbox`: wakes from other threads; `idle`: the sleep/notify protocol
//!   and its glue — the sleep re-check, remote wakes, submit, stealing,
//!   the shutdown broadcast (no context switch; model-checked by loom).
//! - `runtime`: what the workers share, spawning, the worker threads and
//!   their shutdown, the global runtime; `config`: checking what the user
//!   set.
//! - `metrics`: per-worker counters.
//! - `debugger`: the list of live workers a debugger starts from
//!   (`gdb/fiberio.py`).
//! - `dump`: the fiber dump, each worker describing its own fibers;
//!   `dump_view`, `dump_fmt`: the dump as users see and read it;
//!   `dump_signal`: the opt-in SIGQUIT that prints it.
//! - `stall_report`: where a stall is reported (stderr, `tracing`), rate-limited.
//! - `stall`: the stall warning — each worker's record of the fiber run in
//!   progress, and the watchdog thread that reports long runs.

mod config;
mod context;
mod debugger;
pub(crate) mod dump;
mod dump_fmt;
mod dump_signal;
mod dump_view;
pub(crate) mod fibers;
pub(crate) mod idle;
pub(crate) mod inbox;
mod metrics;
mod poll;
pub(crate) mod queue;
mod runtime;
mod shared;
mod spin;
mod stall;
mod stall_report;
mod worker;

pub use dump_view::{DumpOptions, FiberDump, FiberInfo, FiberState, WaitReason, WorkerDump};
pub use metrics::WorkerMetrics;

pub(crate) use config::Config;
pub(crate) use fibers::{Coro, FiberSlot};
pub(crate) use runtime::{RuntimeCore, RuntimeShared, global_if_started, spawn};
pub(crate) use worker::Worker;
