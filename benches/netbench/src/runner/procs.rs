//! Child processes of a measurement: a server (`netbench serve`) and load
//! generators (`netbench load --control`), driven line by line over their
//! standard input and output. Dropping a handle closes the child's standard
//! input, which ends it; a child that lingers is killed.

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::loadgen::LoadResult;
use crate::servers::Kind;
use crate::sys::Usage;

/// A child process with line-based control.
#[derive(Debug)]
struct Proc {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn start(what: String, mut cmd: Command) -> io::Result<Self> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child =
            cmd.spawn().map_err(|e| io::Error::new(e.kind(), format!("cannot start {what}: {e}")))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Self { what, child, stdin, stdout })
    }

    /// The next line that starts with `prefix` (others are skipped), with
    /// the prefix and one space removed.
    fn line(&mut self, prefix: &str) -> io::Result<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line)? == 0 {
                let status = self.child.wait()?;
                return Err(io::Error::other(format!(
                    "{} exited ({status}) before printing {prefix:?}; see its message above",
                    self.what
                )));
            }
            if let Some(rest) = line.trim_end().strip_prefix(prefix) {
                return Ok(rest.trim_start().to_string());
            }
        }
    }

    fn send(&mut self, line: &str) -> io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| io::Error::other("stdin already closed"))?;
        writeln!(stdin, "{line}")?;
        stdin.flush()
    }

    /// Closes stdin and waits up to `grace` for the child, then kills it.
    fn finish(&mut self, grace: Duration) -> io::Result<std::process::ExitStatus> {
        drop(self.stdin.take());
        let deadline = Instant::now() + grace;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                return self.child.wait();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.finish(Duration::from_secs(5));
    }
}

/// A running server.
#[derive(Debug)]
pub struct ServerProc {
    proc: Proc,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProc {
    /// Starts `kind` on `workers` workers and waits until it listens.
    pub fn start(exe: &Path, kind: Kind, workers: usize, work: u32) -> io::Result<Self> {
        let mut cmd = Command::new(exe);
        cmd.args(["serve", "--server", kind.name(), "--addr", "127.0.0.1:0"]);
        cmd.args(["--workers", &workers.to_string(), "--work", &work.to_string()]);
        let mut proc = Proc::start(format!("the {} server", kind.name()), cmd)?;
        let addr = proc.line("listening")?.parse().map_err(io::Error::other)?;
        Ok(Self { proc, addr })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.proc.child.id()
    }

    /// The server's resource usage now.
    pub fn usage(&mut self) -> io::Result<Usage> {
        self.proc.send("usage")?;
        let line = self.proc.line("usage")?;
        Usage::from_line(&line).ok_or_else(|| io::Error::other(format!("bad usage line {line:?}")))
    }

    /// Whether it is still running (a crash shows up here).
    pub fn check_alive(&mut self) -> io::Result<()> {
        match self.proc.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(io::Error::other(format!("{} died ({status})", self.proc.what))),
        }
    }
}

/// How to load a server.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Connections.
    pub conns: u64,
    /// Number of the first connection.
    pub first_conn: u64,
    /// Client threads.
    pub threads: usize,
    /// Warm-up, seconds.
    pub warmup: f64,
    /// Measurement, seconds (unless `requests`).
    pub duration: f64,
    /// A fixed request count instead.
    pub requests: Option<u64>,
    /// Server work rounds.
    pub work: u32,
    /// Check the work hash in each reply.
    pub check_work: bool,
    /// Open and hold idle only.
    pub idle: bool,
}

/// A running load generator in `--control` mode.
#[derive(Debug)]
pub struct LoadProc {
    proc: Proc,
}

impl LoadProc {
    /// Starts a generator against `addr`; returns once every connection is
    /// open and answered once.
    pub fn start(exe: &Path, addr: SocketAddr, s: &LoadSpec) -> io::Result<Self> {
        let mut cmd = Command::new(exe);
        cmd.args(["load", "--control", "--addr", &addr.to_string(), "--conns", &s.conns.to_string()]);
        cmd.args(["--first-conn", &s.first_conn.to_string(), "--threads", &s.threads.to_string()]);
        cmd.args(["--warmup", &s.warmup.to_string(), "--duration", &s.duration.to_string()]);
        cmd.args(["--work", &s.work.to_string()]);
        if let Some(n) = s.requests {
            cmd.args(["--requests", &n.to_string()]);
        }
        if s.check_work {
            cmd.arg("--check-work");
        }
        if s.idle {
            cmd.arg("--idle");
        }
        let mut proc = Proc::start("the load generator".into(), cmd)?;
        proc.line("connected")?;
        Ok(Self { proc })
    }

    /// Waits for the end of the warm-up.
    pub fn wait_warm(&mut self) -> io::Result<()> {
        self.proc.line("warm").map(drop)
    }

    /// Starts the measurement and returns its result.
    pub fn measure(&mut self) -> io::Result<LoadResult> {
        self.proc.send("go")?;
        let line = self.proc.line("result")?;
        LoadResult::parse(&format!("result {line}"))
            .ok_or_else(|| io::Error::other(format!("bad result line {line:?}")))
    }

    /// Lets it close its connections and exit; fails if it did not exit 0.
    pub fn finish(mut self) -> io::Result<()> {
        let status = self.proc.finish(Duration::from_secs(20))?;
        if status.success() { Ok(()) } else { Err(io::Error::other(format!("the load generator: {status}"))) }
    }
}
