//! During shutdown, a never-started fiber's captured value whose destructor
//! joins a sleeping fiber of the same worker does not hang the shutdown.
use std::sync::mpsc;
use std::time::Duration;

struct JoinOnDrop(Option<fiberio::JoinHandle<()>>);
impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn shutdown_with_a_destructor_that_joins() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let sleeper = rt.spawn(move || {
            tx2.send(()).unwrap();
            fiberio::sleep(Duration::from_secs(3600));
        });
        rx.recv().unwrap();
        let _busy = rt.spawn(move || {
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300)); // keeps the next one unstarted
        });
        rx.recv().unwrap();
        let j = JoinOnDrop(Some(sleeper));
        let _never = rt.spawn(move || drop(j));
        drop(rt);
        done_tx.send(()).unwrap();
    });
    assert!(done_rx.recv_timeout(Duration::from_secs(5)).is_ok(), "Runtime::drop hangs");
}
