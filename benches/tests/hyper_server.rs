//! hyper 1 on fibers (`examples/async/hyper_server.rs`, the same server
//! code, on a free port) answers real clients: `curl` over one kept-alive
//! connection (several requests, a POST body echoed back, a large
//! response), and hyper's own client on fibers from many connections at
//! once. The example's command line gets its errors checked too.
//!
//! Needs `curl` (`.ci/run` installs it): under CI a missing curl fails the
//! test; elsewhere the test says so on stderr and returns.

#[path = "../../tests/util/mod.rs"]
mod util;

#[path = "../../examples/async/hyper_server.rs"]
#[allow(dead_code)] // its `main` and the parts only the example uses
mod server;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use fiberio::future::block_on;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

/// The server on a 2-worker runtime of its own, listening on a free port.
fn start() -> (fiberio::Runtime, SocketAddr) {
    let rt = util::two_workers();
    let (addr, _acceptors) = server::spawn_acceptors(&rt, "127.0.0.1:0".parse().unwrap()).unwrap();
    (rt, addr)
}

/// Runs curl with `args`, `stdin` on its standard input; `None` (outside
/// CI) when curl is missing.
fn curl(args: &[&str], stdin: &[u8]) -> Option<Output> {
    let spawned = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "60"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("curl could not start ({e}): .ci/run installs it")
        }
        Err(e) => {
            eprintln!("SKIPPED: curl could not start ({e}); install curl");
            return None;
        }
    };
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    Some(output)
}

/// `n` bytes no two runs of a pattern repeat in, for bodies to echo.
fn noise(n: usize) -> Vec<u8> {
    let mut rng = util::Rng::new(n as u64);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Splits curl's output at each `--write-out` marker: the bodies, and
/// what follows each marker (status and connections opened).
fn transfers(stdout: &[u8]) -> Vec<(Vec<u8>, String)> {
    const MARK: &[u8] = b"\n@@transfer ";
    let mut out = Vec::new();
    let mut rest = stdout;
    while let Some(at) = rest.windows(MARK.len()).position(|w| w == MARK) {
        let end = at + MARK.len() + rest[at + MARK.len()..].iter().position(|&b| b == b'\n').unwrap();
        out.push((rest[..at].to_vec(), String::from_utf8(rest[at + MARK.len()..end].to_vec()).unwrap()));
        rest = &rest[end + 1..];
    }
    assert!(rest.is_empty(), "curl printed after its last transfer: {:?}", String::from_utf8_lossy(rest));
    out
}

#[test]
fn curl_keeps_one_connection_for_gets_a_post_echo_and_a_large_response() {
    let _w = util::Watchdog::new("curl_keeps_one_connection", 120);
    let (_rt, addr) = start();
    let url = |path: &str| format!("http://{addr}{path}");
    let (root, echo, big) = (url("/"), url("/echo"), url("/bytes/20000000"));
    let mark = "\n@@transfer %{http_code} %{num_connects}\n";
    let posted = noise(3 << 20);
    #[rustfmt::skip]
    let args = [
        "-w", mark, root.as_str(),
        "--next", "-w", mark, root.as_str(),
        "--next", "-w", mark, "--data-binary", "@-", echo.as_str(),
        "--next", "-w", mark, big.as_str(),
        "--next", "-w", mark, root.as_str(),
    ];
    let Some(output) = curl(&args, &posted) else { return };
    let got = transfers(&output.stdout);
    let statuses: Vec<&str> = got.iter().map(|(_, s)| s.as_str()).collect();
    // One connection opened, by the first transfer; the others reuse it.
    assert_eq!(statuses, ["200 1", "200 0", "200 0", "200 0", "200 0"]);
    assert_eq!(got[0].0, server::HELLO);
    assert_eq!(got[1].0, server::HELLO);
    assert!(got[2].0 == posted, "the echo differs: {} bytes back for {} sent", got[2].0.len(), posted.len());
    assert_eq!(got[3].0.len(), 20_000_000);
    assert!(got[3].0 == server::pattern(20_000_000), "the large response's bytes differ");
    assert_eq!(got[4].0, server::HELLO);
}

#[test]
fn curl_gets_errors_for_unknown_routes_and_bad_counts() {
    let _w = util::Watchdog::new("curl_gets_errors", 60);
    let (_rt, addr) = start();
    let mark = "\n@@transfer %{http_code} %{num_connects}\n";
    let (missing, bad, huge) = (
        format!("http://{addr}/nope"),
        format!("http://{addr}/bytes/x"),
        format!("http://{addr}/bytes/999999999999"),
    );
    let args = ["-w", mark, &missing, "--next", "-w", mark, &bad, "--next", "-w", mark, &huge];
    let Some(output) = curl(&args, b"") else { return };
    let got = transfers(&output.stdout);
    let statuses: Vec<&str> = got.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(statuses, ["404 1", "400 0", "400 0"]);
    assert_eq!(got[0].0, b"no such route\n");
}

/// A hyper client connection on a fiber: its connection future on a
/// fiber of its own, as the server does it.
fn client(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = fiberio::net::TcpStream::connect(addr).unwrap();
    let (sender, connection) = block_on(hyper::client::conn::http1::handshake(TokioIo::new(stream))).unwrap();
    fiberio::spawn(move || block_on(connection).unwrap());
    sender
}

/// Sends one request on `sender`; returns the status and the whole body.
fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, Bytes) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "fiberio.test")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    block_on(sender.ready()).unwrap();
    let response = block_on(sender.send_request(request)).unwrap();
    let status = response.status();
    (status, block_on(response.into_body().collect()).unwrap().to_bytes())
}

