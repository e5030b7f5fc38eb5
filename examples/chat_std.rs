//! A chat server, one thread per connection, written against std only.
//!
//! `examples/chat_fiberio.rs` is this file with other `use` lines; compare
//! them with `diff examples/chat_std.rs examples/chat_fiberio.rs`.
//!
//! Each client is served by its own `spawn`ed handler (an OS thread in
//! `chat_std`, a fiber in `chat_fiberio`) that greets it, adds its
//! connection to a shared `Mutex`-guarded list, then reads lines and sends
//! each to a broadcaster through an `mpsc` channel. The broadcaster writes
//! every message, prefixed with the sender's number, to every client in the
//! list, and drops those whose connection fails. The first line on stdout
//! is the address the server listens on.
//!
//! ```text
//! cargo run --example chat_std -- --addr 127.0.0.1:7000
//! nc 127.0.0.1 7000        # in two or more terminals
//! ```
//!
//! `--exit-after-clients N` accepts N clients, then exits once all of them
//! have left (`tests/chat.rs` runs the server that way). Anything else on
//! the command line is refused with a usage message.

use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, mpsc};
use std::thread::spawn;

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::sync::Arc;

/// The clients connected now: a number and the connection to write to.
type Clients = Mutex<Vec<(usize, TcpStream)>>;

const USAGE: &str = "usage: chat [--addr HOST:PORT] [--exit-after-clients N]";

/// What the command line asked for.
struct Options {
    addr: String,
    exit_after: Option<usize>,
}

/// Parses the command line, or says what is wrong with it.
fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options { addr: "127.0.0.1:7000".to_string(), exit_after: None };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => o.addr = value?.clone(),
            "--exit-after-clients" => {
                let n = value?;
                o.exit_after =
                    Some(n.parse().map_err(|_| format!("{flag} {n:?} is not a number of clients"))?);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = options(&args).unwrap_or_else(|problem| {
        eprintln!("chat: {problem}\n{USAGE}");
        std::process::exit(2);
    });
    if let Err(e) = run(&o.addr, o.exit_after, |bound| println!("{bound}")) {
        eprintln!("chat: error: {e}");
        std::process::exit(1);
    }
}

/// Serves on `addr`, calling `ready` with the bound address; with
/// `exit_after = Some(n)`, returns once n clients came and left.
pub fn run(addr: &str, exit_after: Option<usize>, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    ready(listener.local_addr()?);
    let clients = Arc::new(Clients::default());
    let (tx, rx) = mpsc::channel::<String>();
    let broadcaster = {
        let clients = clients.clone();
        spawn(move || broadcast(rx, &clients))
    };
    let connections = listener.incoming().take(exit_after.unwrap_or(usize::MAX));
    for (id, stream) in connections.enumerate() {
        match stream {
            Ok(stream) => {
                let (tx, clients) = (tx.clone(), clients.clone());
                spawn(move || serve_client(id, stream, tx, &clients));
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
    // The broadcaster stops once every sender is gone: this one, and each
    // client's, dropped when that client leaves.
    drop(tx);
    broadcaster.join().expect("the broadcaster does not panic");
    Ok(())
}

/// One client: greet it, list it, forward its lines until it leaves.
fn serve_client(id: usize, mut stream: TcpStream, tx: mpsc::Sender<String>, clients: &Clients) {
    let Ok(reader) = stream.try_clone() else { return };
    {
        let mut list = clients.lock().unwrap();
        // Under the lock: the greeting arrives before any broadcast.
        if stream.write_all(format!("welcome, client {id}\n").as_bytes()).is_err() {
            return;
        }
        list.push((id, stream));
    }
    for line in BufReader::new(reader).lines() {
        let Ok(line) = line else { break };
        if tx.send(format!("{id}: {line}")).is_err() {
            break;
        }
    }
    clients.lock().unwrap().retain(|(other, _)| *other != id);
}

/// Writes every message to every client; drops clients that fail.
fn broadcast(rx: mpsc::Receiver<String>, clients: &Clients) {
    for message in rx {
        let line = format!("{message}\n");
        clients.lock().unwrap().retain_mut(|(_, stream)| stream.write_all(line.as_bytes()).is_ok());
    }
}
