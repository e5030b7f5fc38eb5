//! The thread-per-connection server: std's blocking sockets, a thread per
//! connection (default stack size), the accept loop on the main thread. Its
//! "workers" are the CPUs it may run on (see `servers::serve`).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::{Kind, ServeOpts, accept_failed};
use crate::proto::{self, REQ_LEN};

/// Serves forever.
pub(super) fn run(o: &ServeOpts, bound: &dyn Fn(SocketAddr)) -> io::Result<()> {
    let listener = TcpListener::bind(o.addr)?;
    bound(listener.local_addr()?);
    let work = o.work;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                if let Err(e) = std::thread::Builder::new().spawn(move || serve(s, work)) {
                    eprintln!(
                        "netbench threads server: cannot start a thread: {e} (each std thread maps 4 memory \
                         areas, stack and signal stack with guards; see vm.max_map_count)"
                    );
                }
            }
            Err(e) => {
                accept_failed(Kind::Threads, &e);
                std::thread::sleep(Duration::from_millis(100));
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
