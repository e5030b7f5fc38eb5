//! Async code on fibers: [`block_on`] runs a `Future` to completion from
//! blocking-style code, parking only the calling fiber while the future
//! waits.
//!
//! The future's `Waker` may be woken from any thread, any number of times;
//! the wake ends the fiber's park through the same exactly-once protocol
//! as every other wait (`signal.rs`, race 13), and the fiber resumes on
//! its own worker. Off a fiber, `block_on` blocks the thread.

mod signal;

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::fiber::WaitOn;
use crate::fiber::wait::{Woken, wait, wait_thread};
use signal::Signal;

/// Runs `future` to completion on the current fiber (or thread) and
/// returns its output.
///
/// While the future is pending the fiber parks, and only the fiber: its
/// worker runs other fibers. When the future's `Waker` is woken — by an
/// IO driver, a timer, another fiber or any thread — the fiber is made
/// runnable on its own worker and polls the future again. Off a fiber the
/// calling thread blocks, as with `futures::executor::block_on`.
///
/// It is a cancellation point: [`JoinHandle::cancel`](crate::JoinHandle::cancel)
/// of a fiber blocked here drops the future as the fiber unwinds.
///
/// The future runs on this fiber's stack and worker; a future that needs
/// a specific executor's reactor (tokio's `TcpStream`, its timers) must be
/// given one by other means. Futures built on fiberio's own types, on
/// channels (`fiberio::sync::oneshot`, `futures::channel`) or on any
/// runtime-agnostic `Waker` use work as they are.
///
/// ```
/// use std::future::poll_fn;
/// use std::task::Poll;
///
/// // A future that is woken from another thread before it is ready.
/// let (tx, rx) = std::sync::mpsc::channel::<std::task::Waker>();
/// std::thread::spawn(move || rx.recv().unwrap().wake());
/// let mut polled = 0;
/// let out = fiberio::spawn(move || {
///     fiberio::future::block_on(poll_fn(|cx| {
///         polled += 1;
///         if polled == 1 {
///             tx.send(cx.waker().clone()).unwrap();
///             Poll::Pending
///         } else {
///             Poll::Ready(polled)
///         }
///     }))
/// })
/// .join()
/// .unwrap();
/// assert_eq!(out, 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let signal = cached_signal(None).unwrap_or_else(|| Arc::new(Signal::new()));
    let waker = signal::waker_ref(&signal);
    let mut cx = Context::from_waker(&waker);
    let mut waited = false;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            // Nobody else holds it: no later wake can reach it; reuse it.
            if Arc::strong_count(&signal) == 1 && Arc::weak_count(&signal) == 0 {
                signal.reset(waited);
                cached_signal(Some(signal));
            }
            return output;
        }
        waited = true;
        // A wait with no deadline ends by a wake, or spuriously: either
        // way, poll again. During runtime shutdown a fiber cannot park: it
        // blocks its thread instead, as a lock does.
        let mut registered = false;
        let woken = wait(None, WaitOn::Future, |waiter| {
            registered = true;
            signal.register(waiter);
        });
        if woken == Woken::Shutdown && !registered {
            wait_thread(None, |waiter| signal.register(waiter));
        }
        signal.clear();
    }
}

/// Takes this thread's spare signal (`put: None`), or stores `put` as the
/// spare: a `block_on` of a future that is ready at once then allocates
/// nothing.
fn cached_signal(put: Option<Arc<Signal>>) -> Option<Arc<Signal>> {
    crate::loom::with_thread_cached!(Cell<Option<Arc<Signal>>>, Cell::new(None), |spare: &Cell<
        Option<Arc<Signal>>,
    >| {
        match put {
            None => spare.take(),
            Some(signal) => {
                spare.set(Some(signal));
                None
            }
        }
    })
}
