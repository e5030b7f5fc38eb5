//! A key-value server speaking a subset of the Redis protocol — `PING`,
//! `SET`, `GET`, `INCR`, `DEL` (and an empty reply to `CONFIG`, which
//! `redis-benchmark` asks first) — written the common way: one OS thread
//! per connection, all of them sharing one `Mutex<HashMap>`.
//! `examples/kv_fiberio.rs` is its port to fibers: only the `use` lines
//! differ (`diff examples/kv_std.rs examples/kv_fiberio.rs`).
//!
//! ```text
//! cargo run --release --example kv_std -- --addr 127.0.0.1:6380
//! redis-benchmark -p 6380 -t set,get,incr -c 200 -n 100000
//! ```
//!
//! `benches/kv.sh` runs both servers under `redis-benchmark`, side by
//! side, and `tests/kv.rs` checks them against the protocol.
//!
//! Commands arrive as RESP arrays of bulk strings (what clients send) or
//! as inline commands (`PING\r\n`). Replies are written once the client
//! has nothing more buffered, so pipelined requests share one write.

use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::thread::spawn;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::net::SocketAddr;
use std::sync::Arc;

/// Every key and its value, shared by all connections.
type Store = Mutex<HashMap<Vec<u8>, Vec<u8>>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = match parse_args(&args) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: {e}\nusage: kv [--addr HOST:PORT]   (default 127.0.0.1:6380)");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&addr, None, |bound| println!("listening on {bound}")) {
        eprintln!("error: cannot serve on {addr}: {e}");
        std::process::exit(1);
    }
}

/// `--addr HOST:PORT`, the only option.
fn parse_args(args: &[String]) -> Result<String, String> {
    match args {
        [] => Ok("127.0.0.1:6380".to_string()),
        [flag, addr] if flag == "--addr" => Ok(addr.clone()),
        _ => Err(format!("unexpected arguments: {}", args.join(" "))),
    }
}

/// Serves on `addr`, calling `ready` with the bound address; with
/// `exit_after = Some(n)`, returns after accepting n connections (their
/// handlers go on).
pub fn run(addr: &str, exit_after: Option<usize>, ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    ready(listener.local_addr()?);
    let store = Arc::new(Store::default());
    for stream in listener.incoming().take(exit_after.unwrap_or(usize::MAX)) {
        match stream {
            Ok(stream) => {
                let store = store.clone();
                spawn(move || {
                    if let Err(e) = serve(stream, &store)
                        && e.kind() != io::ErrorKind::ConnectionReset
                    {
                        eprintln!("connection: {e}");
                    }
                });
            }
            Err(e) => eprintln!("accept: {e}"),
        }
    }
    Ok(())
}

/// One connection: read a command, answer it, until the client leaves.
fn serve(stream: TcpStream, store: &Store) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    while let Some(command) = read_command(&mut reader)? {
        execute(&command, store, &mut writer)?;
        if reader.buffer().is_empty() {
            writer.flush()?;
        }
    }
    writer.flush()
}

/// The next command's words, `None` at end of stream.
fn read_command(reader: &mut impl BufRead) -> io::Result<Option<Vec<Vec<u8>>>> {
    let Some(line) = read_line(reader)? else { return Ok(None) };
    let Some(count) = line.strip_prefix(b"*") else {
        // An inline command: words separated by spaces.
        return Ok(Some(line.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(<[u8]>::to_vec).collect()));
    };
    let count = number(count)?;
    let mut words = Vec::with_capacity(count);
    for _ in 0..count {
        let header = read_line(reader)?.ok_or_else(|| invalid("end of stream inside a command"))?;
        let len = number(header.strip_prefix(b"$").ok_or_else(|| invalid("expected a bulk string"))?)?;
        let mut word = vec![0; len + 2];
        reader.read_exact(&mut word)?;
        word.truncate(len);
        words.push(word);
    }
    Ok(Some(words))
}

/// One `\r\n`-terminated line without its terminator, `None` at end of stream.
fn read_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Ok(None);
    }
    while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        line.pop();
    }
    Ok(Some(line))
}

fn number(digits: &[u8]) -> io::Result<usize> {
    std::str::from_utf8(digits).ok().and_then(|s| s.parse().ok()).ok_or_else(|| invalid("expected a length"))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Runs one command against the store and writes its reply.
fn execute(command: &[Vec<u8>], store: &Store, out: &mut impl Write) -> io::Result<()> {
    let Some(name) = command.first() else { return Ok(()) };
    match (name.to_ascii_uppercase().as_slice(), &command[1..]) {
        (b"PING", []) => out.write_all(b"+PONG\r\n"),
        (b"PING", [message]) => bulk(out, Some(message)),
        (b"SET", [key, value]) => {
            store.lock().unwrap().insert(key.clone(), value.clone());
            out.write_all(b"+OK\r\n")
        }
        (b"GET", [key]) => {
            let value = store.lock().unwrap().get(key).cloned();
            bulk(out, value.as_deref())
        }
        (b"INCR", [key]) => {
            let result = {
                let mut store = store.lock().unwrap();
                let value = store.entry(key.clone()).or_insert_with(|| b"0".to_vec());
                match std::str::from_utf8(value).ok().and_then(|v| v.parse::<i64>().ok()) {
                    Some(n) => n.checked_add(1).inspect(|n| *value = n.to_string().into_bytes()),
                    None => None,
                }
            };
            match result {
                Some(n) => write!(out, ":{n}\r\n"),
                None => out.write_all(b"-ERR value is not an integer or out of range\r\n"),
            }
        }
        (b"DEL", keys) if !keys.is_empty() => {
            let mut store = store.lock().unwrap();
            let removed = keys.iter().filter(|k| store.remove(*k).is_some()).count();
            drop(store);
            write!(out, ":{removed}\r\n")
        }
        // No settings to show: `CONFIG GET name` answers name with "".
        (b"CONFIG", [_, name]) => {
            out.write_all(b"*2\r\n")?;
            bulk(out, Some(name))?;
            bulk(out, Some(b""))
        }
        (b"CONFIG", _) => out.write_all(b"*0\r\n"),
        (b"PING" | b"SET" | b"GET" | b"INCR" | b"DEL", _) => {
            write!(out, "-ERR wrong number of arguments for '{}' command\r\n", String::from_utf8_lossy(name))
        }
        _ => write!(out, "-ERR unknown command '{}'\r\n", String::from_utf8_lossy(name)),
    }
}

/// A bulk string reply, or the null reply.
fn bulk(out: &mut impl Write, value: Option<&[u8]>) -> io::Result<()> {
    match value {
        Some(v) => {
            write!(out, "${}\r\n", v.len())?;
            out.write_all(v)?;
            out.write_all(b"\r\n")
        }
        None => out.write_all(b"$-1\r\n"),
    }
}
