//! A private `redis-server` for the hook tests, on a free port.
//!
//! Needs the `redis-server` binary (Debian's `redis-server` package;
//! `.ci/run` installs it). Under CI (`CI` set) a missing binary fails the
//! test; elsewhere the test says so on stderr and returns.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

/// A running `redis-server`, killed on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    /// Starts one, or `None` (outside CI) if `redis-server` is missing.
    ///
    /// The port is free when picked, but another test may start its own
    /// server on it first: then this one exits, and the server that
    /// answers is the other test's (it answered "connection refused" once
    /// that test ended). So a start counts only when the server on the
    /// port reports this child's process id; otherwise it is retried on
    /// another port.
    pub fn start() -> Option<Self> {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let spawned = Command::new("redis-server")
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) if std::env::var_os("CI").is_some() => {
                    panic!("redis-server could not start ({e}): .ci/run installs Debian's redis-server")
                }
                Err(e) => {
                    eprintln!("SKIPPED: redis-server could not start ({e}); install Debian's redis-server");
                    return None;
                }
            };
            let pid = child.id();
            let mut exited = false;
            super::wait_until(super::PATIENCE, "redis-server accepts connections or exits", || {
                exited = child.try_wait().unwrap().is_some();
                exited || server_pid(port) == Some(pid)
            });
            if !exited {
                return Some(Self { child, port });
            }
        }
        panic!("redis-server exited at start on five free ports in a row");
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

/// The process id the server on `port` reports (`INFO server`), if one
/// answers.
fn server_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).ok()?;
    s.write_all(b"INFO server\r\n").ok()?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // The reply is one bulk string; its `process_id:` line comes early.
    while !String::from_utf8_lossy(&reply).contains("\nrun_id:") {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&reply);
    text.lines().find_map(|l| l.strip_prefix("process_id:")).and_then(|v| v.trim().parse().ok())
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
