//! The five servers, each a mode of the `netbench serve` process, all
//! speaking [`crate::proto`] on the same number of workers.
//!
//! A server process prints `listening HOST:PORT` once bound, then serves
//! until its standard input closes. A line `usage` on standard input makes
//! it print `usage <cpu_us> <nvcsw> <nivcsw> <rss_kib> <hwm_kib>` (its own
//! `getrusage` and `/proc/self/status`), which is how the runner measures
//! CPU time, context switches and memory of exactly a measurement window.
//!
//! | kind | what |
//! |------|------|
//! | `fiberio` | this repo's runtime: blocking-style `read_exact`/`write_all`, a fiber per connection |
//! | `tokio` | multi-thread runtime, a task per connection, `AsyncReadExt::read_exact` |
//! | `may` | may's coroutine sockets, a coroutine per connection |
//! | `threads` | std, a thread per connection |
//! | `epoll` | hand-written: per thread one `SO_REUSEPORT` listener, one edge-triggered epoll, per-connection state machines (the paper's SimpleServerC) |

mod epoll_srv;
mod fiberio_srv;
mod may_srv;
mod threads_srv;
mod tokio_srv;

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;

use crate::sys::{self, Usage};

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// fiberio fibers.
    Fiberio,
    /// tokio tasks.
    Tokio,
    /// may coroutines.
    May,
    /// std thread per connection.
    Threads,
    /// hand-written edge-triggered epoll per thread.
    Epoll,
}

impl Kind {
    /// Every server, in table order.
    pub const ALL: [Kind; 5] = [Kind::Fiberio, Kind::Tokio, Kind::May, Kind::Threads, Kind::Epoll];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fiberio => "fiberio",
            Kind::Tokio => "tokio",
            Kind::May => "may",
            Kind::Threads => "threads",
            Kind::Epoll => "epoll",
        }
    }

    /// Parses a name; the error lists the valid ones.
    pub fn parse(s: &str) -> Result<Kind, String> {
        Kind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown server {s:?}: expected one of {}", names.join(", "))
        })
    }
}

/// How to run a server.
#[derive(Clone, Copy, Debug)]
pub struct ServeOpts {
    /// Which server.
    pub kind: Kind,
    /// Worker threads (the thread server is restricted to this many CPUs).
    pub workers: usize,
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Rounds of [`crate::proto::work`] per request (0: plain echo).
    pub work: u32,
}

/// Runs the server of `o` until standard input closes. Errors (the port is
/// taken, a runtime cannot start) come back with what failed.
pub fn serve(o: &ServeOpts) -> io::Result<()> {
    sys::raise_fd_limit()?;
    // Every server gets the same CPUs: `workers` of them.
    sys::restrict_cpus(o.workers)?;
    let bound = |addr: SocketAddr| {
        println!("listening {addr}");
        let _ = io::stdout().flush();
        std::thread::Builder::new().name("netbench-control".into()).spawn(control).expect("a control thread");
    };
    let res = match o.kind {
        Kind::Fiberio => fiberio_srv::run(o, &bound),
        Kind::Tokio => tokio_srv::run(o, &bound),
        Kind::May => may_srv::run(o, &bound),
        Kind::Threads => threads_srv::run(o, &bound),
        Kind::Epoll => epoll_srv::run(o, &bound),
    };
    res.map_err(|e| io::Error::new(e.kind(), format!("{} server on {}: {e}", o.kind.name(), o.addr)))
}

/// Answers `usage` lines; exits the process when standard input closes.
fn control() {
    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "usage" {
            match Usage::of_self() {
                Ok(u) => println!("usage {}", u.to_line()),
                Err(e) => println!("error usage: {e}"),
            }
            let _ = io::stdout().flush();
        }
    }
    std::process::exit(0);
}

/// Logs a failed `accept` (out of fds, say) once per burst; callers back off.
fn accept_failed(kind: Kind, e: &io::Error) {
    eprintln!("netbench {} server: accept: {e} (backing off 100 ms)", kind.name());
}
