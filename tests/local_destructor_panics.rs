//! A fiber-local destructor that panics does not stop the others: every
//! local (possibly `!Send`) is dropped on its fiber's thread, never on the
//! thread that drops the last handle.
use std::sync::Mutex;
use std::thread::{self, ThreadId};
use std::time::Duration;

static DROPPED_ON: Mutex<Option<ThreadId>> = Mutex::new(None);

/// Stands for any `!Send` value (an `Rc`, a `MutexGuard`, ...).
struct PinnedToThread(std::rc::Rc<()>);
impl Drop for PinnedToThread {
    fn drop(&mut self) {
        // Only this fiber's thread may see the `Rc`: it is the sole owner.
        assert_eq!(std::rc::Rc::strong_count(&self.0), 1);
        *DROPPED_ON.lock().unwrap() = Some(thread::current().id());
    }
}
struct PanicsOnDrop;
impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("destructor panics");
    }
}

fiberio::fiber_local! {
    static PINNED: PinnedToThread = PinnedToThread(std::rc::Rc::new(()));
    static BOOM: PanicsOnDrop = PanicsOnDrop; // higher index: dropped first
}

#[test]
fn a_not_send_fiber_local_is_dropped_on_its_worker() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let h = rt.spawn(|| {
        PINNED.with(|_| ());
        BOOM.with(|_| ());
        thread::current().id()
    });
    let fiber = h.fiber(); // keeps the Task alive on this thread
    let res = h.join();
    assert!(res.is_err(), "the destructor's panic is the fiber's result");
    thread::sleep(Duration::from_millis(100)); // the worker frees the slot
    drop(fiber); // last Arc<Task>
    let on = DROPPED_ON.lock().unwrap().expect("PINNED was dropped");
    assert_ne!(on, thread::current().id(), "a !Send fiber-local was dropped on another thread");
    rt.shutdown();
}
