//! tokio-postgres on fibers: the async PostgreSQL client called from
//! blocking-style code. Each connection is a `fiberio::net::TcpStream` (or
//! `UnixStream`) handed to `Config::connect_raw`; the connection's future,
//! which moves bytes between the socket and the client, runs on a fiber
//! of its own (`fiberio::spawn(move || block_on(connection))`), and every
//! query is a `block_on` that parks only the calling fiber.
//!
//! ```text
//! cargo run -p fiberio-benches --release --example postgres -- --host /var/run/postgresql --user postgres
//! ```
//!
//! It creates a temporary table, inserts and selects rows, then runs
//! `SELECT pg_sleep(0.3)` from 10 fibers on one worker, each on its own
//! connection: they overlap (about 0.3 s in all, not 3 s).
//!
//! Options, with libpq's variables as fallbacks: `--host` (`PGHOST`; a
//! directory means the unix socket in it; default /var/run/postgresql),
//! `--port` (`PGPORT`, 5432), `--user` (`PGUSER`, postgres), `--dbname`
//! (`PGDATABASE`, the user's name). `benches/tests/postgres.rs` runs these
//! functions against a private server.

use std::error::Error;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fiberio::future::block_on;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::{Client, Config, NoTls};

/// Any error of the example: IO, PostgreSQL, or a bad option.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// How many fibers run `pg_sleep` at once in [`sleep_together`].
pub const SLEEPERS: usize = 10;

/// Where the server is, and who connects.
#[derive(Debug, Clone)]
pub struct Options {
    /// A host name or address, or the directory of the server's socket.
    pub host: String,
    /// The TCP port, also the number in the socket's name.
    pub port: u16,
    /// The user to connect as (trust or no password: the example sends none).
    pub user: String,
    /// The database.
    pub dbname: String,
}

impl Options {
    /// Parses `args` (without the program name), with `env` for libpq's
    /// variables. The error names the flag or variable that was wrong.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut flags = std::collections::HashMap::new();
        let mut rest = args.iter();
        while let Some(flag) = rest.next() {
            let var = match flag.as_str() {
                "--host" => "PGHOST",
                "--port" => "PGPORT",
                "--user" => "PGUSER",
                "--dbname" => "PGDATABASE",
                other => return Err(format!("unknown argument {other:?}")),
            };
            let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
            flags.insert(var, (flag.clone(), value.clone()));
        }
        let get = |var: &str| flags.get(var).cloned().or_else(|| env(var).map(|v| (var.to_string(), v)));
        let port = match get("PGPORT") {
            None => 5432,
            Some((from, value)) => match value.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(format!("{from} {value:?} is not a port number from 1 to 65535")),
            },
        };
        let host = get("PGHOST").map_or_else(|| "/var/run/postgresql".to_string(), |(_, v)| v);
        let user = get("PGUSER").map_or_else(|| "postgres".to_string(), |(_, v)| v);
        let dbname = get("PGDATABASE").map_or_else(|| user.clone(), |(_, v)| v);
        Ok(Self { host, port, user, dbname })
    }

    /// The unix socket's path when `host` is a directory.
    fn socket(&self) -> Option<PathBuf> {
        self.host.starts_with('/').then(|| PathBuf::from(&self.host).join(format!(".s.PGSQL.{}", self.port)))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::parse(&args, |k| std::env::var(k).ok()).unwrap_or_else(|e| {
        eprintln!(
            "postgres: error: {e}\nusage: postgres [--host HOST|DIR] [--port N] [--user U] [--dbname D]"
        );
        std::process::exit(2);
    });
    let rt = fiberio::Runtime::builder().workers(1).build().expect("a 1-worker runtime");
    let run = rt.block_on(|| -> Result<(), BoxError> {
        let client = connect(&options)?;
        for (id, name) in items(&client)? {
            println!("item {id}: {name}");
        }
        let (slept, took) = sleep_together(&options, Duration::from_millis(300))?;
        println!("{slept} x pg_sleep(0.3) from {SLEEPERS} fibers on one worker: {took:?}");
        Ok(())
    });
    if let Err(e) = run {
        eprintln!("postgres: error: {e}");
        std::process::exit(1);
    }
}

/// Opens a connection to the server `options` names, over a fiberio
/// socket, and starts its connection fiber. The fiber ends when the
/// returned client is dropped.
pub fn connect(options: &Options) -> Result<Client, BoxError> {
    let mut config = Config::new();
    config.user(&options.user).dbname(&options.dbname);
    match options.socket() {
        Some(path) => {
            let stream = fiberio::os::unix::net::UnixStream::connect(&path)
                .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?;
            connect_over(&config, stream)
        }
        None => {
            let addr = (options.host.as_str(), options.port);
            let addr =
                addr.to_socket_addrs()?.next().ok_or_else(|| format!("{} has no address", options.host))?;
            let stream = fiberio::net::TcpStream::connect(addr)
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
            connect_over(&config, stream)
        }
    }
}

/// The PostgreSQL handshake over `stream`, then its connection future on
/// a fiber of its own.
fn connect_over<S>(config: &Config, stream: S) -> Result<Client, BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = block_on(config.connect_raw(stream, NoTls))?;
    fiberio::spawn(move || {
        if let Err(e) = block_on(connection) {
            eprintln!("postgres: connection: {e}");
        }
    });
    Ok(client)
}

/// Creates a temporary table, inserts three rows with a prepared
/// statement, and returns them as `SELECT` reads them back, by id.
pub fn items(client: &Client) -> Result<Vec<(i32, String)>, BoxError> {
    block_on(
        client.batch_execute("CREATE TEMPORARY TABLE items (id integer PRIMARY KEY, name text NOT NULL)"),
    )?;
    let insert = block_on(client.prepare("INSERT INTO items (id, name) VALUES ($1, $2)"))?;
    for (id, name) in [(1, "fiber"), (2, "worker"), (3, "reactor")] {
        block_on(client.execute(&insert, &[&id, &name]))?;
    }
    let rows = block_on(client.query("SELECT id, name FROM items ORDER BY id", &[]))?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Opens [`SLEEPERS`] connections, then runs `SELECT pg_sleep(..)` of
/// `each` on every one from its own fiber, all spawned from the calling
/// fiber (so on its worker). Returns how many sleeps returned and the wall
/// time from the first query sent to the last answer.
pub fn sleep_together(options: &Options, each: Duration) -> Result<(usize, Duration), BoxError> {
    let clients = (0..SLEEPERS).map(|_| connect(options)).collect::<Result<Vec<_>, _>>()?;
    let start = Instant::now();
    let sleepers: Vec<_> = clients
        .into_iter()
        .map(|client| {
            fiberio::spawn(move || block_on(client.query_one("SELECT pg_sleep($1)", &[&each.as_secs_f64()])))
        })
        .collect();
    let mut slept = 0;
    for sleeper in sleepers {
        sleeper.join().map_err(|e| format!("a sleeper fiber panicked: {e:?}"))??;
        slept += 1;
    }
    Ok((slept, start.elapsed()))
}
