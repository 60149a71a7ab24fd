//! The stand-in S-CSCF on tokio: one UDP socket and a TCP listener on the same port.
//! Every message goes to the [`Registrar`], and the one message it decides to send goes
//! out over UDP or over the TCP connection it names (a request toward a user goes over
//! the connection that user's REGISTER arrived on, RFC 5626 5.3; a response over the
//! connection its request came on, RFC 3261 18.2.2).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::core_peer::{Connections, Peer};
use super::log;
use super::registrar::{Answer, Registrar};
use super::stream::{Item, SipReader, write_all_from};

const ROLE: &str = "scscf";
/// Outgoing queue per TCP connection.
const QUEUE: usize = 256;

/// What the S-CSCF's tasks share.
struct Core {
    registrar: Arc<Registrar>,
    udp: Option<Arc<UdpSocket>>,
    conns: Connections,
}

impl Core {
    /// Handles one message from `from` and sends what the registrar decides.
    async fn on_message(&self, bytes: Bytes, from: Peer) {
        if let Some(a) = self.registrar.handle(bytes, from, Instant::now()) {
            self.send(a).await;
        }
    }

    async fn send(&self, a: Answer) {
        let sent = match a.to {
            Peer::Udp(addr) => match &self.udp {
                Some(sock) => sock.send_to(&a.bytes, addr).await.is_ok(),
                None => false,
            },
            Peer::Tcp { conn, .. } => self.conns.send(conn, a.bytes),
        };
        let lost = if sent { "" } else { " (not sent: peer gone)" };
        log::line(ROLE, format_args!("{}{lost}", a.log));
    }
}

/// Serves `registrar` on a UDP socket and/or a TCP listener until the set is dropped.
pub fn serve(
    registrar: Arc<Registrar>,
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    tasks: &mut JoinSet<()>,
) {
    let local = udp
        .as_ref()
        .and_then(|s| s.local_addr().ok())
        .or_else(|| tcp.as_ref().and_then(|l| l.local_addr().ok()));
    if let Some(addr) = local {
        registrar.set_address(addr);
    }
    let core = Arc::new(Core {
        registrar,
        udp: udp.map(Arc::new),
        conns: Connections::default(),
    });
    if let Some(sock) = core.udp.clone() {
        let core = core.clone();
        tasks.spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                    continue;
                };
                let bytes = Bytes::copy_from_slice(&buf[..n]);
                // Keep-alives carry no message.
                if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                    continue;
                }
                core.on_message(bytes, Peer::Udp(peer)).await;
            }
        });
    }
    if let Some(listener) = tcp {
        tasks.spawn(async move {
            // The connections belong to the listener's task: stopping the S-CSCF (dropping
            // the set) closes them too, as a crashed core would.
            let mut conns = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, peer)) = accepted {
                            conns.spawn(tcp_connection(core.clone(), stream, peer));
                        }
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
    }
}

async fn tcp_connection(core: Arc<Core>, stream: TcpStream, addr: SocketAddr) {
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let writer = tokio::spawn(write_all_from(wr, rx));
    let conn = core.conns.open(tx.clone());
    let peer = Peer::Tcp { conn, addr };
    let mut reader = SipReader::new(rd);
    while let Ok(Some(item)) = reader.next().await {
        match item {
            Item::Message(b) => core.on_message(b, peer).await,
            // RFC 5626 4.4.1: a CRLFCRLF ping gets a CRLF pong.
            Item::Ping => {
                let _ = tx.try_send(Bytes::from_static(b"\r\n"));
            }
        }
    }
    core.conns.close(conn);
    drop(tx);
    let _ = writer.await;
}

/// Binds the S-CSCF's sockets on `addr` (UDP, and TCP on the same port when `tcp`).
pub async fn bind(addr: SocketAddr, tcp: bool) -> io::Result<(UdpSocket, Option<TcpListener>)> {
    let udp = UdpSocket::bind(addr).await?;
    let tcp = if tcp {
        Some(TcpListener::bind(udp.local_addr()?).await?)
    } else {
        None
    };
    Ok((udp, tcp))
}
