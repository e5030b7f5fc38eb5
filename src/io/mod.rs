//! Blocking-style IO on any fd: [`PollFd`].

mod poll_fd;

pub use poll_fd::PollFd;
