//! An edge and the stand-in S-CSCF on loopback, started in-process the way `epcscf`
//! starts them from its flags: what the tests of the example programs run before they
//! speak to the edge, so that each test states only the flags it is about.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::args::Settings;
use super::edge_server::{Bound, EdgeServer};
use super::edge_setup;
use super::registrar::{self, Registrar};

/// The stand-in S-CSCF (`registrar`), serving until dropped.
pub struct Core {
    /// Its address: UDP, and TCP on the same port when asked for.
    pub addr: SocketAddr,
    /// Its registrations, for tests that look at what reached the core.
    pub registrar: Arc<Registrar>,
    /// Its tasks: dropping them stops it.
    pub tasks: JoinSet<()>,
}

/// Starts the registrar of `home` on `addr` (port 0 for any), over UDP and also over TCP
/// when `tcp`, trusting requests from 127.0.0.1 only (where the edge is).
pub async fn core(home: &str, addr: SocketAddr, tcp: bool) -> io::Result<Core> {
    let mut tasks = JoinSet::new();
    let (udp, listener) = registrar::bind(addr, tcp).await?;
    let addr = udp.local_addr()?;
    let reg = Arc::new(Registrar::new(home, vec!["127.0.0.1".parse().expect("IP")]));
    registrar::serve(reg.clone(), Some(udp), listener, &mut tasks);
    Ok(Core {
        addr,
        registrar: reg,
        tasks,
    })
}

/// A running edge and the addresses its listeners were given.
pub struct Started {
    /// The server; its `stop` ends it gracefully.
    pub server: EdgeServer,
    /// The plain WebSocket listener, when there is one.
    pub ws: Option<SocketAddr>,
    /// The WebSocket-over-TLS listener.
    pub wss: Option<SocketAddr>,
    /// The SIP-over-TLS listener.
    pub tls: Option<SocketAddr>,
    /// The SIP-over-TCP listener.
    pub tcp: Option<SocketAddr>,
    /// The SIP-over-UDP socket.
    pub udp: Option<SocketAddr>,
}

/// Starts the edge `epcscf` runs for `flags` (its command line; a listener on port 0
/// gets a free one): the flags parsed and checked, the listeners bound, the TLS ones
/// reading their certificate again every `poll` when given, the edge built for the
/// bound addresses.
pub async fn edge(flags: &[&str], poll: Option<Duration>) -> Result<Started, String> {
    let settings = Settings::parse(flags.iter().map(|s| (*s).to_owned()), edge_setup::KNOWN, "")?;
    let bound = Bound::bind(edge_setup::addrs(&settings)?)
        .await
        .map_err(|e| format!("binding: {e}"))?;
    let bound = match edge_setup::secure(&settings)? {
        Some((addrs, certs)) => {
            let certs = match poll {
                Some(every) => certs.poll_every(every),
                None => certs,
            };
            bound
                .bind_secure(addrs, certs)
                .await
                .map_err(|e| format!("binding: {e}"))?
        }
        None => bound,
    };
    let (ws, wss, tls, tcp, udp) = (
        bound.ws_addr(),
        bound.wss_addr(),
        bound.tls_addr(),
        bound.tcp_addr(),
        bound.udp_addr(),
    );
    let edge = edge_setup::edge(&settings, &bound.default_edge_host())?;
    Ok(Started {
        server: EdgeServer::start(edge, bound, None),
        ws,
        wss,
        tls,
        tcp,
        udp,
    })
}
