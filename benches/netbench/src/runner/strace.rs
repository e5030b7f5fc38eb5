//! Syscall counts by type from `strace -c -f`: attached to a running
//! server for exactly a measured batch of requests, or around a whole
//! child process (the chain). Counted, not timed: strace slows the traced
//! process down many times, but not what it calls.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sys::syscall;

/// Calls per syscall name, largest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Syscalls {
    /// `(name, calls, errors)`.
    pub by_name: Vec<(String, u64, u64)>,
}

impl Syscalls {
    /// Calls of `name` (0 if none).
    pub fn calls(&self, name: &str) -> u64 {
        self.by_name.iter().find(|(n, ..)| n == name).map_or(0, |e| e.1)
    }

    /// All calls.
    pub fn total(&self) -> u64 {
        self.by_name.iter().map(|e| e.1).sum()
    }

    /// `self - earlier`, by name (for the chain's two-run difference).
    pub fn minus(&self, earlier: &Syscalls) -> Syscalls {
        let mut by_name: Vec<_> = self
            .by_name
            .iter()
            .map(|(n, c, e)| {
                let (c0, e0) = earlier.by_name.iter().find(|x| &x.0 == n).map_or((0, 0), |x| (x.1, x.2));
                (n.clone(), c.saturating_sub(c0), e.saturating_sub(e0))
            })
            .filter(|x| x.1 > 0)
            .collect();
        by_name.sort_by_key(|e| std::cmp::Reverse(e.1));
        Syscalls { by_name }
    }
}

/// Whether `strace` can run here.
pub fn available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn no_strace() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "strace is not installed (apt-get install -y strace), or cannot trace here (ptrace not permitted)",
    )
}

fn out_file(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("netbench-{}-{tag}.strace", std::process::id()))
}

/// `strace -c -f` attached to a running process.
#[derive(Debug)]
pub struct Tracer {
    child: Child,
    out: PathBuf,
}

impl Tracer {
    /// Attaches to every thread of `pid`; returns once all are traced.
    pub fn attach(pid: u32) -> io::Result<Self> {
        if !available() {
            return Err(no_strace());
        }
        let out = out_file(&pid.to_string());
        let child = Command::new("strace")
            .args(["-c", "-f", "-o"])
            .arg(&out)
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !all_traced(pid)? {
            if Instant::now() > deadline {
                return Err(io::Error::other(format!("strace did not attach to every thread of {pid}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, out })
    }

    /// Detaches and returns the counts.
    pub fn detach(mut self) -> io::Result<Syscalls> {
        syscall!(kill(self.child.id() as i32, libc::SIGINT))?;
        self.child.wait()?;
        let text = std::fs::read_to_string(&self.out)?;
        let _ = std::fs::remove_file(&self.out);
        Ok(parse(&text))
    }
}

/// Whether every thread of `pid` has a tracer.
fn all_traced(pid: u32) -> io::Result<bool> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let status = std::fs::read_to_string(task?.path().join("status")).unwrap_or_default();
        let tracer = status.lines().find_map(|l| l.strip_prefix("TracerPid:")).map(str::trim);
        if tracer == Some("0") {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Runs `exe args` under `strace -c -f`; returns its counts and stdout.
pub fn run_traced(exe: &Path, args: &[String]) -> io::Result<(Syscalls, String)> {
    if !available() {
        return Err(no_strace());
    }
    let out = out_file("run");
    let o = Command::new("strace").args(["-c", "-f", "-o"]).arg(&out).arg(exe).args(args).output()?;
    if !o.status.success() {
        return Err(io::Error::other(format!(
            "traced {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    let text = std::fs::read_to_string(&out)?;
    let _ = std::fs::remove_file(&out);
    Ok((parse(&text), String::from_utf8_lossy(&o.stdout).into_owned()))
}

/// Parses the summary table of `strace -c`.
pub fn parse(text: &str) -> Syscalls {
    let mut by_name: Vec<(String, u64, u64)> = text
        .lines()
        .filter_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let name = *t.last()?;
            if name == "total" || t.len() < 5 || t[0].parse::<f64>().is_err() {
                return None;
            }
            let calls = t[3].parse().ok()?;
            let errors = if t.len() >= 6 { t[4].parse().ok()? } else { 0 };
            Some((name.to_string(), calls, errors))
        })
        .collect();
    by_name.sort_by_key(|e| std::cmp::Reverse(e.1));
    Syscalls { by_name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strace_summary() {
        let text = "% time     seconds  usecs/call     calls    errors syscall\n\
            ------ ----------- ----------- --------- --------- ----------------\n\
             60.00    0.000600           3       200        10 recvfrom\n\
             40.00    0.000400           2       190           sendto\n\
            ------ ----------- ----------- --------- --------- ----------------\n\
            100.00    0.001000           2       390        10 total\n";
        let s = parse(text);
        assert_eq!(s.calls("recvfrom"), 200);
        assert_eq!(s.by_name[0].2, 10);
        assert_eq!(s.calls("sendto"), 190);
        assert_eq!(s.total(), 390);
        assert_eq!(s.minus(&parse(text)).total(), 0);
    }
}
