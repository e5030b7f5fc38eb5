//! The chat server of `examples/chat_std.rs` (threads) and its port
//! `examples/chat_fiberio.rs` (fibers) pass the same end-to-end test:
//! several clients each send several lines, and every client receives every
//! line of every client, each sender's in order. And the port differs from
//! the original only in its `use` lines (and its doc header).
//!
//! The examples are compiled into this test as modules (`#[path]`), so the
//! test needs no prior `cargo build --examples`; it calls the same `run`
//! their `main` calls, on a plain thread. Waits are bounded by generous
//! timeouts, and nothing is timed.

#[path = "../examples/chat_fiberio.rs"]
#[allow(dead_code)] // the example's `main`
mod chat_fiberio;
#[path = "../examples/chat_std.rs"]
#[allow(dead_code)]
mod chat_std;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

const CLIENTS: usize = 5;
const MESSAGES: usize = 20;
/// The bound on every wait: far beyond what a loaded machine needs.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A server's `run`: address, clients to serve before exiting, ready callback.
type Run = fn(&str, Option<usize>, Box<dyn FnOnce(SocketAddr) + Send>) -> io::Result<()>;

/// Starts a server with `run` for `CLIENTS` clients; runs the clients;
/// checks what each received and that the server then exits.
fn chat_end_to_end(run: Run) {
    let (addr_tx, addr_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = Box::new(move |addr| addr_tx.send(addr).unwrap());
        let _ = done_tx.send(run("127.0.0.1:0", Some(CLIENTS), ready));
    });
    let addr = addr_rx.recv_timeout(TIMEOUT).expect("the server binds");

    // Connect everyone and wait for each greeting: a greeted client is in
    // the server's list, so it will get every line sent from now on.
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut greeting = String::new();
        reader.read_line(&mut greeting).unwrap();
        let id = greeting.trim().strip_prefix("welcome, client ").expect(&greeting).to_string();
        clients.push((id, stream, reader));
    }
    let ids: Vec<String> = clients.iter().map(|(id, _, _)| id.clone()).collect();

    // Each client sends its lines, then reads until it has everyone's.
    let handles: Vec<_> = clients
        .into_iter()
        .map(|(id, mut stream, mut reader)| {
            std::thread::spawn(move || {
                for k in 0..MESSAGES {
                    stream.write_all(format!("line {k} from {id}\n").as_bytes()).unwrap();
                }
                let mut got: HashMap<String, Vec<String>> = HashMap::new();
                for _ in 0..CLIENTS * MESSAGES {
                    let mut line = String::new();
                    let n = reader.read_line(&mut line).expect("a broadcast line before the timeout");
                    assert!(n > 0, "client {id}: the server closed early; got {got:?}");
                    let (sender, text) = line.trim_end().split_once(": ").expect(&line);
                    got.entry(sender.to_string()).or_default().push(text.to_string());
                }
                (id, got)
            })
        })
        .collect();
    for handle in handles {
        let (id, got) = handle.join().expect("a client thread");
        for sender in &ids {
            let expected: Vec<String> = (0..MESSAGES).map(|k| format!("line {k} from {sender}")).collect();
            assert_eq!(got.get(sender), Some(&expected), "what client {id} got from client {sender}");
        }
        assert_eq!(got.len(), CLIENTS, "client {id} heard only from the clients: {got:?}");
    }
    // Every client has left (its streams dropped with its thread): the
    // server stops by itself.
    let result = done_rx.recv_timeout(TIMEOUT).expect("the server exits once every client has left");
    result.expect("the server ran without error");
}

#[test]
fn the_thread_per_connection_server_broadcasts_to_everyone() {
    chat_end_to_end(chat_std::run);
}

#[test]
fn its_fiberio_port_passes_the_same_test() {
    chat_end_to_end(chat_fiberio::run);
}

#[test]
fn the_port_differs_only_in_use_lines_and_doc_header() {
    let std_src = include_str!("../examples/chat_std.rs");
    let port_src = include_str!("../examples/chat_fiberio.rs");
    let body = |src: &'static str| -> Vec<&'static str> {
        src.lines().filter(|l| !l.starts_with("//!") && !l.starts_with("use ")).collect()
    };
    let (ours, port) = (body(std_src), body(port_src));
    for (i, (a, b)) in ours.iter().zip(&port).enumerate() {
        assert_eq!(a, b, "line {i} of the code besides `use` lines and doc header differs");
    }
    assert_eq!(ours.len(), port.len(), "the code besides `use` lines and doc header has other lengths");
    let uses =
        |src: &'static str| -> Vec<&'static str> { src.lines().filter(|l| l.starts_with("use ")).collect() };
    assert!(uses(std_src).contains(&"use std::thread::spawn;"));
    assert!(uses(port_src).contains(&"use fiberio::spawn;"));
    assert!(!port_src.contains("std::thread") && !port_src.contains("std::net::Tcp"));
}
