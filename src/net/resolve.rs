//! Name resolution off the workers: a host name given to `connect`,
//! `bind`, `send_to` and friends is resolved on the helper pool, so
//! `getaddrinfo` (which blocks, for as long as DNS takes) never stalls a
//! worker (DESIGN.md decision 12).
//!
//! The rule — strings that are not literal addresses go to a helper,
//! everything else converts inline — is documented in `net/mod.rs`.
//!
//! The type test compares `TypeId`s with lifetimes erased (the technique
//! of the `typeid` crate): `&'a str` matches `&str` whatever `'a` is.
//! Errors are std's own, from std's resolver, unchanged.

use std::any::TypeId;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::OnceLock;

/// An owned name that needs `getaddrinfo`.
#[derive(Debug)]
enum Name {
    /// `"host:port"`, as given.
    HostPort(String),
    /// `(host, port)`.
    Host(String, u16),
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::HostPort(s) => f.write_str(s),
            Name::Host(host, port) => write!(f, "{host}:{port}"),
        }
    }
}

impl Name {
    fn host_port(s: &str) -> Option<Name> {
        (s.parse::<SocketAddr>().is_err()).then(|| Name::HostPort(s.to_owned()))
    }

    fn host(host: &str, port: u16) -> Option<Name> {
        (host.parse::<IpAddr>().is_err()).then(|| Name::Host(host.to_owned(), port))
    }

    /// Resolves on the helper pool (inline off a fiber) with std.
    fn resolve(self) -> io::Result<Vec<SocketAddr>> {
        let job = move || {
            if let Some(hook) = HOOK.get() {
                hook(&self.to_string());
            }
            let addrs = match &self {
                Name::HostPort(s) => s.to_socket_addrs()?,
                Name::Host(host, port) => (host.as_str(), *port).to_socket_addrs()?,
            };
            Ok(addrs.collect())
        };
        crate::blocking::try_unblock(job).and_then(|result| result)
    }
}

/// The `TypeId` of `T` with its lifetimes erased (see the module docs).
fn erased_type_id<T: ?Sized>() -> TypeId {
    trait NonStaticAny {
        fn erased_id(&self) -> TypeId
        where
            Self: 'static;
    }
    impl<T: ?Sized> NonStaticAny for PhantomData<T> {
        fn erased_id(&self) -> TypeId
        where
            Self: 'static,
        {
            TypeId::of::<T>()
        }
    }
    let phantom = PhantomData::<T>;
    let object: &dyn NonStaticAny = &phantom;
    // SAFETY: only the object's lifetime bound changes; the one method called
    // reads no data (`PhantomData` has none) and returns `T`'s `TypeId`,
    // computed with lifetimes erased. Nothing `'static` escapes.
    let object = unsafe { std::mem::transmute::<&dyn NonStaticAny, &(dyn NonStaticAny + 'static)>(object) };
    object.erased_id()
}

/// `value` as a `&T` if `A` is `T` up to lifetimes.
///
/// # Safety
///
/// The caller must not let any borrow inside the returned `&T` outlive
/// `value`'s own lifetimes (it must copy what it needs right away): `T`'s
/// lifetimes are chosen by the caller, not checked against `A`'s.
unsafe fn cast<A, T>(value: &A) -> Option<&T> {
    // SAFETY: equal erased type ids mean the same type up to lifetimes,
    // hence the same layout; the caller keeps the lifetimes honest.
    (erased_type_id::<A>() == erased_type_id::<T>()).then(|| unsafe { &*(value as *const A).cast::<T>() })
}

/// The owned name inside `addr` when it is a string that is no literal
/// address; `None` when std can convert it inline (see the rule).
fn name_of<A: ToSocketAddrs>(addr: &A) -> Option<Name> {
    // SAFETY: for every `cast` below, the borrowed strings are copied into
    // an owned `Name` before this function returns, while `addr` is alive.
    unsafe {
        if let Some(s) = cast::<A, &str>(addr) {
            Name::host_port(s)
        } else if let Some(s) = cast::<A, &&str>(addr) {
            Name::host_port(s)
        } else if let Some(s) = cast::<A, String>(addr) {
            Name::host_port(s)
        } else if let Some(s) = cast::<A, &String>(addr) {
            Name::host_port(s)
        } else if let Some((host, port)) = cast::<A, (&str, u16)>(addr) {
            Name::host(host, *port)
        } else if let Some((host, port)) = cast::<A, (String, u16)>(addr) {
            Name::host(host, *port)
        } else {
            None
        }
    }
}

/// Resolves `addr` by the rule (`net/mod.rs`) and calls `each` with
/// the addresses; used by [`each_addr`](super::std_api::each_addr).
pub(crate) fn resolve<A: ToSocketAddrs, T>(
    addr: A,
    each: impl FnOnce(&mut dyn Iterator<Item = SocketAddr>) -> T,
) -> io::Result<T> {
    match name_of(&addr) {
        Some(name) => Ok(each(&mut name.resolve()?.into_iter())),
        None => Ok(each(&mut addr.to_socket_addrs()?)),
    }
}

/// Resolves a host name to socket addresses on the helper pool, so only
/// the calling fiber waits for DNS; on a plain thread it resolves inline,
/// like `ToSocketAddrs::to_socket_addrs`. Takes the same forms as
/// `TcpStream::connect` and follows the same rule (see the module docs of
/// [`fiberio::net`](crate::net)).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let h = fiberio::spawn(|| fiberio::net::lookup_host("localhost:8080"));
/// let addrs: Vec<_> = h.join().unwrap()?.collect();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// std's: `InvalidInput` for a string without a valid port, the
/// resolver's error ("failed to lookup address information: ...") for a
/// name it cannot resolve; also the pool's error when no helper thread can
/// run ([`try_unblock`](crate::try_unblock)).
pub fn lookup_host<A: ToSocketAddrs>(addr: A) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    resolve(addr, |addrs| addrs.collect::<Vec<_>>().into_iter())
}

static HOOK: OnceLock<fn(&str)> = OnceLock::new();

/// Installs a function that every name resolution calls first, on the
/// thread that resolves, with the name (`"host:port"`). For tests of where
/// and when resolution runs; not a stable API. Returns `false` if a hook
/// was already installed (there is one per process).
#[doc(hidden)]
pub fn __set_resolve_hook(hook: fn(&str)) -> bool {
    HOOK.set(hook).is_ok()
}
