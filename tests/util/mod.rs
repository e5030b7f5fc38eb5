//! Helpers shared by the integration tests, one file per topic. Each test
//! binary that says `mod util;` compiles all of them and uses a subset.
#![allow(dead_code, unused_imports)] // each test binary uses a different subset

mod cancel;
mod child;
mod dump;
mod hook;
mod net;
mod parties;
mod place;
mod postgres;
mod proc;
mod redis;
mod rng;
mod runtime;
mod wait;

pub use cancel::{DropFlag, cancel_parked, park_fiber};
pub use child::{field, is_child, run_child, spawn_child};
pub use dump::{parked_info, state_of};
pub use hook::{
    Gate, OVERLAPPED, SLOW, answer_http, answer_line, on_one_worker, read_http_head, read_line, slow_server,
    verdict,
};
pub use net::{GUARD, kind, temp_socket_path};
pub use parties::{Party, Racy, SETTINGS, Setting, run_parties, start, yield_any};
pub use place::{Placed, spawn_on, worker_name};
pub use postgres::Postgres;
pub use proc::{blocked_in_syscall, fd_count, fd_list, tid};
pub use redis::Redis;
pub use rng::Rng;
pub use runtime::{one_worker, spawn_counter, two_workers};
pub use wait::{PATIENCE, Watchdog, holds_within, wait_until};
