//! The reactor: readiness of fds, delivered by each worker's poller.
//!
//! It knows waiters (`fiber::waiter`), never the scheduler: a worker holds
//! a [`Poller`] and polls it; the poller wakes the waiters of each fd, and
//! a woken fiber's own control block says how it is made runnable.
//!
//! - `poller`: a worker's epoll instance and wake-up eventfd, the count of
//!   registered fds, and the decoding of each event for its poll
//!   descriptor.
//! - `readiness`: the per-direction readiness token (tick-checked clear;
//!   no context switch, model-checked by loom).
//! - `poll_desc`: per-fd state — tokens, FIFO waiters, generation,
//!   registration —, the dispatch of an event to its waiters, and the IO
//!   loop every blocking operation runs (`run_io`; no context switch of its
//!   own but the wait; model-checked by loom).
//! - `waiters`: the waiters of one direction — FIFO fibers and the one
//!   async task — under the poll descriptor's lock.
//! - `arena`: poll descriptors indexed by fd, grown in chunks.
//! - `source`: the handle sockets own: registration with the current
//!   worker's poller on first wait, the thread fallback, deregistration.
//! - `hooked` (feature `hook`): which fds the libc hook drives.

mod arena;
#[cfg(feature = "hook")]
pub(crate) mod hooked;
pub(crate) mod poll_desc;
pub(crate) mod poller;
pub(crate) mod readiness;
mod source;
mod waiters;

pub(crate) use poll_desc::{Deadline, Dir};
pub(crate) use poller::Poller;
pub(crate) use source::IoSource;
