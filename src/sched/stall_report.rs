//! Where a stall the watchdog found (`stall.rs`) is reported: a line on
//! stderr and, with feature `tracing`, a `WARN` event of target
//! `fiberio::stall` whose fields name the fiber, its spawn location, its
//! worker and the time — both rate-limited.
//!
//! The rate limit ([`RateLimit`]): at most one report per fiber per
//! [`PER_FIBER`], and at most [`BURST`] reports per [`WINDOW`] in all, so
//! a program whose fibers all block in std calls does not drown its
//! stderr (or its log pipeline) in one line per run. Reports left out are
//! counted, and the next report says how many. Every stall is still
//! counted in `WorkerMetrics::stalls`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::stall::RunningFiber;

/// The least time between two reports of one fiber.
pub(crate) const PER_FIBER: Duration = Duration::from_secs(10);
/// The window of the global cap.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Reports allowed per [`WINDOW`], all fibers together.
pub(crate) const BURST: u32 = 10;

/// The watchdog's rate limit (module docs); owned by its thread.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    /// When each fiber was last reported.
    last: HashMap<u64, Instant>,
    /// The current window's start and the reports made in it.
    window: Option<(Instant, u32)>,
    /// Reports left out since the last one made.
    suppressed: u64,
}

impl RateLimit {
    /// Whether a stall of fiber `id` at `now` may be reported; if so,
    /// returns how many reports were left out before it.
    pub(crate) fn allow(&mut self, id: u64, now: Instant) -> Option<u64> {
        let fiber_ok = self.last.get(&id).is_none_or(|&t| now.saturating_duration_since(t) >= PER_FIBER);
        let (start, used) = match self.window {
            Some((start, used)) if now.saturating_duration_since(start) < WINDOW => (start, used),
            _ => (now, 0),
        };
        if !fiber_ok || used >= BURST {
            self.suppressed += 1;
            self.window = Some((start, used));
            return None;
        }
        self.window = Some((start, used + 1));
        if self.last.len() >= 4096 {
            self.last.retain(|_, &mut t| now.saturating_duration_since(t) < PER_FIBER);
        }
        self.last.insert(id, now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

/// Reports a stall of `fiber` on worker `index`, running `so_far`;
/// `message` is the stderr line, `suppressed` the reports left out before.
pub(crate) fn report(index: usize, fiber: &RunningFiber, so_far: Duration, message: &str, suppressed: u64) {
    if suppressed > 0 {
        eprintln!("{message} ({suppressed} earlier stall reports were left out by the rate limit)");
    } else {
        eprintln!("{message}");
    }
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "fiberio::stall",
        fiber_id = fiber.id,
        fiber_name = fiber.name.as_deref().unwrap_or("<unnamed>"),
        spawned_at = %fiber.location,
        worker = index,
        ms = so_far.as_millis() as u64,
        suppressed,
        "fiber ran without yielding or parking, holding up its worker's other fibers",
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (index, fiber, so_far);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_fiber_per_interval() {
        let mut rl = RateLimit::default();
        let t = Instant::now();
        assert_eq!(rl.allow(1, t), Some(0));
        assert_eq!(rl.allow(1, t + Duration::from_secs(1)), None);
        assert_eq!(rl.allow(2, t + Duration::from_secs(1)), Some(1), "another fiber; one left out");
        assert_eq!(rl.allow(1, t + PER_FIBER), Some(0));
    }

    #[test]
    fn at_most_a_burst_per_window() {
        let mut rl = RateLimit::default();
        let t = Instant::now();
        for id in 0..BURST as u64 {
            assert_eq!(rl.allow(id, t), Some(0));
        }
        assert_eq!(rl.allow(100, t), None);
        assert_eq!(rl.allow(101, t + WINDOW - Duration::from_millis(1)), None);
        assert_eq!(rl.allow(102, t + WINDOW), Some(2), "a new window; two were left out");
    }
}
