//! What the two hyper examples share: the HTTP service and the command
//! line. `hyper_server.rs` serves it on fibers, `hyper_tokio.rs` on tokio;
//! `benches/hyper.sh` measures one against the other, so both must do the
//! same work per request.
//!
//! Routes:
//! - `GET /`: `Hello, world!` (what `benches/hyper.sh` asks for).
//! - `POST /echo`: the request body, sent back.
//! - `GET /bytes/N`: N bytes (at most [`MAX_BYTES`]) of [`pattern`], for
//!   responses larger than a socket buffer.
//! - anything else: 404.

use std::convert::Infallible;
use std::net::{SocketAddr, ToSocketAddrs};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};

/// What `GET /` answers.
pub const HELLO: &[u8] = b"Hello, world!\n";
/// The largest body `GET /bytes/N` sends: 256 MiB.
pub const MAX_BYTES: usize = 256 << 20;
/// The address the examples listen on without `--addr` or `HYPER_ADDR`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// Answers one request (see the module docs for the routes).
pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(Full::new(Bytes::from_static(HELLO))),
        (&Method::POST, "/echo") => match req.into_body().collect().await {
            Ok(body) => Response::new(Full::new(body.to_bytes())),
            Err(e) => status(StatusCode::BAD_REQUEST, format!("cannot read the body: {e}\n")),
        },
        (&Method::GET, path) if path.starts_with("/bytes/") => match path["/bytes/".len()..].parse::<usize>()
        {
            Ok(n) if n <= MAX_BYTES => Response::new(Full::new(Bytes::from(pattern(n)))),
            _ => status(StatusCode::BAD_REQUEST, format!("/bytes/N takes a count from 0 to {MAX_BYTES}\n")),
        },
        _ => status(StatusCode::NOT_FOUND, "no such route\n".to_string()),
    };
    Ok(response)
}

/// A response with `code` and a short text body.
fn status(code: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = code;
    response
}

/// The `n` bytes `GET /bytes/N` sends: `a` to `z` over and over, so a
/// client can check every byte and where it stands.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The command line of both examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where to listen.
    pub addr: SocketAddr,
    /// How many workers (fiberio workers or tokio worker threads); `None`:
    /// the runtime's default (one per core, or its own environment variable).
    pub workers: Option<usize>,
}

impl Options {
    /// The usage line of the example called `name`.
    pub fn usage(name: &str) -> String {
        format!(
            "usage: {name} [--addr HOST:PORT] [--workers N]\n  \
             --addr     where to listen (else $HYPER_ADDR, else {DEFAULT_ADDR})\n  \
             --workers  worker threads, 1 to 1024 (else $HYPER_WORKERS, else the runtime's default: one per core)"
        )
    }

    /// Parses `args` (without the program name), with `env` for the
    /// variables `HYPER_ADDR` and `HYPER_WORKERS`. The error names the flag
    /// or variable and the value that was wrong.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let (mut addr, mut workers) = (None, None);
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let slot = match flag.as_str() {
                "--addr" => &mut addr,
                "--workers" => &mut workers,
                other => return Err(format!("unknown argument {other:?}")),
            };
            let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
            *slot = Some((flag.clone(), value.clone()));
        }
        let addr = addr
            .or_else(|| env("HYPER_ADDR").map(|v| ("HYPER_ADDR".to_string(), v)))
            .unwrap_or_else(|| ("default".to_string(), DEFAULT_ADDR.to_string()));
        let workers = workers.or_else(|| env("HYPER_WORKERS").map(|v| ("HYPER_WORKERS".to_string(), v)));
        Ok(Self {
            addr: parse_addr(&addr.0, &addr.1)?,
            workers: workers.map(|(from, value)| parse_workers(&from, &value)).transpose()?,
        })
    }

    /// [`Options::parse`] of this process's arguments and environment; on
    /// an error, prints it with the usage and exits with status 2.
    pub fn from_command_line(name: &str) -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Self::parse(&args, |k| std::env::var(k).ok()).unwrap_or_else(|e| {
            eprintln!("{name}: error: {e}\n{}", Self::usage(name));
            std::process::exit(2);
        })
    }
}

/// `value` (from the flag or variable `from`) as one socket address.
fn parse_addr(from: &str, value: &str) -> Result<SocketAddr, String> {
    let mut addrs =
        value.to_socket_addrs().map_err(|e| format!("{from} {value:?} is not a HOST:PORT address ({e})"))?;
    addrs.next().ok_or_else(|| format!("{from} {value:?} resolves to no address"))
}

/// `value` (from the flag or variable `from`) as a worker count.
fn parse_workers(from: &str, value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("{from} {value:?} is not a worker count from 1 to 1024")),
    }
}
