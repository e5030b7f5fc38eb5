//! How much stack common work needs on a fiber: the figures behind
//! `DEFAULT_STACK_SIZE` (see `src/stack/mod.rs`).
//!
//! Each workload runs in a corosensei coroutine on a fiberio stack of
//! 8 MiB whose memory was first painted with a pattern; afterwards the
//! lowest byte no longer holding the pattern gives the high-water mark:
//! the most stack the workload used, the coroutine's own frames included.
//!
//! ```text
//! cargo run --release --example stack_usage
//! cargo run --example stack_usage          # debug build: larger frames
//! ```

use std::backtrace::Backtrace;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::panic;

use corosensei::{Coroutine, CoroutineResult};
use fiberio::__bench::stack::{DEFAULT_STACK_SIZE, MIN_STACK_SIZE, Stack};

/// Bytes of stack each workload may use; far more than any needs.
const PAINTED: usize = 8 << 20;
/// The paint: a byte pattern no frame is likely to leave behind.
const PAINT: u8 = 0xA5;

/// Fills the usable part of `stack` with [`PAINT`].
fn paint(stack: &mut Stack) {
    let lo = stack.guard().end as *mut u8;
    // SAFETY: `[lo, lo + size)` is the usable, read-write part of the
    // stack's mapping, which `&mut Stack` owns; nothing runs on it now.
    unsafe { lo.write_bytes(PAINT, stack.size()) };
}

/// Bytes from the top of `stack` down to the lowest byte not holding [`PAINT`].
fn high_water(stack: &Stack) -> usize {
    let lo = stack.guard().end as *const u8;
    // SAFETY: as in `paint`; the coroutine that ran on it has finished.
    let bytes = unsafe { std::slice::from_raw_parts(lo, stack.size()) };
    let untouched = bytes.iter().take_while(|&&b| b == PAINT).count();
    stack.size() - untouched
}

/// Runs `work` on a freshly painted stack; returns its high-water mark.
fn measure(stack: Stack, work: fn()) -> (usize, Stack) {
    let mut stack = stack;
    paint(&mut stack);
    let mut co = Coroutine::<(), (), (), Stack>::with_stack(stack, move |_, ()| work());
    match co.resume(()) {
        CoroutineResult::Return(()) => {}
        CoroutineResult::Yield(()) => unreachable!("workloads do not yield"),
    }
    let stack = co.into_stack();
    (high_water(&stack), stack)
}

// ---- workloads -------------------------------------------------------------

fn empty() {}

fn io_copy_cursor() {
    let mut src = io::Cursor::new(vec![7u8; 1 << 20]);
    let n = io::copy(&mut src, &mut io::sink()).unwrap();
    assert_eq!(n, 1 << 20);
}

fn io_copy_reader() {
    // A plain `Read` (not `BufRead`): std copies through a stack buffer.
    let mut src = io::repeat(7).take(1 << 20);
    let mut dst = Vec::new();
    assert_eq!(io::copy(&mut src, &mut dst).unwrap(), 1 << 20);
}

/// A reader and a writer std has no specialisation for (like fiberio's
/// own sockets): `io::copy` goes through its 8 KiB stack buffer.
struct Zeros(usize);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0);
        buf[..n].fill(0);
        self.0 -= n;
        Ok(n)
    }
}

struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += black_box(buf).len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn io_copy_generic() {
    let mut dst = Count(0);
    io::copy(&mut Zeros(1 << 20), &mut dst).unwrap();
    assert_eq!(black_box(dst).0, 1 << 20);
}

fn fs_read() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(text.contains("fiberio"));
    let meta = std::fs::metadata("/proc/self/status").unwrap();
    black_box(meta);
}

/// A JSON-ish value and a recursive-descent parser for it.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
enum Value {
    Num(i64),
    Str(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn value(&mut self) -> Value {
        match self.s[self.i] {
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                while self.s[self.i] != b']' {
                    items.push(self.value());
                    if self.s[self.i] == b',' {
                        self.i += 1;
                    }
                }
                self.i += 1;
                Value::List(items)
            }
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                while self.s[self.i] != b'}' {
                    let Value::Str(k) = self.value() else { panic!("key") };
                    assert_eq!(self.s[self.i], b':');
                    self.i += 1;
                    map.insert(k, self.value());
                    if self.s[self.i] == b',' {
                        self.i += 1;
                    }
                }
                self.i += 1;
                Value::Map(map)
            }
            b'"' => {
                let end = self.s[self.i + 1..].iter().position(|&c| c == b'"').unwrap();
                let s = String::from_utf8(self.s[self.i + 1..self.i + 1 + end].to_vec()).unwrap();
                self.i += end + 2;
                Value::Str(s)
            }
            _ => {
                let len = self.s[self.i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let n = std::str::from_utf8(&self.s[self.i..self.i + len]).unwrap().parse().unwrap();
                self.i += len;
                Value::Num(n)
            }
        }
    }
}

/// Nested `depth` levels, alternating lists and maps, with data at each level.
fn nested_text(depth: usize) -> String {
    let mut s = String::new();
    for d in 0..depth {
        if d % 2 == 0 {
            s += &format!("[{d},\"level{d}\",");
        } else {
            s += &format!("{{\"n\":{d},\"next\":");
        }
    }
    s += "\"leaf\"";
    for d in (0..depth).rev() {
        s += if d % 2 == 0 { "]" } else { "}" };
    }
    s
}

