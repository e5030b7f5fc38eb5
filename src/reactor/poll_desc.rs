//! A poll descriptor: fiberio's state for one open fd.
//!
//! Per direction a [`Readiness`] token and a FIFO of waiters (race 9:
//! several fibers may wait on one fd and direction — acceptors on one
//! listener — and each edge goes to one of them; a token is kept when none
//! waits). Plus the fd's generation (race 6) and where it is registered.
//!
//! The blocking path is "snapshot → syscall → on `EAGAIN` clear the token
//! with the snapshot's tick → register a waiter → re-check the token →
//! park" (`register_waiter` does the last three under the waiter lock);
//! the poller's path, once it has decoded an event into [`Ready`], is
//! "check the generation, set the token ready, pop a waiter — under the
//! waiter lock — then wake it, trying the next if that one's wait already
//! ended" (`dispatch`, `deliver`). The waiter lock orders a
//! registration against a delivery, so an edge either finds the waiter
//! queued or is seen by its re-check (race 1); and it orders a delivery
//! against `open` and `close`, so an event of a closed fd never reaches
//! the fd that reuses its number (race 6).

use std::io;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::poller::Poller;
use super::readiness::Readiness;
use super::waiters::{Taken, Waiters};
use crate::fiber::park::Reason;
use crate::fiber::waiter::Waiter;
use crate::fiber::{self, WaitOn, Woken};
use crate::loom::lock;
use crate::loom::mutation::{self, Mutation};
use crate::loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex, MutexGuard};
use crate::sys;

/// Which way an operation waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Readable: `read`, `recv`, `accept`, `peek`.
    Read = 0,
    /// Writable: `write`, `send`, `connect`.
    Write = 1,
}

/// What one event says of an fd, decoded by the poller: which directions
/// have an edge, and which hung up (the peer closed that direction, or the
/// socket failed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// An edge for reading (`EPOLLIN`).
    pub(crate) read: bool,
    /// An edge for writing (`EPOLLOUT`).
    pub(crate) write: bool,
    /// The peer hung up reading, or the socket failed.
    pub(crate) read_hup: bool,
    /// The peer hung up writing, or the socket failed.
    pub(crate) write_hup: bool,
}

/// When a wait gives up, and with which error kind (std uses `WouldBlock`
/// for a read/write timeout, `TimedOut` for `connect_timeout`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) kind: io::ErrorKind,
}

/// fiberio's state for one fd (see the module docs).
#[derive(Debug)]
pub(crate) struct PollDesc {
    /// Bumped when the fd is opened and when it is closed; epoll events
    /// carry the generation they were registered with.
    generation: AtomicU32,
    tokens: [Readiness; 2],
    /// Per direction, the fibers and the async task that wait
    /// (`waiters.rs`); the lock every delivery, registration, `open` and
    /// `close` takes.
    waiters: [Mutex<Waiters>; 2],
    /// How many waiters each direction holds (some may be over already):
    /// lets the IO path skip the lock when nobody else waits, the usual
    /// case.
    queued: [AtomicUsize; 2],
    /// The poller (a worker's epoll) that holds this fd, once a fiber has
    /// waited on it.
    registered: Mutex<Option<Arc<Poller>>>,
    /// The address of `registered` (0: none), so that a fiber parking
    /// again on the fd from the same worker — every park after the first —
    /// learns it is registered without taking the lock.
    registered_addr: AtomicUsize,
    /// `set_read_timeout` / `set_write_timeout`, in nanoseconds; 0 = none.
    /// Here rather than in the socket because they are set through `&self`
    /// and shared by every `&TcpStream` user, as std's (kernel) ones are.
    timeouts: [AtomicU64; 2],
    /// `set_nonblocking(true)` by the user: operations return `WouldBlock`
    /// instead of waiting.
    nonblocking: AtomicBool,
    /// Who drives this fd under the libc hook (feature `hook`): one of the
    /// states of `reactor::hooked`; reset to "untracked" by `open`.
    #[cfg(feature = "hook")]
    pub(super) hook: crate::loom::sync::atomic::AtomicU8,
    /// The libc hook's settings epoch when it last read this fd's
    /// `O_NONBLOCK` and socket timeouts into `nonblocking` and `timeouts`
    /// (0: never); reset by `open`.
    #[cfg(feature = "hook")]
    pub(crate) hook_epoch: AtomicU64,
}

