//! `UdpSocket`'s multicast options, every setter and getter std has: each
//! getter reads back what its setter set (the kernel's value, read through
//! the fd), on IPv4 and IPv6 sockets.

use fiberio::net::UdpSocket;

#[test]
fn ipv4_multicast_loop_and_ttl_read_back_what_was_set() {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(s.multicast_loop_v4().unwrap(), "Linux's default: on");
    assert_eq!(s.multicast_ttl_v4().unwrap(), 1, "Linux's default");
    s.set_multicast_loop_v4(false).unwrap();
    assert!(!s.multicast_loop_v4().unwrap());
    s.set_multicast_loop_v4(true).unwrap();
    assert!(s.multicast_loop_v4().unwrap());
    s.set_multicast_ttl_v4(42).unwrap();
    assert_eq!(s.multicast_ttl_v4().unwrap(), 42);
    // The same socket seen by std: the options are the kernel's.
    let std = std::net::UdpSocket::from(s);
    assert_eq!(std.multicast_ttl_v4().unwrap(), 42);
}

#[test]
fn ipv6_multicast_loop_reads_back_what_was_set() {
    let s = match UdpSocket::bind("[::1]:0") {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            eprintln!("no IPv6 loopback on this machine: {e}; skipped");
            return;
        }
        Err(e) => panic!("bind [::1]:0: {e}"),
    };
    assert!(s.multicast_loop_v6().unwrap(), "Linux's default: on");
    s.set_multicast_loop_v6(false).unwrap();
    assert!(!s.multicast_loop_v6().unwrap());
    s.set_multicast_loop_v6(true).unwrap();
    assert!(s.multicast_loop_v6().unwrap());
    // An IPv4 socket has no IPv6 option, as with std.
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let std_v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    assert_eq!(
        v4.set_multicast_loop_v6(false).map_err(|e| e.kind()),
        std_v4.set_multicast_loop_v6(false).map_err(|e| e.kind())
    );
}
