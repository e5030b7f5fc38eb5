//! Servers for the hook tests (`tests/hook_*.rs`): they run on plain
//! threads, answer slowly, and tell each client whether every client's
//! request was in flight at once — how a test sees that fibers on one
//! worker overlapped, without a timing assertion.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long each server answer takes, as in the measurements.
pub const SLOW: Duration = Duration::from_millis(300);

/// Opens when `n` parties have arrived (or after a 20 s hang guard).
pub struct Gate {
    n: usize,
    arrived: Mutex<usize>,
    cv: Condvar,
}

impl Gate {
    pub fn new(n: usize) -> Arc<Self> {
        Arc::new(Self { n, arrived: Mutex::new(0), cv: Condvar::new() })
    }

    /// Arrives and waits for the others: `true` if all `n` arrived.
    pub fn arrive(&self) -> bool {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.cv.notify_all();
        let (arrived, _) =
            self.cv.wait_timeout_while(arrived, Duration::from_secs(20), |a| *a < self.n).unwrap();
        *arrived >= self.n
    }
}

/// What a slow server answers: whether all its clients overlapped.
pub fn verdict(together: bool) -> &'static str {
    if together { "together" } else { "one at a time" }
}

/// Accepts `n` connections on a plain thread, each handled on its own
/// thread by `handle(stream, together)` after the request was read by
/// `read_request`, the gate passed, and [`SLOW`] elapsed.
pub fn slow_server(
    n: usize,
    read_request: fn(&mut BufReader<TcpStream>),
    handle: fn(TcpStream, bool),
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let gate = Gate::new(n);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let (stream, gate) = (stream.unwrap(), gate.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                read_request(&mut reader);
                let together = gate.arrive();
                std::thread::sleep(SLOW);
                handle(reader.into_inner(), together);
            });
        }
    });
    addr
}

/// Reads one line.
pub fn read_line(r: &mut BufReader<TcpStream>) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
}

/// Reads an HTTP request head (up to the empty line).
pub fn read_http_head(r: &mut BufReader<TcpStream>) {
    let mut line = String::new();
    while r.read_line(&mut line).unwrap() > 2 {
        line.clear();
    }
}

/// Answers a line with the verdict and closes.
pub fn answer_line(mut s: TcpStream, together: bool) {
    s.write_all(format!("{}\n", verdict(together)).as_bytes()).unwrap();
}

/// Answers an HTTP request with the verdict as its body.
pub fn answer_http(mut s: TcpStream, together: bool) {
    let body = verdict(together);
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
}

/// Runs `n` copies of `f` as fibers on a 1-worker runtime; returns their
/// results and the wall time they took together.
pub fn on_one_worker<T, F>(n: usize, f: F) -> (Vec<T>, Duration)
where
    T: Send + 'static,
    F: Fn(usize) -> T + Clone + Send + 'static,
{
    let rt = super::one_worker();
    let start = std::time::Instant::now();
    let hs: Vec<_> = (0..n)
        .map(|i| {
            let f = f.clone();
            rt.spawn(move || f(i))
        })
        .collect();
    let out = hs.into_iter().map(|h| h.join().unwrap()).collect();
    (out, start.elapsed())
}

/// The bound the 10 × 300 ms tests assert: well above the ~0.3 s they take
/// when the calls overlap, well below the 3 s they take one at a time.
pub const OVERLAPPED: Duration = Duration::from_millis(1500);
