//! `PollFd` parks a fiber on a pipe or a child process's stdout while the
//! worker keeps running other fibers.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use fiberio::io::PollFd;

#[test]
fn reading_a_child_process_parks_only_the_fiber() {
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let (done, ticks) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let (d, t) = (done.clone(), ticks.clone());
    // On the only worker: counts while the reader waits for the child.
    let counter = rt.spawn(move || {
        while !d.load(SeqCst) {
            t.fetch_add(1, SeqCst);
            fiberio::sleep(std::time::Duration::from_millis(1));
        }
    });
    let output = rt
        .spawn(move || {
            let mut child = Command::new("sh")
                .args(["-c", "sleep 0.3; echo from the child; sleep 0.1; echo again"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = PollFd::new(child.stdout.take().unwrap()).unwrap();
            let mut text = String::new();
            out.read_to_string(&mut text).unwrap();
            assert!(child.wait().unwrap().success());
            text
        })
        .join()
        .unwrap();
    done.store(true, SeqCst);
    counter.join().unwrap();
    assert_eq!(output, "from the child\nagain\n");
    // The worker kept running the counter while the reader was parked.
    assert!(ticks.load(SeqCst) >= 10, "only {} ticks: the worker was blocked", ticks.load(SeqCst));
}

#[test]
fn a_pipe_between_a_fiber_and_a_plain_thread() {
    let (reader, writer) = std::io::pipe().unwrap();
    let mut writer = PollFd::new(writer).unwrap();
    let reader_fiber = fiberio::spawn(move || {
        let mut r = PollFd::new(reader).unwrap();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        all.len()
    });
    // Written from this plain thread: blocks it when the pipe is full.
    let chunk = vec![7u8; 1 << 16];
    for _ in 0..64 {
        std::io::Write::write_all(&mut writer, &chunk).unwrap();
    }
    drop(writer);
    assert_eq!(reader_fiber.join().unwrap(), 64 << 16);
}
