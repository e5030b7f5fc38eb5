//! Spawning: [`spawn`] and [`Builder`].

use std::any::Any;
use std::io;
use std::panic::Location;

use super::join::JoinHandle;
use crate::fiber::task::{Output, Spec};
use crate::sched::{self, RuntimeShared};

/// Configures a fiber before it is spawned: its name and stack size.
///
/// ```
/// let h = fiberio::Builder::new()
///     .name("parser".to_string())
///     .stack_size(1024 * 1024)
///     .spawn(|| fiberio::current().unwrap().name().unwrap().len())
///     .unwrap();
/// assert_eq!(h.join().unwrap(), 6);
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
    #[cfg(feature = "tracing")]
    span: Option<tracing::Span>,
}

impl Builder {
    /// A builder with no name and the runtime's default stack size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the fiber; the name shows in [`Fiber::name`](crate::Fiber::name)
    /// and in the stack-overflow report.
    pub fn name(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// Sets the fiber's stack size in bytes (rounded up to whole pages).
    /// Only the pages the fiber touches use memory.
    pub fn stack_size(mut self, size: usize) -> Self {
        self.stack_size = Some(size);
        self
    }

    /// Runs the fiber in `span` (feature `tracing`): its worker enters the
    /// span each time it resumes the fiber and exits it each time the
    /// fiber yields, parks or ends — what `tracing::Instrumented` does
    /// around each poll of a future — so events the fiber emits are inside
    /// it, and events of other fibers of the worker are not.
    ///
    /// Do not hold a span's `enter()` guard across a call that parks (IO,
    /// a lock, a channel, a sleep, a join, `yield_now`): the guard stays
    /// entered on the worker thread while the fiber is suspended, so the
    /// fibers that run meanwhile appear inside that span, and it may be
    /// exited on another fiber's turn — the same leak as holding one
    /// across an `.await`. Give the fiber its span here instead, or use
    /// `Span::in_scope` around code that does not park.
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// let span = tracing::info_span!("request", id = 7);
    /// let h = fiberio::Builder::new().span(span).spawn(|| {
    ///     tracing::info!("inside `request`, on every run of this fiber");
    /// });
    /// h.unwrap().join().unwrap();
    /// # }
    /// ```
    #[cfg(feature = "tracing")]
    pub fn span(mut self, span: tracing::Span) -> Self {
        self.span = Some(span);
        self
    }

    /// What this builder says of the fiber, spawned at `location`.
    fn spec(self, location: &'static Location<'static>) -> (Spec, Option<usize>) {
        let spec = Spec {
            name: self.name,
            location,
            #[cfg(feature = "tracing")]
            span: self.span,
        };
        (spec, self.stack_size)
    }

    /// Spawns a fiber running `f` on the current fiber's runtime, or on the
    /// global runtime when called from a plain thread.
    ///
    /// A fiber spawned from a fiber starts on the same worker unless an
    /// idle worker steals it first; once started it never changes thread,
    /// which is why `f` need only be `Send` and may hold `!Send` values
    /// (an `Rc`, a `RefCell` borrow) across blocking calls.
    ///
    /// A fiber that spawns in a loop yields to its worker's other fibers
    /// after every 128 spawns it makes without otherwise yielding or
    /// parking — like a `yield_now`, but never a cancellation point — so
    /// spawning 20,000 fibers neither holds up its worker nor trips the
    /// stall warning ([`RuntimeBuilder::stall_threshold`]).
    ///
    /// [`RuntimeBuilder::stall_threshold`]: crate::RuntimeBuilder::stall_threshold
    ///
    /// # Errors
    ///
    /// An `io::Error` when the stack cannot be mapped (out of memory, or
    /// out of memory mappings: the message names `vm.max_map_count` and
    /// how to raise it), when the stack size is under the minimum, or
    /// when the global runtime's configuration (`FIBERIO_WORKERS`) is
    /// invalid. Spawning onto a runtime that is shutting down succeeds, but
    /// the fiber never runs: joining it returns `Err` saying so.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (spec, stack_size) = self.spec(Location::caller());
        let body = erase(f);
        // Under `--cfg loom` (the user loom mode) the fiber is a loom
        // thread, so loom explores its interleavings with every other one.
        let task = crate::loom::loom_or_std!(
            loom: crate::__loom::spawn_fiber(spec, stack_size, body),
            std: sched::spawn(spec, stack_size, body),
        )?;
        Ok(JoinHandle::new(task))
    }

    /// Spawns on runtime `rt` (`Runtime::spawn`, `Runtime::block_on`).
    #[track_caller]
    pub(crate) fn spawn_on<F, T>(self, rt: &RuntimeShared, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (spec, stack_size) = self.spec(Location::caller());
        let task = rt.spawn(spec, stack_size, erase(f))?;
        Ok(JoinHandle::new(task))
    }
}

/// A fiber body with its result type erased (`JoinHandle<T>` restores it).
fn erase<F, T>(f: F) -> Box<dyn FnOnce() -> Output + Send>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Box::new(move || Ok(Box::new(f()) as Box<dyn Any + Send>))
}

/// Spawns a fiber running `f` and returns a handle to join it — the fiber
/// version of `std::thread::spawn`.
///
/// Called from a fiber, the new fiber goes to the same runtime (and, until
/// an idle worker steals it, the same worker); from a plain thread, to the
/// global runtime, which starts on first use with one worker per core
/// (`FIBERIO_WORKERS` overrides).
///
/// # Panics
///
/// Like `std::thread::spawn`, panics when the fiber cannot be created; the
/// message is that of the `io::Error` [`Builder::spawn`] would return (for
/// example, `vm.max_map_count` exhausted, and how to raise it).
///
/// ```
/// let handles: Vec<_> = (0..10u64).map(|i| fiberio::spawn(move || i * i)).collect();
/// let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
/// assert_eq!(sum, 285);
/// ```
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match Builder::new().spawn(f) {
        Ok(handle) => handle,
        Err(e) => panic!("{e}"),
    }
}
