//! The secure client listeners: SIP over TLS (RFC 3261 26.2, framed as on TCP) and SIP
//! over secure WebSocket (RFC 7118 over `wss`). Each accepted connection first completes
//! the TLS handshake with the certificate in force ([`ServerTls`]), then is served by
//! the same code as its plain twin, generic over the stream, with
//! [`Transport::Tls`] or [`Transport::Wss`] so the edge knows the token came protected
//! (RFC 6750 5.3; no `allow_insecure_transport` needed).
//!
//! The listeners are bound after the plain ones ([`Bound::bind_secure`]), so a program
//! without a certificate never touches this file.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use sip_oauth::edge::Transport;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::Shared;
use super::accept::accept_loop;
use super::bind::Bound;
use super::log_lines::{self, Who};
use super::tcp_listener::stream_connection;
use super::tls::{HANDSHAKE_TIMEOUT, ServerTls};
use super::ws_listener::ws_connection;

/// Where the secure listeners listen.
#[derive(Debug, Clone, Default)]
pub struct SecureAddrs {
    /// SIP over TLS (`sips:`, `transport=tls`).
    pub tls: Option<SocketAddr>,
    /// SIP over secure WebSocket (`wss://`), for browsers on https pages.
    pub wss: Option<SocketAddr>,
}

/// The secure listeners bound and the certificate they present.
#[derive(Default)]
pub(super) struct Secure {
    tls: Option<TcpListener>,
    wss: Option<TcpListener>,
    certs: Option<ServerTls>,
}

impl Bound {
    /// Also binds the TLS and WSS listeners of `addrs`, presenting `certs`.
    pub async fn bind_secure(mut self, addrs: SecureAddrs, certs: ServerTls) -> io::Result<Bound> {
        let bind = |a: Option<SocketAddr>| async move {
            match a {
                Some(a) => TcpListener::bind(a).await.map(Some),
                None => Ok(None),
            }
        };
        self.secure = Secure {
            tls: bind(addrs.tls).await?,
            wss: bind(addrs.wss).await?,
            certs: Some(certs),
        };
        Ok(self)
    }

    /// The TLS listener's address.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.secure.tls.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The secure WebSocket listener's address.
    pub fn wss_addr(&self) -> Option<SocketAddr> {
        self.secure.wss.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// Starts the secure listeners of `secure` and the certificate's reload watch.
pub(super) fn spawn(shared: &Arc<Shared>, secure: Secure, tasks: &mut JoinSet<()>) {
    let Some(certs) = secure.certs else { return };
    if let Some(l) = secure.tls {
        tasks.spawn(secure_accept_loop(
            shared.clone(),
            l,
            certs.clone(),
            Transport::Tls,
        ));
    }
    if let Some(l) = secure.wss {
        tasks.spawn(secure_accept_loop(
            shared.clone(),
            l,
            certs.clone(),
            Transport::Wss,
        ));
    }
    tasks.spawn(certs.watch());
}

/// Accepts on `listener`, completes the TLS handshake and serves the connection as
/// `transport` (TLS: SIP framing; WSS: the WebSocket handshake, then RFC 7118).
async fn secure_accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    certs: ServerTls,
    transport: Transport,
) {
    accept_loop(shared, listener, move |shared, stream, peer| {
        let acceptor = certs.acceptor();
        async move {
            let Some(tls) = handshake(acceptor, stream, peer, transport).await else {
                return;
            };
            match transport {
                Transport::Wss => ws_connection(shared, tls, peer, Transport::Wss).await,
                _ => stream_connection(shared, tls, peer, Transport::Tls).await,
            }
        }
    })
    .await;
}

/// The server side of the TLS handshake, within [`HANDSHAKE_TIMEOUT`]; a failure is
/// logged and ends the connection.
async fn handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    transport: Transport,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    // Small writes go out at once: SIP messages are sent whole, one at a time.
    let _ = stream.set_nodelay(true);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            log_lines::handshake_refused(
                Who::new(None, &label(transport, peer)),
                format_args!("tls: {e}"),
            );
            None
        }
        Err(_) => {
            log_lines::handshake_refused(
                Who::new(None, &label(transport, peer)),
                "tls: handshake timed out",
            );
            None
        }
    }
}

/// The name of a client connection in the log: `tls:1.2.3.4:5`, `wss:…`.
pub(super) fn label(transport: Transport, peer: SocketAddr) -> String {
    let scheme = match transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
        Transport::Ws => "ws",
        Transport::Wss => "wss",
    };
    format!("{scheme}:{peer}")
}
