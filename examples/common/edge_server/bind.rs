//! Where the edge listens and where the core is, and the sockets bound for it: binding
//! comes before the edge is configured, so that ephemeral ports are known when the edge's
//! own Via and Path are written.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};

/// Where the edge listens and where the core is.
#[derive(Debug, Clone)]
pub struct EdgeAddrs {
    /// WebSocket listener (`ws://`), for browsers.
    pub ws: Option<SocketAddr>,
    /// UDP listener, for other SIP clients.
    pub udp: Option<SocketAddr>,
    /// TCP listener, for other SIP clients.
    pub tcp: Option<SocketAddr>,
    /// The S-CSCF.
    pub core: SocketAddr,
    /// Whether the core is reached over TCP (else UDP).
    pub core_tcp: bool,
    /// Local address of the core-facing UDP socket (port 0 for any).
    pub core_bind: SocketAddr,
}

/// Sockets bound before the edge is configured, so ephemeral ports are known (the
/// edge's own Via and Path must name the address the core answers to).
pub struct Bound {
    pub(super) ws: Option<TcpListener>,
    pub(super) udp: Option<Arc<UdpSocket>>,
    pub(super) tcp: Option<TcpListener>,
    pub(super) core_udp: Option<Arc<UdpSocket>>,
    pub(super) addrs: EdgeAddrs,
    /// The TLS and WSS listeners, bound by `Bound::bind_secure` (`tls_listener`).
    pub(super) secure: super::tls_listener::Secure,
}

impl Bound {
    /// Binds every configured socket.
    pub async fn bind(addrs: EdgeAddrs) -> io::Result<Bound> {
        let ws = match addrs.ws {
            Some(a) => Some(TcpListener::bind(a).await?),
            None => None,
        };
        let udp = match addrs.udp {
            Some(a) => Some(Arc::new(UdpSocket::bind(a).await?)),
            None => None,
        };
        let tcp = match addrs.tcp {
            Some(a) => Some(TcpListener::bind(a).await?),
            None => None,
        };
        let core_udp = if addrs.core_tcp {
            None
        } else {
            Some(Arc::new(UdpSocket::bind(addrs.core_bind).await?))
        };
        Ok(Bound {
            ws,
            udp,
            tcp,
            core_udp,
            addrs,
            secure: Default::default(),
        })
    }

    /// The WebSocket listener's address.
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The UDP listener's address.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp.as_ref().and_then(|s| s.local_addr().ok())
    }

    /// The TCP listener's address.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The address the edge should name in its Via and Path (`host:port`): the core-facing
    /// UDP socket, or for a TCP core the first client listener.
    pub fn default_edge_host(&self) -> String {
        self.core_udp
            .as_ref()
            .and_then(|s| s.local_addr().ok())
            .or_else(|| self.udp_addr())
            .or_else(|| self.tcp_addr())
            .or_else(|| self.ws_addr())
            .or_else(|| self.tls_addr())
            .or_else(|| self.wss_addr())
            .map_or_else(|| "127.0.0.1:5060".to_owned(), |a| a.to_string())
    }
}