fn parse_depth_100() {
    let text = nested_text(100);
    let v = Parser { s: text.as_bytes(), i: 0 }.value();
    black_box(v);
}

fn debug_wide_value() {
    type Row = (String, BTreeMap<u32, Vec<Option<(f64, String)>>>);
    let v: Vec<Row> = (0..200)
        .map(|i| {
            let m = (0..10).map(|k| (k, vec![Some((k as f64 / 3.0, format!("v{i}.{k}"))), None])).collect();
            (format!("row{i}"), m)
        })
        .collect();
    let s = format!("{v:?}");
    assert!(s.len() > 10_000);
}

fn debug_depth_100() {
    let text = nested_text(100);
    let v = Parser { s: text.as_bytes(), i: 0 }.value();
    let s = format!("{v:?}");
    assert!(s.contains("leaf"));
}

fn tcp_connect_write() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).unwrap();
        buf.len()
    });
    // The fiber's part: connect to a `SocketAddr` (no name lookup), write.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&[1u8; 64 * 1024]).unwrap();
    drop(s);
    assert_eq!(reader.join().unwrap(), 64 * 1024);
}

fn resolve_localhost() {
    // getaddrinfo through glibc's NSS modules.
    let addrs: Vec<_> = "localhost:80".to_socket_addrs().unwrap().collect();
    assert!(!addrs.is_empty());
}

fn panic_caught() {
    let r = panic::catch_unwind(|| panic!("workload panic (expected)"));
    assert!(r.is_err());
}

fn backtrace_capture() {
    let bt = Backtrace::force_capture();
    assert_eq!(black_box(bt).status(), std::backtrace::BacktraceStatus::Captured);
}

fn backtrace_capture_and_print() {
    // What a panic with RUST_BACKTRACE=1 does: capture, then resolve
    // symbols and format.
    let bt = Backtrace::force_capture();
    let s = format!("{bt}");
    assert!(!s.is_empty());
}

/// Env var naming the one workload a child process runs.
const CHILD_ENV: &str = "FIBERIO_STACK_USAGE_WORKLOAD";

/// The workloads; each runs in a fresh process so first-use costs (loading
/// debug info, NSS modules) count. `panic` runs with and without
/// `RUST_BACKTRACE`: the default hook prints a backtrace with it.
const WORKLOADS: [(&str, &str, fn()); 15] = [
    ("empty", "empty coroutine (baseline)", empty),
    ("copy-cursor", "io::copy Cursor -> sink (1 MiB)", io_copy_cursor),
    ("copy-read", "io::copy Read -> Vec (1 MiB)", io_copy_reader),
    ("copy-generic", "io::copy Read -> Write, generic (1 MiB)", io_copy_generic),
    ("fs", "std::fs read_to_string + metadata", fs_read),
    ("parse", "recursive-descent parse, depth 100", parse_depth_100),
    ("debug-wide", "format!(\"{:?}\") wide value (200x10)", debug_wide_value),
    ("debug-deep", "format!(\"{:?}\") nested value, depth 100", debug_depth_100),
    ("tcp", "TcpStream connect(addr) + write 64 KiB", tcp_connect_write),
    ("resolve", "resolve \"localhost:80\" (getaddrinfo)", resolve_localhost),
    ("panic", "panic + catch_unwind, RUST_BACKTRACE=0", panic_caught),
    ("panic-bt", "panic + catch_unwind, RUST_BACKTRACE=1", panic_caught),
    ("bt", "Backtrace::force_capture", backtrace_capture),
    ("bt-print", "Backtrace::force_capture + Display", backtrace_capture_and_print),
    ("bt-print-twice", "... + Display, second time in the process", backtrace_twice),
];

fn backtrace_twice() {
    backtrace_capture_and_print();
    let stack = Stack::new(PAINTED).expect("map a stack");
    let (used, _) = measure(stack, backtrace_capture_and_print);
    println!("{used}");
    std::process::exit(0);
}

fn main() {
    if let Ok(key) = std::env::var(CHILD_ENV) {
        let (_, _, work) = WORKLOADS.iter().find(|w| w.0 == key).expect("known workload");
        let (used, _) = measure(Stack::new(PAINTED).expect("map an 8 MiB stack"), *work);
        println!("{used}");
        return;
    }
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("fiber stack high-water marks ({profile} build; each in a fresh process)");
    let exe = std::env::current_exe().unwrap();
    let mut worst = (0, "");
    for (key, name, _) in WORKLOADS {
        let out = std::process::Command::new(&exe)
            .env(CHILD_ENV, key)
            .env("RUST_BACKTRACE", if key == "panic-bt" { "1" } else { "0" })
            .stderr(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let used: usize = match text.lines().last().and_then(|l| l.trim().parse().ok()) {
            Some(n) if out.status.success() => n,
            _ => panic!("workload {key} failed: {out:?}"),
        };
        println!("  {name:<44} {used:>7} bytes {:>6.1} KiB", used as f64 / 1024.0);
        if used > worst.0 {
            worst = (used, name);
        }
    }
    let default = DEFAULT_STACK_SIZE;
    println!(
        "worst: {} ({:.1} KiB); DEFAULT_STACK_SIZE = {} KiB ({:.1}x that); MIN_STACK_SIZE = {} KiB",
        worst.1,
        worst.0 as f64 / 1024.0,
        default / 1024,
        default as f64 / worst.0 as f64,
        MIN_STACK_SIZE / 1024
    );
}
