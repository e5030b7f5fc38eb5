//! Fiber stacks: guard-paged anonymous mappings ([`FiberStack`]), a
//! per-worker cache and a per-runtime pool ([`StackCache`], [`StackPool`]),
//! and the report of a fiber that overflows its stack ([`overflow`]).
//!
//! # How big a stack
//!
//! Virtual size is cheap (a stack is `MAP_NORESERVE`); only the pages a
//! fiber touches become RSS. So the default is sized for the deepest
//! common work with room to spare, and RSS is controlled by trimming
//! (below). High-water marks measured by painting an 8 MiB stack, each
//! workload in a fresh process (`cargo run --release --example
//! stack_usage`; debug build: `cargo run --example stack_usage`):
//!
//! | workload on a fiber                          | release   | debug     |
//! |----------------------------------------------|-----------|-----------|
//! | empty coroutine (baseline)                   |   0.1 KiB |   0.7 KiB |
//! | `io::copy` Cursor -> sink, 1 MiB             |   0.5 KiB |  10.7 KiB |
//! | `io::copy` Read -> Vec, 1 MiB                |   0.8 KiB |   3.4 KiB |
//! | `io::copy` generic Read -> Write, 1 MiB      |   8.2 KiB |  10.2 KiB |
//! | `std::fs` read_to_string + metadata          |   1.4 KiB |   4.3 KiB |
//! | recursive-descent parse, depth 100           |  19.8 KiB | 137.0 KiB |
//! | `format!("{:?}")` wide value (200 x 10)      |   2.2 KiB |   4.1 KiB |
//! | `format!("{:?}")` nested value, depth 100    |  38.3 KiB | 137.0 KiB |
//! | `TcpStream` connect(addr) + write 64 KiB     |   2.5 KiB |   4.5 KiB |
//! | resolve `"localhost:80"` (getaddrinfo)       |   4.9 KiB |   5.5 KiB |
//! | panic + `catch_unwind`, RUST_BACKTRACE=0     |   3.8 KiB |   4.5 KiB |
//! | panic + `catch_unwind`, RUST_BACKTRACE=1     |  21.7 KiB |  22.4 KiB |
//! | `Backtrace::force_capture`                   |   3.4 KiB |   4.0 KiB |
//! | `force_capture` + Display (first symbolize)  |  20.8 KiB |  21.6 KiB |
//!
//! [`DEFAULT_STACK_SIZE`] is 256 KiB: 6.7x the worst release figure and
//! 1.9x the worst debug one (deep recursion in unoptimised code), at no
//! RSS cost for fibers that stay shallow.
//!
//! # Reuse and RSS
//!
//! Costs on this machine (a 2-core VM, where page faults are slow),
//! `cargo bench -p fiberio-benches --bench stack_pool`, 256 KiB stacks:
//!
//! | operation                                        | time     |
//! |--------------------------------------------------|----------|
//! | cache get + put (hit)                            | 29 ns    |
//! | fresh map + guard + unmap                        | 11 µs    |
//! | fresh map + guard, touch top 16 KiB, unmap       | 27 µs    |
//! | trim, nothing resident below the kept 16 KiB     | 1.3 µs   |
//! | trim, 240 KiB resident                           | 34 µs    |
//! | trim + refault 240 KiB (60 pages)                | 247 µs   |
//! | touch 240 KiB already resident                   | 0.5 µs   |
//!
//! A refault costs about 3.5 µs a page here, a trim about 1 µs plus 0.5 µs
//! a resident page: trimming on every put would make each reuse by a deep
//! fiber refault its pages, and even a shallow one pay 1 µs, against 29 ns
//! for the reuse itself. So stacks are trimmed only when a worker goes
//! idle (just the stacks used since its last trim: usually none, as a
//! long-lived connection fiber does not return its stack) and when they
//! move to the pool; see `pool.rs` for the bounds.

use std::io;

mod fiber_stack;
pub(crate) mod overflow;
mod pool;

pub(crate) use fiber_stack::{FiberStack, TRIM_KEEP};
pub(crate) use pool::{StackCache, StackPool};

/// Usable bytes of a fiber stack when neither the runtime nor the builder
/// sets one. Chosen by measurement: see the module docs.
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// The smallest stack a runtime or builder accepts. A fiber that panics
/// must be able to unwind to its root and let the default panic hook
/// print the message and, with RUST_BACKTRACE=1, a backtrace: 22.4 KiB
/// measured (debug build, module docs), plus the runtime's own frames.
/// Smaller stacks would save no RSS, only address space.
pub(crate) const MIN_STACK_SIZE: usize = 32 * 1024;

/// Checks a requested stack size against the minimum.
pub(crate) fn check_size(size: usize) -> io::Result<usize> {
    if size < MIN_STACK_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "fiberio: a stack size of {size} bytes is under the minimum of {} bytes; \
                 ask for at least that much (the default is {} bytes)",
                MIN_STACK_SIZE, DEFAULT_STACK_SIZE
            ),
        ));
    }
    Ok(size)
}
