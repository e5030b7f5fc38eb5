//! A clock cheap enough to read on every fiber switch: the CPU's time-stamp
//! counter on x86-64 (`rdtsc`, one instruction, no syscall, no vDSO call),
//! `Instant` elsewhere. It only measures how long ago something happened,
//! for the fiber dump; [`Ticks::elapsed`] converts with a rate measured
//! between two readings of both clocks, so no calibration runs at start.
//!
//! x86-64 CPUs of the last fifteen years have an invariant TSC (constant
//! rate, synchronised across cores), and virtual machines expose one; a
//! reading taken on one core and compared on another is sound there. On a
//! CPU without it the durations shown are off, never unsafe.

use std::time::{Duration, Instant};

/// A reading of the cheap clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Ticks(u64);

/// A pair of readings of both clocks, taken at one moment: the origin from
/// which [`Ticks`] convert to durations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TickOrigin {
    ticks: Ticks,
    at: Instant,
}

impl Ticks {
    /// Reads the cheap clock.
    #[inline(always)]
    pub(crate) fn now() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `rdtsc` exists on every x86-64 CPU and has no
            // preconditions; user mode may run it (Linux leaves CR4.TSD clear).
            Ticks(unsafe { core::arch::x86_64::_rdtsc() })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Ticks(fallback_nanos())
        }
    }

    /// How long before `now` this reading was taken, the rate measured
    /// between `origin` and `now` (both taken with [`TickOrigin::now`]).
    /// `None` when the rate cannot be measured yet (too little time since
    /// `origin`).
    pub(crate) fn elapsed(self, origin: TickOrigin, now: TickOrigin) -> Option<Duration> {
        let span_ticks = now.ticks.0.checked_sub(origin.ticks.0)?;
        let span_nanos = now.at.checked_duration_since(origin.at)?.as_nanos();
        if span_ticks == 0 || span_nanos == 0 {
            return None;
        }
        let ago = now.ticks.0.saturating_sub(self.0) as u128;
        let nanos = ago * span_nanos / span_ticks as u128;
        Some(Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)))
    }
}

impl TickOrigin {
    /// Both clocks, now.
    pub(crate) fn now() -> Self {
        Self { ticks: Ticks::now(), at: Instant::now() }
    }
}

/// Nanoseconds since the first call (the fallback clock).
#[cfg(not(target_arch = "x86_64"))]
fn fallback_nanos() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_convert_at_the_measured_rate() {
        let t0 = Instant::now();
        let origin = TickOrigin { ticks: Ticks(1_000), at: t0 };
        // 3 ticks per nanosecond.
        let now = TickOrigin { ticks: Ticks(1_000 + 3_000_000), at: t0 + Duration::from_millis(1) };
        assert_eq!(Ticks(1_000 + 1_500_000).elapsed(origin, now), Some(Duration::from_micros(500)));
        assert_eq!(now.ticks.elapsed(origin, now), Some(Duration::ZERO));
        assert_eq!(Ticks(5).elapsed(origin, origin), None, "no rate without time between");
    }

    #[test]
    fn the_clock_does_not_go_back() {
        let a = Ticks::now();
        let b = Ticks::now();
        assert!(b >= a);
    }
}
