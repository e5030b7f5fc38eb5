//! The may server: may's coroutine sockets, a coroutine per connection, on
//! `may::config().set_workers(workers)` (may pins its workers to cores by
//! default; left as it is).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use may::net::{TcpListener, TcpStream};

use super::{Kind, ServeOpts, accept_failed};
use crate::proto::{self, REQ_LEN};

/// Serves forever on `o.workers` may workers.
pub(super) fn run(o: &ServeOpts, bound: &dyn Fn(SocketAddr)) -> io::Result<()> {
    may::config().set_workers(o.workers);
    let listener = TcpListener::bind(o.addr)?;
    bound(listener.local_addr()?);
    let work = o.work;
    let acceptor = go(move || {
        loop {
            match listener.accept() {
                Ok((s, _)) => {
                    go(move || serve(s, work));
                }
                Err(e) => {
                    accept_failed(Kind::May, &e);
                    may::coroutine::sleep(Duration::from_millis(100));
                }
            }
        }
    });
    let _ = acceptor.join();
    Ok(())
}

/// Spawns a may coroutine.
fn go<F: FnOnce() + Send + 'static>(f: F) -> may::coroutine::JoinHandle<()> {
    // SAFETY: may makes spawning unsafe because a coroutine may move between
    // worker threads while it holds thread-local state; the closures spawned
    // here touch no thread-locals and hold no `!Send` values across IO.
    unsafe { may::coroutine::spawn(f) }
}

/// Answers requests until the client closes.
fn serve(mut s: TcpStream, work: u32) {
    let _ = s.set_nodelay(true);
    let mut req = [0; REQ_LEN];
    while s.read_exact(&mut req).is_ok() {
        if s.write_all(&proto::reply(&req, work)).is_err() {
            return;
        }
    }
}
