//! The eP-CSCF on tokio: client listeners (WebSocket per RFC 7118, UDP, TCP), one link
//! to the S-CSCF (UDP or TCP), and the glue that feeds bytes to the sans-IO
//! [`Edge`] and carries out its decisions.
//!
//! Every client connection gets a [`FlowId`](sip_oauth::edge::FlowId); the edge hides it
//! (MAC-protected) in its own Via branch, Path and Record-Route, so a response or a
//! request from the core names the connection to send it on, and the only state here is
//! the `FlowId` → connection map. The registrations live in the edge: the server tells
//! it when a connection closes and sweeps ended ones periodically.
//!
//! This file starts and stops the server and holds the state its tasks share. The rest,
//! a concern a file:
//! - `bind`: the addresses and the sockets bound for them ([`EdgeAddrs`], [`Bound`]);
//! - `tap`: the tracing hook ([`Hop`], [`Tap`]);
//! - `flows`: the flow table;
//! - `accept`, `ws_listener`, `tcp_listener`, `udp_listener`: the client listeners;
//! - `tls`, `tls_listener`: the certificate (reloaded in place) and the TLS and WSS
//!   listeners, which serve their connections with the TCP and WebSocket code;
//! - `core_link`: the link to the S-CSCF;
//! - `dispatch`: carrying out the edge's decisions (the only match on them);
//! - `log_lines`: the wording of the log.

mod accept;
mod bind;
mod core_link;
mod dispatch;
mod flows;
mod log_lines;
mod tap;
mod tcp_listener;
mod tls;
mod tls_listener;
mod udp_listener;
mod ws_listener;

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sip_oauth::edge::{Edge, FlowId};
use tokio::net::UdpSocket;
use tokio::task::JoinSet;

pub use bind::{Bound, EdgeAddrs};
pub use tap::{Hop, Tap};
// Each example uses a part of these; `TlsError` is for the ones that match on it.
#[allow(unused_imports)]
pub use tls::{ServerTls, TlsError, TlsFiles, provider as tls_provider};
pub use tls_listener::SecureAddrs;

use core_link::{CoreLink, core_tcp_loop, core_udp_loop};
use flows::{Flows, Route};
use tcp_listener::tcp_accept_loop;
use udp_listener::client_udp_loop;
use ws_listener::ws_accept_loop;

/// What every task of the server shares.
struct Shared {
    edge: Edge,
    flows: Flows,
    core: CoreLink,
    client_udp: Option<Arc<UdpSocket>>,
    tap: Option<Tap>,
}

/// The running edge: dropping it or calling [`EdgeServer::shutdown`] stops every task.
pub struct EdgeServer {
    tasks: JoinSet<()>,
}

impl EdgeServer {
    /// Starts the listeners and the core link of `bound`, handing messages to `edge`.
    pub fn start(edge: Edge, bound: Bound, tap: Option<Tap>) -> EdgeServer {
        let mut tasks = JoinSet::new();
        let (core, core_tcp_rx) = CoreLink::new(bound.core_udp.clone(), bound.addrs.core);
        let shared = Arc::new(Shared {
            edge,
            flows: Flows::new(),
            core,
            client_udp: bound.udp.clone(),
            tap,
        });
        if let Some(rx) = core_tcp_rx {
            tasks.spawn(core_tcp_loop(shared.clone(), rx, bound.addrs.core));
        }
        if let Some(sock) = bound.core_udp {
            tasks.spawn(core_udp_loop(shared.clone(), sock));
        }
        if let Some(l) = bound.ws {
            tasks.spawn(ws_accept_loop(shared.clone(), l));
        }
        if let Some(l) = bound.tcp {
            tasks.spawn(tcp_accept_loop(shared.clone(), l));
        }
        if let Some(sock) = bound.udp {
            tasks.spawn(client_udp_loop(shared.clone(), sock));
        }
        tls_listener::spawn(&shared, bound.secure, &mut tasks);
        tasks.spawn(sweep_loop(shared));
        EdgeServer { tasks }
    }

    /// Stops every task.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// How often ended registrations are swept at most (sooner when one ends sooner).
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Removes ended registrations when the next one ends, and at least every
/// [`SWEEP_EVERY`]: lookups already ignore them, sweeping returns the memory.
async fn sweep_loop(shared: Arc<Shared>) {
    loop {
        let now = SystemTime::now();
        let wait = shared
            .edge
            .next_expiry()
            .and_then(|t| t.duration_since(now).ok())
            .map_or(SWEEP_EVERY, |d| d.min(SWEEP_EVERY));
        tokio::time::sleep(wait.max(Duration::from_millis(100))).await;
        let n = shared.edge.sweep(SystemTime::now());
        if n > 0 {
            log_lines::swept(n, shared.edge.registrations());
        }
    }
}

impl Shared {
    /// A client connection closed: forget its route and end its registrations in the
    /// edge (requests for it get 430 Flow Failed from now on, RFC 5626 5.3).
    fn close_flow(&self, flow: FlowId, label: &str) {
        self.flows.close(flow);
        let ended = self.edge.flow_closed(flow);
        log_lines::flow_closed(label, ended);
    }

    /// Shows `bytes` to the tap, if there is one.
    fn tap(&self, hop: Hop, bytes: &[u8]) {
        if let Some(t) = &self.tap {
            t(hop, bytes);
        }
    }

    /// Sends `bytes` down client flow `flow`; returns the client's label, or `None` when
    /// the connection is gone.
    async fn to_client(&self, flow: FlowId, bytes: Bytes) -> Option<String> {
        let route = self.flows.route(flow)?;
        self.tap(Hop::ToClient, &bytes);
        match route {
            Route::Udp { peer } => {
                let sock = self.client_udp.as_ref()?;
                sock.send_to(&bytes, peer).await.ok()?;
                Some(format!("udp:{peer}"))
            }
            Route::Stream { label, tx } => {
                tx.try_send(bytes).ok()?;
                Some(label)
            }
        }
    }

    /// Sends `bytes` to the core.
    async fn to_core(&self, bytes: Bytes) -> io::Result<()> {
        self.tap(Hop::ToCore, &bytes);
        self.core.send(bytes).await
    }
}
