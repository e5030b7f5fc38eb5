//! Name resolution from fibers: `connect("localhost:PORT")` resolves on a
//! helper thread, a slow resolution leaves the worker serving others,
//! literal addresses never reach the resolver, and a bad name is a clear
//! error.
//!
//! A resolve hook (one per process) records each name the resolver is
//! asked for and the thread it runs on; for one chosen name it also holds
//! the resolution until other fibers have made progress.

mod util;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, LazyLock, Mutex};

use fiberio::net::{TcpListener, TcpStream, UdpSocket, lookup_host};
use util::PATIENCE;

/// (name, thread) for every resolution, in order.
static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
/// A name whose resolution waits for `PROGRESS` to advance by 1,000.
static HOLD: Mutex<Option<String>> = Mutex::new(None);
static PROGRESS: LazyLock<Arc<AtomicU64>> = LazyLock::new(Arc::default);
static HELD_SAW_PROGRESS: AtomicBool = AtomicBool::new(false);

fn hook(name: &str) {
    let thread = std::thread::current().name().unwrap_or("<unnamed>").to_string();
    SEEN.lock().unwrap().push((name.to_string(), thread));
    if HOLD.lock().unwrap().as_deref() == Some(name) {
        // A slow DNS server, simulated: this thread blocks until the
        // worker's other fibers have run — which they cannot if the
        // resolution blocks the worker itself.
        let start = PROGRESS.load(SeqCst);
        let saw = util::holds_within(PATIENCE, || PROGRESS.load(SeqCst) >= start + 1000);
        HELD_SAW_PROGRESS.store(saw, SeqCst);
    }
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| assert!(fiberio::net::__set_resolve_hook(hook)));
}

fn seen_by(name: &str) -> Vec<String> {
    SEEN.lock().unwrap().iter().filter(|(n, _)| n == name).map(|(_, t)| t.clone()).collect()
}

/// A listener on loopback whose accept thread echoes one byte per
/// connection; returns its port.
fn echo_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut b = [0u8; 1];
            if s.read_exact(&mut b).is_ok() {
                let _ = s.write_all(&b);
            }
        }
    });
    port
}

fn echo(mut s: TcpStream) -> u8 {
    s.write_all(&[42]).unwrap();
    let mut b = [0u8; 1];
    s.read_exact(&mut b).unwrap();
    b[0]
}

#[test]
fn connect_by_name_resolves_on_a_helper() {
    install_hook();
    let port = echo_listener();
    let h = fiberio::spawn(move || echo(TcpStream::connect(format!("localhost:{port}")).unwrap()));
    assert_eq!(h.join().unwrap(), 42);
    assert_eq!(seen_by(&format!("localhost:{port}")), ["fiberio-helper"]);

    // The (host, port) form too, owned or borrowed.
    let h = fiberio::spawn(move || echo(TcpStream::connect(("localhost".to_string(), port)).unwrap()));
    assert_eq!(h.join().unwrap(), 42);
    assert_eq!(seen_by(&format!("localhost:{port}")), ["fiberio-helper", "fiberio-helper"]);
}

#[test]
fn a_slow_resolution_does_not_stall_the_worker() {
    install_hook();
    let port = echo_listener();
    let name = format!("localhost:{port}");
    *HOLD.lock().unwrap() = Some(name.clone());
    let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = util::spawn_counter(&rt, &PROGRESS, &stop);
    let conn = rt.spawn(move || echo(TcpStream::connect(name.as_str()).unwrap()));
    assert_eq!(conn.join().unwrap(), 42);
    stop.store(true, SeqCst);
    counter.join().unwrap();
    assert_eq!(seen_by(&format!("localhost:{port}")), ["fiberio-helper"]);
    assert!(HELD_SAW_PROGRESS.load(SeqCst), "the worker stalled during the resolution");
}

#[test]
fn literal_addresses_never_reach_the_resolver() {
    install_hook();
    let port = echo_listener();
    let h = fiberio::spawn(move || {
        let text = format!("127.0.0.1:{port}");
        let a = echo(TcpStream::connect(text.as_str()).unwrap());
        let b = echo(TcpStream::connect(("127.0.0.1", port)).unwrap());
        let c = echo(TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).unwrap());
        let d = echo(TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.send_to(b"x", listener.local_addr().unwrap()).unwrap();
        let looked_up: Vec<_> = lookup_host(format!("[::1]:{port}")).unwrap().collect();
        (a + b + c + d, looked_up)
    });
    let (sum, looked_up) = h.join().unwrap();
    assert_eq!(sum, 4 * 42);
    assert_eq!(looked_up, [SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))]);
    let seen = SEEN.lock().unwrap();
    let literal = |n: &str| n.starts_with("127.0.0.1:") || n.starts_with("[::1]:");
    assert!(!seen.iter().any(|(n, _)| literal(n)), "a literal went to the resolver: {seen:?}");
}

#[test]
fn a_bad_name_is_a_clear_error() {
    install_hook();
    let h = fiberio::spawn(|| {
        // An empty label: the resolver refuses it without a DNS query.
        let bad = TcpStream::connect("bad..name:80").unwrap_err();
        let no_port = TcpStream::connect("localhost").unwrap_err();
        let udp = UdpSocket::bind("bad..name:0").unwrap_err();
        (bad.to_string(), no_port.kind(), udp.to_string())
    });
    let (bad, no_port, udp) = h.join().unwrap();
    assert!(bad.contains("failed to lookup address information"), "{bad}");
    assert!(udp.contains("failed to lookup address information"), "{udp}");
    assert_eq!(no_port, std::io::ErrorKind::InvalidInput);
    assert_eq!(seen_by("bad..name:80"), ["fiberio-helper"]);
}

#[test]
fn lookup_host_from_a_fiber_and_from_a_thread() {
    install_hook();
    let h = fiberio::spawn(|| lookup_host("localhost:4321").map(|a| a.collect::<Vec<_>>()));
    let from_fiber = h.join().unwrap().unwrap();
    assert!(!from_fiber.is_empty() && from_fiber.iter().all(|a| a.ip().is_loopback() && a.port() == 4321));
    assert_eq!(seen_by("localhost:4321"), ["fiberio-helper"]);

    // Off a fiber: inline, on this very thread.
    let me = std::thread::current().name().unwrap().to_string();
    let from_thread: Vec<_> = lookup_host(("localhost", 4322)).unwrap().collect();
    assert!(!from_thread.is_empty());
    assert_eq!(seen_by("localhost:4322"), [me]);
}
