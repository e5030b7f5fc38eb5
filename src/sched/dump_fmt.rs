//! How a [`FiberDump`] reads: like Go's goroutine dump, one paragraph per
//! fiber — a header with its id, name, state and how long, where it lives
//! and where it was spawned, then its backtrace trimmed to the frames that
//! matter (from its park down to its entry, without the capture machinery
//! above or the worker's frames below).

use std::fmt;
use std::time::{Duration, Instant};

use super::dump_view::{FiberDump, FiberInfo, FiberState, WaitReason};
use crate::fiber::capture::Captured;

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WaitReason::Read { fd } => write!(f, "read fd {fd}"),
            WaitReason::Write { fd } => write!(f, "write fd {fd}"),
            WaitReason::Sleep => f.write_str("sleep"),
            WaitReason::Mutex { address } => write!(f, "mutex {address:#x}"),
            WaitReason::RwLockRead { address } => write!(f, "rwlock read {address:#x}"),
            WaitReason::RwLockWrite { address } => write!(f, "rwlock write {address:#x}"),
            WaitReason::Semaphore { address } => write!(f, "semaphore {address:#x}"),
            WaitReason::Condvar { address } => write!(f, "condvar {address:#x}"),
            WaitReason::Barrier { address } => write!(f, "barrier {address:#x}"),
            WaitReason::WaitGroup { address } => write!(f, "wait group {address:#x}"),
            WaitReason::Send { channel } => write!(f, "chan send {channel:#x}"),
            WaitReason::Recv { channel } => write!(f, "chan receive {channel:#x}"),
            WaitReason::Select => f.write_str("select"),
            WaitReason::Poll => f.write_str("poll"),
            WaitReason::Join { fiber } => write!(f, "join fiber {fiber}"),
            WaitReason::Blocking => f.write_str("unblock"),
            WaitReason::Future => f.write_str("future"),
            WaitReason::Dump => f.write_str("fiber dump"),
            WaitReason::Unknown => f.write_str("parked"),
        }
    }
}

impl fmt::Display for FiberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FiberState::Running => f.write_str("running"),
            FiberState::Runnable => f.write_str("runnable"),
            FiberState::NotStarted => f.write_str("not started"),
            FiberState::Parked { on, .. } => on.fmt(f),
        }
    }
}

/// A duration as people read it: `850µs`, `12ms`, `3.2s`, `4m10s`, `2h5m`.
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let s = d.as_secs();
        if d < Duration::from_millis(1) {
            write!(f, "{}µs", d.as_micros())
        } else if d < Duration::from_secs(1) {
            write!(f, "{}ms", d.as_millis())
        } else if s < 60 {
            write!(f, "{}.{}s", s, d.subsec_millis() / 100)
        } else if s < 3600 {
            write!(f, "{}m{}s", s / 60, s % 60)
        } else {
            write!(f, "{}h{}m", s / 3600, s % 3600 / 60)
        }
    }
}

impl FiberInfo {
    /// The header line, e.g. `fiber 7 "db" [chan receive 0x5618…, 3.2s]
    /// on worker 1, spawned at src/main.rs:12:5:`.
    fn fmt_header(&self, f: &mut fmt::Formatter<'_>, now: Instant) -> fmt::Result {
        write!(f, "fiber {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " [{}", self.state)?;
        match (self.state, self.since) {
            (FiberState::Running, Some(d)) => write!(f, ", at least {}", Human(d))?,
            (_, Some(d)) => write!(f, ", {}", Human(d))?,
            _ => {}
        }
        if let FiberState::Parked { deadline: Some(deadline), .. } = self.state {
            match deadline.checked_duration_since(now) {
                Some(left) => write!(f, ", times out in {}", Human(left))?,
                None => f.write_str(", timing out")?,
            }
        }
        write!(f, "] on worker {}, spawned at {}:", self.worker, self.spawned_at)
    }
}

impl fmt::Display for FiberInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_header(f, Instant::now())?;
        writeln!(f)?;
        match self.backtrace.as_deref() {
            Some(Captured::Backtrace(bt)) => write_trimmed(f, &bt.to_string()),
            Some(Captured::StackTooLow(left)) => {
                writeln!(f, "      (backtrace not taken: only {left} bytes of stack left)")
            }
            None => Ok(()),
        }
    }
}

