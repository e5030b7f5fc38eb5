//! A fiber dump of a small program: fibers parked on a socket read, a
//! sleep, a mutex, a channel and a join, printed like Go's goroutine dump.
//!
//!   cargo run --example dump
//!
//! The README's "Seeing inside" section shows this program's output.

use std::io::Read;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};
use fiberio::sync::{Mutex, mpsc};
use fiberio::{Builder, FiberState, Runtime};

fn main() -> std::io::Result<()> {
    let rt = Runtime::builder().workers(2).build()?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let lock = std::sync::Arc::new(Mutex::new(0u32));
    let (tx, rx) = mpsc::channel::<String>();

    let reader = rt.spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 64];
        conn.read(&mut buf).map(|n| n == 0)
    });
    let client = TcpStream::connect(addr)?;
    let sleeper = Builder::new().name("sleeper".into());
    let sleeper = rt.block_on(|| sleeper.spawn(|| fiberio::sleep(Duration::from_secs(3600))))?;
    let guard = lock.lock().expect("not poisoned");
    let waiter = {
        let lock = lock.clone();
        rt.spawn(move || *lock.lock().expect("not poisoned") + 1)
    };
    let receiver = Builder::new().name("inbox".into());
    let receiver = rt.block_on(|| receiver.spawn(move || rx.recv().map(|s| s.len())))?;
    let joiner = rt.spawn(move || receiver.join().map(|n| n.unwrap_or(0)).unwrap_or(0));

    // Wait until all five have parked: the dump itself says so.
    let all_parked = |rt: &Runtime| {
        let dump = rt.dump_with(fiberio::DumpOptions::new().backtraces(false));
        dump.fibers().filter(|f| matches!(f.state, FiberState::Parked { .. })).count() == 5
    };
    while !all_parked(&rt) {
        std::thread::yield_now();
    }
    print!("{}", rt.dump());

    // Everything still completes as it would have without the dump.
    drop(client);
    drop(guard);
    tx.send("hello".into()).expect("receiver alive");
    assert!(reader.join().expect("reader").expect("read"), "EOF");
    assert_eq!(waiter.join().expect("waiter"), 1);
    assert_eq!(joiner.join().expect("joiner"), 5);
    sleeper.cancel();
    assert!(sleeper.join().is_err());
    Ok(())
}