impl PollDesc {
    pub(crate) fn new() -> Self {
        Self {
            generation: AtomicU32::new(0),
            tokens: [Readiness::new(), Readiness::new()],
            waiters: [Mutex::new(Waiters::default()), Mutex::new(Waiters::default())],
            queued: [AtomicUsize::new(0), AtomicUsize::new(0)],
            registered: Mutex::new(None),
            registered_addr: AtomicUsize::new(0),
            timeouts: [AtomicU64::new(0), AtomicU64::new(0)],
            nonblocking: AtomicBool::new(false),
            #[cfg(feature = "hook")]
            hook: crate::loom::sync::atomic::AtomicU8::new(0),
            #[cfg(feature = "hook")]
            hook_epoch: AtomicU64::new(0),
        }
    }

    /// The current generation.
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Acquire)
    }

    /// A new fd took this slot: fresh tokens, a new generation. Under both
    /// waiter locks, like `close`: see `deliver`.
    pub(crate) fn open(&self) -> u32 {
        let _queues = self.lock_both();
        self.tokens[0].reset();
        self.tokens[1].reset();
        self.timeouts[0].store(0, Relaxed);
        self.timeouts[1].store(0, Relaxed);
        self.nonblocking.store(false, Relaxed);
        #[cfg(feature = "hook")]
        {
            self.hook.store(0, Relaxed);
            self.hook_epoch.store(0, Relaxed);
        }
        self.generation.fetch_add(1, AcqRel).wrapping_add(1)
    }

    /// The fd is being closed: wakes every waiter (they see `closed`), ends
    /// the generation so in-flight events are dropped, and returns the
    /// poller it was registered with, for the caller to deregister.
    ///
    /// The tokens are closed and the queues emptied under the waiter locks,
    /// so a fiber registering concurrently is either in the queue taken
    /// here or sees the token closed in its re-check (race 5).
    pub(crate) fn close(&self) -> Option<Arc<Poller>> {
        let wake_first = mutation::on(Mutation::PdWakesBeforeClosing);
        let waiters = {
            let mut queues = self.lock_both();
            self.generation.fetch_add(1, AcqRel);
            [Dir::Read, Dir::Write].map(|dir| {
                if !wake_first {
                    self.tokens[dir as usize].close();
                }
                self.queued[dir as usize].store(0, Release);
                queues[dir as usize].take_all()
            })
        };
        for queue in waiters {
            for (i, w) in queue.enumerate() {
                if i > 0 && mutation::on(Mutation::PdCloseWakesFirstOnly) {
                    break;
                }
                w.wake();
            }
        }
        if wake_first {
            self.tokens.iter().for_each(Readiness::close);
        }
        self.unclaim_registration()
    }

    /// Both waiter queues, always locked in this order.
    fn lock_both(&self) -> [MutexGuard<'_, Waiters>; 2] {
        [lock(&self.waiters[0]), lock(&self.waiters[1])]
    }

    /// The token of `dir`, to snapshot before a syscall and clear after.
    pub(crate) fn token(&self, dir: Dir) -> &Readiness {
        &self.tokens[dir as usize]
    }

    /// The blocking loop of an IO operation on a fiber: while the token of
    /// `dir` says ready, run `op` (a non-blocking syscall); on `EAGAIN`
    /// clear the token with the snapshot taken before the call (a stale
    /// clear never erases a newer edge, race 11), then `park` until the
    /// next edge (it registers a waiter with
    /// [`register_waiter`](Self::register_waiter), which re-checks the
    /// token, race 1). A success that used up the readiness (`short`: a
    /// short stream read or write) clears the token too; one that left it
    /// ready hands it on to the next waiter ([`pass_on`](Self::pass_on),
    /// race 9). A closed fd ends the loop with `NotConnected`.
    ///
    /// No context switch here but inside `park`: the loom models run this
    /// very loop with a thread's wait as `park`.
    #[inline]
    pub(crate) fn run_io<R>(
        &self,
        dir: Dir,
        mut op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
        mut park: impl FnMut() -> io::Result<()>,
    ) -> io::Result<R> {
        let token = self.token(dir);
        loop {
            let seen = token.snapshot();
            if seen.is_closed() {
                return Err(closed());
            }
            if seen.is_ready() {
                match op() {
                    Ok(r) => {
                        if short(&r) {
                            token.clear(seen);
                        } else {
                            self.pass_on(dir);
                        }
                        return Ok(r);
                    }
                    Err(e) if sys::would_block(&e) => {
                        token.clear(seen);
                    }
                    Err(e) if sys::interrupted(&e) => continue,
                    Err(e) => return Err(e),
                }
            }
            park()?;
        }
    }

    /// [`run_io`](Self::run_io) for an async poll: where `run_io` would
    /// park, `register` runs (adding the fd to a poller) and `waker` is
    /// stored for the next edge ([`register_task`](Self::register_task)),
    /// and the poll returns `Pending` — unless the token turned ready
    /// since the `EAGAIN`: then the syscall is tried again.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Dir,
        waker: &Waker,
        op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
        mut register: impl FnMut() -> io::Result<()>,
    ) -> Poll<io::Result<R>> {
        let mut pending = false;
        let park = || {
            register()?;
            if self.register_task(dir, waker) {
                pending = true;
                // Ends `run_io`'s loop; `pending` tells it from an error.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(()) // ready again since the `EAGAIN`: try once more
        };
        let done = self.run_io(dir, op, short, park);
        if pending { Poll::Pending } else { Poll::Ready(done) }
    }

    /// The `park` of [`run_io`](Self::run_io) on a fiber: parks the running
    /// fiber (or, off a fiber, the thread) until an edge of `dir`, the
    /// deadline, or the close of the fd, with its waiter queued by
    /// [`register_waiter`](Self::register_waiter). A cancellation unwinds;
    /// the waiter it leaves queued is pruned by the next edge.
    #[inline]
    pub(crate) fn wait(&self, dir: Dir, deadline: Option<Deadline>, on: WaitOn) -> io::Result<()> {
        match fiber::wait(deadline.map(|d| d.at), on, |waiter| self.register_waiter(dir, waiter)) {
            Woken::Notified => Ok(()),
            Woken::TimedOut => Err(timed_out(deadline)),
            Woken::Shutdown => Err(io::Error::other("fiberio: the runtime is shutting down")),
        }
    }

    /// Queues `waiter` for the next edge of `dir`, unless the token is
    /// ready already (or closed): then wakes it at once. The re-check of
    /// the blocking path, under the waiter lock. Waiters whose wait already
    /// ended (timed out, say) are dropped on the way, so an idle socket read
    /// with a timeout again and again does not grow its queue.
    pub(crate) fn register_waiter(&self, dir: Dir, waiter: Waiter) {
        let mut queue = lock(&self.waiters[dir as usize]);
        if self.tokens[dir as usize].snapshot().is_ready() {
            drop(queue);
            waiter.wake(Reason::Notified);
        } else {
            queue.push_fiber(waiter);
            self.queued[dir as usize].store(queue.len(), Release);
        }
    }

    /// The task's side of [`register_waiter`](Self::register_waiter), for
    /// an async poll (`IoSource::poll_io`): stores `waker` for the next
    /// edge of `dir` and returns `true`, unless the token is ready already
    /// (or closed): then returns `false`, and the caller tries its syscall
    /// again instead of returning `Pending`. The same re-check under the
    /// same lock as a fiber's (race 1).
    pub(crate) fn register_task(&self, dir: Dir, waker: &Waker) -> bool {
        let mut queue = lock(&self.waiters[dir as usize]);
        if self.tokens[dir as usize].snapshot().is_ready() && !mutation::on(Mutation::PdTaskNoRecheck) {
            return false;
        }
        let replaced = queue.set_task(waker);
        self.queued[dir as usize].store(queue.len(), Release);
        drop(queue);
        drop(replaced); // a waker's drop may run any code: not under the lock
        true
    }

    /// An event for the fd of `generation` arrived (the poller, after
    /// decoding it): each direction with an edge or a hang-up is delivered.
    /// Events for an fd closed (and maybe reused) since they were
    /// registered carry an old generation and are dropped (race 6): here at
    /// a glance, and for good by `deliver`, under the waiter lock.
    #[inline]
    pub(crate) fn dispatch(&self, generation: u32, ready: Ready) {
        let generation =
            if mutation::on(Mutation::DispatchIgnoresGeneration) { self.generation() } else { generation };
        if self.generation() != generation {
            return;
        }
        // A hang-up or error is reported once by edge-triggered epoll: it
        // makes the direction ready for good (see `readiness.rs`).
        for (dir, edge, hup) in
            [(Dir::Read, ready.read, ready.read_hup), (Dir::Write, ready.write, ready.write_hup)]
        {
            if edge || hup {
                let generation = if mutation::on(Mutation::DispatchChecksGenerationEarly) {
                    self.generation()
                } else {
                    generation
                };
                self.deliver(generation, dir, hup);
            }
        }
    }

    /// An edge of `dir` arrived (the poller) for the fd of `generation`:
    /// the token becomes ready — for good with `hup` (the peer hung up, or
    /// an error) — and the longest-waiting live fiber is woken, and the
    /// waiting task, if any.
    ///
    /// The generation is checked under the waiter lock, which `open` and
    /// `close` hold while they change it: an event of a closed fd is
    /// dropped whole, or delivered whole before the close — never checked
    /// before the close and delivered after a reuse of the fd, where a
    /// stale hang-up would stick to the new socket (race 6).
    fn deliver(&self, generation: u32, dir: Dir, hup: bool) {
        let first = {
            let mut queue = lock(&self.waiters[dir as usize]);
            if self.generation.load(Acquire) != generation {
                return;
            }
            let token = &self.tokens[dir as usize];
            if hup {
                token.set_hup();
            } else {
                token.set_ready();
            }
            if queue.has_task() {
                wake_task(&mut queue);
            }
            let first = queue.take_fiber();
            self.queued[dir as usize].store(queue.len(), Release);
            first
        };
        // Woken outside the lock; if its wait already ended, the edge goes
        // to the next one.
        if let Some(w) = first
            && !w.wake(Reason::Notified)
            && !mutation::on(Mutation::PdDeliverStopsAtDead)
        {
            self.wake_next(dir);
        }
    }

    /// After an operation succeeded and left `dir` ready: hands the
    /// readiness on to the next waiter, if any, the way a blocked thread
    /// would have been woken by the kernel (several acceptors, one edge
    /// for two connections). Lock-free when nobody waits.
    pub(crate) fn pass_on(&self, dir: Dir) {
        if mutation::on(Mutation::PdNoPassOn) {
            return;
        }
        if self.queued[dir as usize].load(Acquire) != 0 && self.tokens[dir as usize].snapshot().is_ready() {
            self.wake_next(dir);
        }
    }

    /// Wakes the longest-waiting fiber of `dir` whose wait is still open,
    /// or else the waiting task.
    fn wake_next(&self, dir: Dir) {
        loop {
            let next = {
                let mut queue = lock(&self.waiters[dir as usize]);
                let next = queue.take_next();
                self.queued[dir as usize].store(queue.len(), Release);
                next
            };
            // Woken outside the lock; a waiter whose wait already ended
            // loses, so the edge goes to the next one.
            if next.is_none_or(Taken::wake) {
                return;
            }
        }
    }

    /// Records that this fd is in `poller`; `false` if it already is in a
    /// live one (the caller must not add it again). A poller that has shut
    /// down took its epoll with it: the fd is claimed anew.
    pub(crate) fn claim_registration(&self, poller: &Arc<Poller>) -> bool {
        let addr = Arc::as_ptr(poller) as usize;
        // Fast path: registered with this very poller, which is alive (its
        // worker runs the caller). Only an owner of the fd changes the claim.
        if self.registered_addr.load(Relaxed) == addr && !poller.is_closed() {
            return false;
        }
        let mut reg = lock(&self.registered);
        if reg.as_ref().is_some_and(|p| !p.is_closed()) {
            return false;
        }
        *reg = Some(poller.clone());
        self.registered_addr.store(addr, Relaxed);
        true
    }

    /// Forgets the registration (after a failed `epoll_ctl`, or at close);
    /// returns the poller it was with.
    pub(crate) fn unclaim_registration(&self) -> Option<Arc<Poller>> {
        let mut reg = lock(&self.registered);
        self.registered_addr.store(0, Relaxed);
        reg.take()
    }

    /// The timeout of `dir`, if set.
    pub(crate) fn timeout(&self, dir: Dir) -> Option<Duration> {
        match self.timeouts[dir as usize].load(Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Sets the timeout of `dir` (`None`: wait forever).
    pub(crate) fn set_timeout(&self, dir: Dir, timeout: Option<Duration>) {
        let nanos = timeout.map_or(0, |t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX).max(1));
        self.timeouts[dir as usize].store(nanos, Relaxed);
    }

    /// Whether the user asked for non-blocking operations.
    pub(crate) fn is_nonblocking(&self) -> bool {
        self.nonblocking.load(Relaxed)
    }

    /// Sets what `is_nonblocking` returns.
    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Relaxed);
    }
}

/// Takes and wakes the task waiting in `queue`, for an edge: under the
/// waiter lock, and out of line. Most fds have no task, and a waker taken
/// out of the lock to be woken after it stays live across the fiber's
/// wake: that cost `deliver`'s fiber path 20 instructions per edge
/// (`benches/compare.sh`, echo). A waker's `wake` only schedules its
/// task (it must not poll it inline, which would take this lock again).
#[cold]
#[inline(never)]
fn wake_task(queue: &mut Waiters) {
    if let Some(task) = queue.take_task() {
        task.wake();
    }
}

/// The error of a wait whose deadline passed.
#[cold]
pub(crate) fn timed_out(deadline: Option<Deadline>) -> io::Error {
    let kind = deadline.map_or(io::ErrorKind::TimedOut, |d| d.kind);
    io::Error::new(kind, "fiberio: the operation timed out")
}

#[cold]
fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "fiberio: the socket was closed while in use")
}
