//! netbench: fiberio against tokio, may, std threads and a hand-written
//! epoll server, side by side on one machine, in one run.
//!
//! One binary plays every part, each in its own process:
//!
//! ```text
//! netbench all | simple | single | chain | idle | cpu     the runner (this process)
//!   ├── netbench serve --server K ...                     a server (servers/)
//!   ├── netbench load --control ...                       the load generator (loadgen/)
//!   └── netbench chain-run --server K ...                 the chain workload (chain/)
//! ```
//!
//! The runner measures the server's own `getrusage` at the edges of the
//! load generator's measurement window, counts syscalls with `strace -c -f`
//! on request, and writes a markdown report and SVG plots under
//! `target/netbench/`. `netbench help` lists the commands.

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod chain;
pub mod cli;
pub mod goals;
pub mod loadgen;
pub mod plot;
pub mod proto;
pub mod report;
pub mod runner;
pub mod servers;
pub mod sys;
