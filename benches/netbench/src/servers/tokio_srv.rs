//! The tokio server: idiomatic async, a task per connection on the
//! multi-thread runtime with `worker_threads = workers`.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Kind, ServeOpts, accept_failed};
use crate::proto::{self, REQ_LEN};

/// Serves forever on a runtime of `o.workers` worker threads.
pub(super) fn run(o: &ServeOpts, bound: &dyn Fn(SocketAddr)) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(o.workers).enable_all().build()?;
    let work = o.work;
    rt.block_on(async {
        let listener = TcpListener::bind(o.addr).await?;
        bound(listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((s, _)) => {
                    tokio::spawn(serve(s, work));
                }
                Err(e) => {
                    accept_failed(Kind::Tokio, &e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Answers requests until the client closes.
async fn serve(mut s: TcpStream, work: u32) {
    let _ = s.set_nodelay(true);
    let mut req = [0; REQ_LEN];
    while s.read_exact(&mut req).await.is_ok() {
        if s.write_all(&proto::reply(&req, work)).await.is_err() {
            return;
        }
    }
}
