//! How the stand-in S-CSCF reaches the nodes it talks to: a [`Peer`] is a UDP address
//! or one of the TCP connections an edge opened to it. Requests toward a registered user
//! go back over the peer its REGISTER came from, as an edge behind NAT or a client-side
//! TCP connection needs (RFC 5626 5.3: the flow the registration arrived on).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::mpsc;

/// A node the S-CSCF can send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Datagrams to this address, from the S-CSCF's UDP socket.
    Udp(SocketAddr),
    /// The TCP connection numbered `conn`, accepted from `addr`.
    Tcp {
        /// The connection's number in [`Connections`].
        conn: u64,
        /// Its remote address.
        addr: SocketAddr,
    },
}

impl Peer {
    /// The remote address.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Peer::Udp(a) | Peer::Tcp { addr: a, .. } => *a,
        }
    }

    /// The Via transport token for messages sent to this peer (RFC 3261 18.1.1).
    pub fn via_transport(&self) -> &'static str {
        match self {
            Peer::Udp(_) => "UDP",
            Peer::Tcp { .. } => "TCP",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Udp(a) => write!(f, "udp:{a}"),
            Peer::Tcp { addr, .. } => write!(f, "tcp:{addr}"),
        }
    }
}

/// The open TCP connections, each fed through its writer's queue.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<u64, mpsc::Sender<Bytes>>>,
    next: AtomicU64,
}

impl Connections {
    /// Registers a connection's queue; returns its number.
    pub fn open(&self, tx: mpsc::Sender<Bytes>) -> u64 {
        let conn = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.open.lock() {
            m.insert(conn, tx);
        }
        conn
    }

    /// Forgets connection `conn` (it closed).
    pub fn close(&self, conn: u64) {
        if let Ok(mut m) = self.open.lock() {
            m.remove(&conn);
        }
    }

    /// Queues `bytes` on connection `conn`; `false` when it is gone or its queue is full.
    pub fn send(&self, conn: u64, bytes: Bytes) -> bool {
        let tx = self.open.lock().ok().and_then(|m| m.get(&conn).cloned());
        tx.is_some_and(|tx| tx.try_send(bytes).is_ok())
    }
}
