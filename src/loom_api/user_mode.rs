//! The user loom mode's spawn: under `--cfg loom`, `fiberio::spawn` starts
//! a loom thread, so loom explores its interleavings with every other one.
//!
//! The loom thread is a fiber as far as the fiber layer can tell: it is
//! its own [`Carrier`] (`carrier_local!` makes the carrier and the running
//! fiber per loom thread), its `Task` is the running fiber, and its
//! `Home` is a scheduler that unparks it. So its waits take the fiber path
//! of `fiber/wait.rs` through the task's own park state — begin, register,
//! commit, and a won wake against the committed park "schedules" it — and
//! [`JoinHandle::cancel`](crate::JoinHandle::cancel), which targets that
//! park state, ends a wait with `Reason::Cancelled` and unwinds the fiber
//! as on a worker. The unwind is caught at the fiber's root and reaches
//! `join` as `Err(Cancelled)`; any other panic (a failed assertion, one of
//! loom's verdicts) goes on unwinding and fails the model, as in a loom
//! thread.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::Instant;

use crate::fiber::Cancelled;
use crate::fiber::carrier::{self, Carrier, Context, Request, StartedFiber};
use crate::fiber::park::{Reason, Seq};
use crate::fiber::task::{Home, Output, Scheduler, Spec, Task};
use crate::fiber::waiter::Waiter;
use crate::loom::sync::Arc;
use crate::loom::thread::{self, Thread};
use crate::stack;

/// The carrier of one loom thread standing in for a fiber.
#[derive(Debug)]
struct LoomCarrier;

impl LoomCarrier {
    /// The worker's half of a park, and the wait for the wake.
    fn park(&self, seq: Seq, timer: Option<Waiter>) {
        let task = carrier::current_task().expect("a loom fiber parks itself");
        // The worker's half of the two-phase park: a wake that won before
        // the commit resumes the fiber at once.
        if !task.park.commit(seq) {
            return;
        }
        // Time is not modelled: the deadline may pass at any moment, so
        // the timer races the other wakers now (loom explores both orders).
        if let Some(timer) = timer {
            timer.wake(Reason::TimedOut);
        }
        // The winner of a committed park schedules the fiber: unparks this
        // thread (`LoomHome`). `park` may return spuriously.
        while task.park.reason(seq).is_none() {
            thread::park();
        }
    }
}

impl Carrier for LoomCarrier {
    fn park_until(&self, seq: Seq, _deadline: Instant, waiter: Waiter) {
        self.park(seq, Some(waiter));
    }

    fn is_closing(&self) -> bool {
        false
    }

    fn suspend_thread(&self, request: Request) {
        match request {
            Request::Park(seq) => self.park(seq, None),
            Request::Yield => thread::yield_now(),
        }
    }
}

/// The "worker" of a loom fiber: scheduling it unparks its loom thread.
#[derive(Debug)]
struct LoomHome(Thread);

impl Scheduler for LoomHome {
    fn schedule(&self, _slot: u32) {
        self.0.unpark();
    }
}

/// Starts `body` on a loom thread standing in for a fiber named `name`.
pub(crate) fn spawn_fiber(
    spec: Spec,
    stack_size: Option<usize>,
    body: Box<dyn FnOnce() -> Output + Send>,
) -> io::Result<Arc<Task>> {
    let size = stack_size.map(stack::check_size).transpose()?.unwrap_or(stack::DEFAULT_STACK_SIZE);
    let task = Arc::new(Task::new(spec, 0..0, size));
    let fiber = task.clone();
    thread::spawn(move || {
        fiber.set_home(Home { scheduler: Arc::new(LoomHome(thread::current())), slot: 0 });
        let output = catch_unwind(AssertUnwindSafe(|| {
            let started = StartedFiber::new(fiber.clone());
            let context = Context::new();
            carrier::enter_carrier(&LoomCarrier, &context, || {
                context.set_running(&started);
                let _locals = LocalsGuard;
                // Cancelled before it started: unwind at once, the closure unrun.
                crate::fiber::cancel::check(&fiber);
                body()
            })
        }));
        let output = match output {
            // A failed assertion or one of loom's verdicts: the model fails.
            // Re-raised before anything touches loom, whose execution may
            // be over (a deadlock).
            Err(payload) if !payload.is::<Cancelled>() => resume_unwind(payload),
            output => output.unwrap_or_else(Err),
        };
        crate::loom::cancel_unwinds::end();
        fiber.join.complete(output);
    });
    Ok(task)
}

/// Drops the fiber's locals when its body ends or unwinds (as on a worker).
struct LocalsGuard;

impl Drop for LocalsGuard {
    fn drop(&mut self) {
        if !crate::loom::cells_unreachable() {
            crate::fiber::local::clear_current();
        }
    }
}
