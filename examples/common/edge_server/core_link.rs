//! The one link to the S-CSCF: a UDP socket, or a TCP connection made on first use and
//! again after a failure. Everything for the core (client requests, client responses,
//! the edge's own answers) goes out through [`CoreLink::send`]; everything that comes
//! back (responses, and requests for clients: the core sends those over the link the
//! REGISTER came in on, RFC 5626 5.3) is handed to [`on_core_message`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::super::stream::{Item, SipReader};
use super::Shared;
use super::dispatch::on_core_message;
use super::log_lines;

/// How requests reach the core.
pub(super) enum CoreLink {
    /// Datagrams from the core-facing socket.
    Udp {
        sock: Arc<UdpSocket>,
        to: SocketAddr,
    },
    /// The queue of [`core_tcp_loop`], which owns the connection.
    Tcp { tx: mpsc::Sender<Bytes> },
}

impl CoreLink {
    /// Over UDP from `sock` when the core-facing socket is bound, else over TCP: then
    /// also the receiving end that [`core_tcp_loop`] must be run with.
    pub(super) fn new(
        sock: Option<Arc<UdpSocket>>,
        to: SocketAddr,
    ) -> (CoreLink, Option<mpsc::Receiver<Bytes>>) {
        match sock {
            Some(sock) => (CoreLink::Udp { sock, to }, None),
            None => {
                let (tx, rx) = mpsc::channel(1024);
                (CoreLink::Tcp { tx }, Some(rx))
            }
        }
    }

    /// Sends one message to the core.
    pub(super) async fn send(&self, bytes: Bytes) -> io::Result<()> {
        match self {
            CoreLink::Udp { sock, to } => sock.send_to(&bytes, to).await.map(|_| ()),
            CoreLink::Tcp { tx } => tx
                .try_send(bytes)
                .map_err(|_| io::Error::other("core link queue full or closed")),
        }
    }
}

/// Messages from the core over UDP.
pub(super) async fn core_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, _)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        on_core_message(&shared, Bytes::copy_from_slice(&buf[..n])).await;
    }
}

/// The TCP link to the core: connected on first use and again after a failure; responses
/// come back on the same connection (RFC 3261 18.2.2), and so do requests for clients.
pub(super) async fn core_tcp_loop(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Bytes>,
    to: SocketAddr,
) {
    let mut conn: Option<(tokio::net::tcp::OwnedWriteHalf, tokio::task::JoinHandle<()>)> = None;
    while let Some(bytes) = rx.recv().await {
        for _attempt in 0..2 {
            if conn.as_ref().is_none_or(|(_, r)| r.is_finished()) {
                match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(to)).await {
                    Ok(Ok(stream)) => {
                        let (rd, wr) = stream.into_split();
                        let s = shared.clone();
                        let reader = tokio::spawn(async move {
                            let mut r = SipReader::new(rd);
                            while let Ok(Some(item)) = r.next().await {
                                if let Item::Message(b) = item {
                                    on_core_message(&s, b).await;
                                }
                            }
                        });
                        conn = Some((wr, reader));
                    }
                    _ => {
                        log_lines::core_unreachable(to);
                        break;
                    }
                }
            }
            let Some((wr, _)) = conn.as_mut() else { break };
            if tokio::io::AsyncWriteExt::write_all(wr, &bytes)
                .await
                .is_ok()
            {
                break;
            }
            if let Some((_, r)) = conn.take() {
                r.abort();
            }
        }
    }
}
