//! The user loom mode's spawn: under `--cfg loom`, `fiberio::spawn` starts
//! a loom thread, so loom explores its interleavings with every other one.
//! Its waits go through the thread path of `fiber/wait.rs`, on loom's park.

use std::io;

use crate::fiber::task::{Output, Task};
use crate::loom::sync::Arc;
use crate::stack;

/// Starts `body` on a loom thread standing in for a fiber named `name`.
/// A panic in it fails the model, as in a loom thread (no `catch_unwind`:
/// loom's verdicts, a deadlock among them, are panics too, and must not be
/// mistaken for a result).
pub(crate) fn spawn_fiber(
    name: Option<String>,
    stack_size: Option<usize>,
    body: Box<dyn FnOnce() -> Output + Send>,
) -> io::Result<Arc<Task>> {
    let size = stack_size.map(stack::check_size).transpose()?.unwrap_or(stack::DEFAULT_STACK_SIZE);
    let task = Arc::new(Task::new(name, 0..0, size));
    let done = task.clone();
    crate::loom::thread::spawn(move || done.join.complete(body()));
    Ok(task)
}
