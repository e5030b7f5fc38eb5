//! The fiberio server: blocking-style code on fibers, a fiber per
//! connection, one acceptor fiber per worker (as `examples/simple_server.rs`).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fiberio::net::{TcpListener, TcpStream};

use super::{Kind, ServeOpts, accept_failed};
use crate::proto::{self, REQ_LEN};

/// Serves forever on a runtime of `o.workers` workers.
pub(super) fn run(o: &ServeOpts, bound: &dyn Fn(SocketAddr)) -> io::Result<()> {
    let rt = fiberio::Runtime::builder().workers(o.workers).build()?;
    let listener = Arc::new(TcpListener::bind(o.addr)?);
    bound(listener.local_addr()?);
    let (workers, work) = (o.workers, o.work);
    rt.block_on(move || {
        let acceptors: Vec<_> = (0..workers)
            .map(|_| {
                let listener = listener.clone();
                fiberio::spawn(move || accept_loop(&listener, work))
            })
            .collect();
        for a in acceptors {
            let _ = a.join();
        }
    });
    Ok(())
}

fn accept_loop(listener: &TcpListener, work: u32) {
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                fiberio::spawn(move || serve(s, work));
            }
            Err(e) => {
                accept_failed(Kind::Fiberio, &e);
                fiberio::sleep(Duration::from_millis(100));
            }
        }
    }
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
