//! A loopback port that only counts connections: point eksforge's AWS endpoint at it, and any
//! AWS call (even one that would fail) shows up as a connection.

use std::net::TcpListener;

pub struct Tripwire {
    listener: TcpListener,
}

impl Tripwire {
    pub fn new() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        Tripwire { listener }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().expect("addr"))
    }

    /// Whether anything connected since the last call.
    pub fn was_called(&self) -> bool {
        self.listener.accept().is_ok()
    }
}
