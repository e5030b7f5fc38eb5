//! The reactor: readiness of fds, delivered by each worker's epoll.
//!
//! - `readiness`: the per-direction readiness token (tick-checked clear;
//!   no context switch, model-checked by loom).
//! - `poll_desc`: per-fd state — tokens, FIFO waiters, generation,
//!   registration.
//! - `arena`: poll descriptors indexed by fd, grown in chunks.
//! - `source`: the handle sockets own, and the try / clear / park loop of
//!   every blocking operation; `dispatch`, called by a worker per event.

mod arena;
mod poll_desc;
pub(crate) mod readiness;
mod source;

pub(crate) use poll_desc::Dir;
pub(crate) use source::{Deadline, IoSource, dispatch};

#[cfg(loom)]
pub(crate) use poll_desc::PollDesc;
