//! Per-worker timers; `sleep` and `sleep_until`.

pub(crate) mod timers;
