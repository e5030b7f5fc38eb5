//! With the `hook` feature, `tungstenite::connect` (std socket, name
//! resolution of `localhost`) on fibers of one worker: the handshakes and
//! reads overlap.
#![cfg(feature = "hook")]

#[path = "../../tests/util/mod.rs"]
mod util;

use std::net::TcpListener;
use tungstenite::Message;

use util::{Gate, SLOW, on_one_worker, verdict};

/// A WebSocket server on plain threads: each connection sends one
/// message, waits for all `n`, then answers with the verdict after SLOW.
fn ws_server(n: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let gate = Gate::new(n);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let mut ws = tungstenite::accept(stream.unwrap()).unwrap();
                ws.read().unwrap();
                let together = gate.arrive();
                std::thread::sleep(SLOW);
                ws.send(Message::text(verdict(together))).unwrap();
            });
        }
    });
    port
}

#[test]
fn websocket_clients_overlap_on_one_worker() {
    let _w = util::Watchdog::new("websocket_clients_overlap", 60);
    let port = ws_server(5);
    let (answers, took) = on_one_worker(5, move |i| {
        let (mut ws, _) = tungstenite::connect(format!("ws://localhost:{port}/")).unwrap();
        ws.send(Message::text(format!("client {i}"))).unwrap();
        ws.read().unwrap().into_text().unwrap().to_string()
    });
    assert!(answers.iter().all(|a| a == verdict(true)), "{answers:?}");
    eprintln!("5 websocket exchanges, 300 ms each, on one worker: {took:?}");
    assert!(took < util::OVERLAPPED, "took {took:?}");
}