impl fmt::Display for FiberDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fibers = self.fibers().count();
        let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        writeln!(
            f,
            "fiberio fiber dump: {} {}, {} {}",
            self.workers.len(),
            plural(self.workers.len(), "worker", "workers"),
            fibers,
            plural(fibers, "fiber", "fibers"),
        )?;
        for worker in &self.workers {
            if !worker.responding {
                writeln!(
                    f,
                    "\nworker {} did not answer: it is running one fiber without yielding or parking \
                     (a CPU loop or a std blocking call?), or has shut down",
                    worker.index
                )?;
            }
            for fiber in &worker.fibers {
                writeln!(f)?;
                fiber.fmt(f)?;
            }
        }
        Ok(())
    }
}

/// One symbol of a printed `std::backtrace::Backtrace`: its line and the
/// `at file:line` lines under it; `starts_frame` unless it is a function
/// inlined into the frame above.
struct Symbol<'a> {
    starts_frame: bool,
    name: &'a str,
    at: Vec<&'a str>,
}

/// Parses std's backtrace text (`  N: name` / `      name` / `at ...`).
fn parse(text: &str) -> Vec<Symbol<'_>> {
    let mut symbols: Vec<Symbol<'_>> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("at ") {
            if let Some(last) = symbols.last_mut() {
                last.at.push(trimmed);
            }
            continue;
        }
        let numbered = trimmed.split_once(": ").filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
        let (starts_frame, name) = match numbered {
            Some((_, name)) => (true, name),
            None => (false, trimmed),
        };
        symbols.push(Symbol { starts_frame, name, at: Vec::new() });
    }
    symbols
}

/// Writes the fiber's own frames of a captured backtrace, renumbered:
/// after the capture's (`Context::suspend_coroutine` and above), before
/// the fiber's entry (`fiber_main` and below). Unresolved or unexpected
/// text is written as it is.
fn write_trimmed(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    let symbols = parse(text);
    // Past the capture, then past the fiber layer's park (Go's dump starts
    // at the blocking call too: `runtime.gopark` aside).
    let capture = symbols
        .iter()
        .rposition(|s| s.name.contains("suspend_coroutine") || s.name.contains("fiber::capture::"))
        .map_or(0, |i| i + 1);
    let start = symbols[capture..]
        .iter()
        .position(|s| !s.name.contains("fiberio::fiber::"))
        .map_or(capture, |i| capture + i);
    let end = symbols[start..]
        .iter()
        .position(|s| s.name.starts_with("fiberio::task::builder::erase") || s.name.contains("fiber_main"))
        .map_or(symbols.len(), |i| start + i);
    if start >= end {
        for line in text.lines() {
            writeln!(f, "{line}")?;
        }
        return Ok(());
    }
    let mut frame = 0usize;
    for (i, symbol) in symbols[start..end].iter().enumerate() {
        if symbol.starts_frame || i == 0 {
            writeln!(f, "{frame:4}: {}", symbol.name)?;
            frame += 1;
        } else {
            writeln!(f, "      {}", symbol.name)?;
        }
        for at in &symbol.at {
            writeln!(f, "             {at}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(Human(Duration::from_micros(850)).to_string(), "850µs");
        assert_eq!(Human(Duration::from_millis(12)).to_string(), "12ms");
        assert_eq!(Human(Duration::from_millis(3_250)).to_string(), "3.2s");
        assert_eq!(Human(Duration::from_secs(250)).to_string(), "4m10s");
        assert_eq!(Human(Duration::from_secs(7_500)).to_string(), "2h5m");
    }

    struct Trimmed(&'static str);
    impl fmt::Display for Trimmed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_trimmed(f, self.0)
        }
    }

    #[test]
    fn trims_to_the_fibers_own_frames() {
        let text = "   0: std::backtrace::Backtrace::force_capture\n\
                    \x20            at /rustc/x/library/std/src/backtrace.rs:312:13\n\
                    \x20  1: fiberio::fiber::capture::Capture::answer\n\
                    \x20  2: fiberio::fiber::carrier::Context::suspend_coroutine\n\
                    \x20     fiberio::fiber::carrier::park\n\
                    \x20            at ./src/fiber/carrier.rs:260:9\n\
                    \x20  3: app::handler\n\
                    \x20            at ./src/main.rs:9:5\n\
                    \x20  4: fiberio::sched::fibers::fiber_main\n\
                    \x20  5: corosensei::coroutine::on_stack\n";
        assert_eq!(
            Trimmed(text).to_string(),
            "   0: app::handler\n\
             \x20            at ./src/main.rs:9:5\n"
        );
    }

    #[test]
    fn unresolved_frames_are_kept() {
        assert_eq!(
            Trimmed("   0: <unknown>\n   1: <unknown>\n").to_string(),
            "   0: <unknown>\n   1: <unknown>\n"
        );
    }
}
