//! The key-value server of `examples/kv_std.rs` (threads) and its port
//! `examples/kv_fiberio.rs` (fibers) answer the same Redis-protocol
//! conversation, from many clients at once, with the same replies; and the
//! port differs from the original only in its `use` lines (and its doc
//! header). `benches/kv.sh` measures them under `redis-benchmark`.
//!
//! The examples are compiled in as modules (`#[path]`), as `tests/chat.rs`
//! does, and served on a plain thread through the same `run` their `main`
//! calls.

#[path = "../examples/kv_fiberio.rs"]
#[allow(dead_code)] // the example's `main`
mod kv_fiberio;
#[path = "../examples/kv_std.rs"]
#[allow(dead_code)]
mod kv_std;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

const CLIENTS: usize = 20;
const INCRS: usize = 50;
const TIMEOUT: Duration = Duration::from_secs(60);

type Run = fn(&str, Option<usize>, Box<dyn FnOnce(SocketAddr) + Send>) -> std::io::Result<()>;

fn start(run: Run, connections: usize) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = Box::new(move |addr| tx.send(addr).unwrap());
        run("127.0.0.1:0", Some(connections), ready).unwrap();
    });
    rx.recv_timeout(TIMEOUT).expect("the server binds")
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        let writer = TcpStream::connect(addr).unwrap();
        writer.set_read_timeout(Some(TIMEOUT)).unwrap();
        Client { reader: BufReader::new(writer.try_clone().unwrap()), writer }
    }

    /// Sends `words` as a RESP array; returns the reply, one line, or a
    /// bulk string's line and contents.
    fn call(&mut self, words: &[&str]) -> String {
        let mut request = format!("*{}\r\n", words.len());
        for w in words {
            request += &format!("${}\r\n{w}\r\n", w.len());
        }
        self.writer.write_all(request.as_bytes()).unwrap();
        self.reply()
    }

    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        if let Some(len) = line.strip_prefix('$').and_then(|l| l.trim_end().parse::<usize>().ok()) {
            let mut body = vec![0; len + 2];
            self.reader.read_exact(&mut body).unwrap();
            line += &String::from_utf8(body).unwrap();
        }
        line
    }
}

/// Every command's reply, and a counter incremented by many clients at
/// once: the shared `Mutex<HashMap>` loses no update.
fn conversation(run: Run) {
    let addr = start(run, 2 + CLIENTS);
    let mut c = Client::connect(addr);
    assert_eq!(c.call(&["PING"]), "+PONG\r\n");
    assert_eq!(c.call(&["PING", "hi"]), "$2\r\nhi\r\n");
    assert_eq!(c.call(&["GET", "k"]), "$-1\r\n");
    assert_eq!(c.call(&["SET", "k", "hello world"]), "+OK\r\n");
    assert_eq!(c.call(&["get", "k"]), "$11\r\nhello world\r\n");
    assert_eq!(c.call(&["INCR", "k"]), "-ERR value is not an integer or out of range\r\n");
    assert_eq!(c.call(&["DEL", "k", "missing"]), ":1\r\n");
    assert_eq!(c.call(&["INCR", "n"]), ":1\r\n");
    assert_eq!(c.call(&["SET"]), "-ERR wrong number of arguments for 'SET' command\r\n");
    assert_eq!(c.call(&["FLY"]), "-ERR unknown command 'FLY'\r\n");
    assert_eq!(c.call(&["CONFIG", "GET", "save"]), "*2\r\n");
    assert_eq!(c.reply(), "$4\r\nsave\r\n");
    assert_eq!(c.reply(), "$0\r\n\r\n");
    // Inline, and two pipelined in one write.
    c.writer.write_all(b"PING\r\nPING\r\n").unwrap();
    assert_eq!(c.reply(), "+PONG\r\n");
    assert_eq!(c.reply(), "+PONG\r\n");

    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                for _ in 0..INCRS {
                    assert!(c.call(&["INCR", "n"]).starts_with(':'));
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|h| h.join().unwrap());
    let mut last = Client::connect(addr);
    assert_eq!(
        last.call(&["GET", "n"]),
        format!("${}\r\n{}\r\n", (1 + CLIENTS * INCRS).to_string().len(), 1 + CLIENTS * INCRS)
    );
}

#[test]
fn threads_server_answers_the_protocol() {
    conversation(kv_std::run);
}

#[test]
fn fibers_port_answers_the_protocol() {
    conversation(kv_fiberio::run);
}

#[test]
fn the_port_changes_only_use_lines() {
    let body = |text: &str| -> Vec<String> {
        text.lines().filter(|l| !l.starts_with("//!") && !l.starts_with("use ")).map(String::from).collect()
    };
    let std = body(include_str!("../examples/kv_std.rs"));
    let fibers = body(include_str!("../examples/kv_fiberio.rs"));
    assert_eq!(std, fibers, "kv_fiberio differs from kv_std beyond its use lines and doc header");
}
