//! Per-worker timers; `sleep` and `sleep_until`.

mod heap;
pub(crate) mod timers;
