//! Out of fds on accept (`EMFILE`) is returned to the caller — no busy loop
//! inside the runtime — and accepting works again once fds are freed.
//! Runs in a child process that lowers its own fd limit.

mod util;

use fiberio::net::{TcpListener, TcpStream};

#[test]
fn emfile_on_accept_is_the_callers_to_handle() {
    if util::is_child("emfile") {
        let rt = fiberio::Runtime::builder().workers(1).build().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // Leave a little headroom above what is open now, then fill it.
        let open = util::fd_count();
        let limit = (open + 8) as libc::rlim_t;
        let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
        // SAFETY: plain setrlimit on this (child) process.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
        // The handshake completes in the kernel's backlog without an accept.
        let client = TcpStream::connect(addr).expect("the client connects");
        // Now use up every fd: accepting the connection needs one more.
        let mut hog = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            hog.push(f);
        }
        let err = rt.block_on(|| listener.accept().map(|_| ()).unwrap_err());
        println!("error={}", err.raw_os_error().unwrap_or(0));
        // Freeing fds lets the same listener accept the waiting connection.
        hog.clear();
        let accepted = rt.block_on(|| listener.accept().is_ok());
        println!("accepted-after={accepted}");
        drop(client);
        return;
    }
    let out = util::run_child("emfile_on_accept_is_the_callers_to_handle", "emfile", &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(util::field(&stdout, "error="), Some(libc::EMFILE.to_string().as_str()), "{stdout}");
    assert_eq!(util::field(&stdout, "accepted-after="), Some("true"), "{stdout}");
}