#[test]
fn a_hyper_client_on_fibers_gets_answers_on_many_connections_at_once() {
    let _w = util::Watchdog::new("a_hyper_client_on_fibers", 120);
    let (_server_rt, addr) = start();
    let clients = util::two_workers();
    let handles: Vec<_> = (0..50)
        .map(|i| {
            clients.spawn(move || {
                let mut sender = client(addr);
                for round in 0..4 {
                    let (status, body) = send(&mut sender, "GET", "/", Vec::new());
                    assert_eq!((status, &body[..]), (StatusCode::OK, server::HELLO));
                    let posted = noise(1000 * i + round);
                    let (status, body) = send(&mut sender, "POST", "/echo", posted.clone());
                    assert_eq!(status, StatusCode::OK);
                    assert!(body == posted, "client {i}: echo of {} bytes differs", posted.len());
                }
                let (status, body) = send(&mut sender, "GET", "/bytes/3000000", Vec::new());
                assert_eq!(status, StatusCode::OK);
                assert!(body == server::pattern(3_000_000), "client {i}: large response differs");
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn bad_options_get_errors_that_name_them() {
    let parse = |args: &[&str], env: &[(&str, &str)]| {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        server::Options::parse(&args, |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    };
    let ok = parse(&["--addr", "127.0.0.1:8080", "--workers", "2"], &[]).unwrap();
    assert_eq!((ok.addr.port(), ok.workers), (8080, Some(2)));
    let from_env = parse(&[], &[("HYPER_ADDR", "127.0.0.1:81"), ("HYPER_WORKERS", "3")]).unwrap();
    assert_eq!((from_env.addr.port(), from_env.workers), (81, Some(3)));
    let default = parse(&[], &[]).unwrap();
    assert_eq!((default.addr.to_string().as_str(), default.workers), (server::DEFAULT_ADDR, None));
    for (args, env, names) in [
        (&["--workers", "0"][..], &[][..], "--workers \"0\""),
        (&["--workers", "many"], &[], "--workers \"many\""),
        (&[], &[("HYPER_WORKERS", "-1")], "HYPER_WORKERS \"-1\""),
        (&["--addr", "nowhere"], &[], "--addr \"nowhere\""),
        (&[], &[("HYPER_ADDR", "1.2.3.4")], "HYPER_ADDR \"1.2.3.4\""),
        (&["--addr"], &[], "--addr needs a value"),
        (&["--port", "1"], &[], "unknown argument \"--port\""),
    ] {
        let err = parse(args, env).unwrap_err();
        assert!(err.contains(names), "{args:?} {env:?}: {err}");
    }
}
