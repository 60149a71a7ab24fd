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
//! - `deferred`: REGISTERs whose verdict comes later, each on a task of its own;
//! - `unavailable`: the edge's own 503 when the core cannot take a request;
//! - `metrics`: the counters and `/metrics`;
//! - `shutdown`: the phases of a graceful stop;
//! - `log_lines`: the wording of the log.

mod accept;
mod bind;
mod core_link;
mod deferred;
mod dispatch;
mod flows;
mod log_lines;
mod metrics;
mod raw_fields;
mod shutdown;
mod tap;
mod tcp_listener;
mod tls;
mod tls_listener;
mod udp_listener;
mod unavailable;
mod ws_listener;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sip_oauth::edge::{Edge, FlowId};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use bind::{Bound, EdgeAddrs};
pub use tap::{Hop, Tap};
// Each example uses a part of these; `TlsError` is for the ones that match on it.
#[allow(unused_imports)]
pub use tls::{ServerTls, TlsError, TlsFiles, provider as tls_provider};
pub use tls_listener::SecureAddrs;

use super::verdicts::Resolver;

use core_link::{CoreLink, Outbound, Unsent, core_tcp_loop, core_udp_loop};
use flows::{Flows, Route};
use log_lines::Who;
use metrics::{Metrics, serve_metrics};
use shutdown::Phase;
use tcp_listener::tcp_accept_loop;
use udp_listener::client_udp_loop;
use unavailable::InFlight;
use ws_listener::ws_accept_loop;

/// What every task of the server shares.
struct Shared {
    edge: Edge,
    flows: Flows,
    core: CoreLink,
    client_udp: Option<Arc<UdpSocket>>,
    tap: Option<Tap>,
    /// Where pending verdicts are obtained (introspection, key fetches), if anywhere.
    deferred: Option<deferred::Deferred>,
    metrics: Metrics,
    /// Client requests written to the core and not answered yet.
    in_flight: InFlight,
    /// Where the server is in its life; tasks watch it to stop.
    phase: watch::Sender<Phase>,
}

/// The running edge: dropping it stops every task at once; [`EdgeServer::shutdown`]
/// stops them gracefully.
pub struct EdgeServer {
    shared: Arc<Shared>,
    /// The client listeners, each ending once its connections have closed.
    listeners: JoinSet<()>,
    /// Everything else: the core link, the sweep, the metrics listener.
    tasks: JoinSet<()>,
}

impl EdgeServer {
    /// Starts the listeners and the core link of `bound`, handing messages to `edge`.
    pub fn start(edge: Edge, bound: Bound, tap: Option<Tap>) -> EdgeServer {
        Self::start_with(edge, bound, tap, None)
    }

    /// [`EdgeServer::start`], with `resolver` obtaining the verdicts the edge leaves
    /// pending (without one, a pending REGISTER is answered 503).
    pub fn start_with(
        edge: Edge,
        bound: Bound,
        tap: Option<Tap>,
        resolver: Option<Arc<Resolver>>,
    ) -> EdgeServer {
        let mut tasks = JoinSet::new();
        let (deferred, deferred_rx) = match resolver {
            Some(r) => {
                let (d, rx) = deferred::Deferred::new(r);
                (Some(d), Some(rx))
            }
            None => (None, None),
        };
        let mut listeners = JoinSet::new();
        let (core, core_tcp_rx) = CoreLink::new(bound.core_udp.clone(), bound.addrs.core);
        let shared = Arc::new(Shared {
            edge,
            flows: Flows::new(),
            core,
            client_udp: bound.udp.clone(),
            tap,
            deferred,
            metrics: Metrics::new(),
            in_flight: InFlight::default(),
            phase: watch::Sender::new(Phase::Running),
        });
        if let Some(rx) = deferred_rx {
            tasks.spawn(deferred::run(shared.clone(), rx));
        }
        if let Some(rx) = core_tcp_rx {
            tasks.spawn(core_tcp_loop(shared.clone(), rx, bound.addrs.core));
        }
        if let Some(sock) = bound.core_udp {
            tasks.spawn(core_udp_loop(shared.clone(), sock));
        }
        if let Some(l) = bound.ws {
            listeners.spawn(ws_accept_loop(shared.clone(), l));
        }
        if let Some(l) = bound.tcp {
            listeners.spawn(tcp_accept_loop(shared.clone(), l));
        }
        if let Some(sock) = bound.udp {
            tasks.spawn(client_udp_loop(shared.clone(), sock));
        }
        tls_listener::spawn(&shared, bound.secure, &mut listeners);
        tasks.spawn(sweep_loop(shared.clone()));
        tasks.spawn(unavailable::no_answer_loop(shared.clone()));
        EdgeServer {
            shared,
            listeners,
            tasks,
        }
    }

    /// Serves the metrics in Prometheus text format on `GET /metrics` at `listener`.
    pub fn serve_metrics(&mut self, listener: TcpListener) {
        self.tasks
            .spawn(serve_metrics(self.shared.clone(), listener));
    }

    /// Stops gracefully: no new connections, the requests already sent to the core
    /// answered (for at most [`shutdown::DRAIN`]), then every connection closed (a
    /// WebSocket with a Close frame, for at most [`shutdown::CLOSE`]), then the rest.
    pub async fn shutdown(mut self) {
        log_lines::stopping("no new connections; answering requests in flight");
        self.shared.phase.send_replace(Phase::Draining);
        let shared = self.shared.clone();
        let drained = async move {
            while !(shared.in_flight.is_empty() && shared.core.is_idle()) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let _ = tokio::time::timeout(shutdown::DRAIN, drained).await;
        log_lines::stopping("closing connections");
        self.shared.phase.send_replace(Phase::Closing);
        let listeners = &mut self.listeners;
        let closed = async move { while listeners.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(shutdown::CLOSE, closed).await;
        self.listeners.abort_all();
        self.tasks.abort_all();
        while self.listeners.join_next().await.is_some() {}
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
        log_lines::flow_closed(Who::new(Some(flow), label), ended);
    }

    /// Shows `bytes` to the tap, if there is one.
    fn tap(&self, hop: Hop, bytes: &[u8]) {
        if let Some(t) = &self.tap {
            t(hop, bytes);
        }
    }

    /// Sends `bytes` down client flow `flow`; returns the client's label, or `None` when
    /// the connection is gone.
    async fn to_client(&self, flow: FlowId, bytes: Bytes) -> Option<Arc<str>> {
        let route = self.flows.route(flow)?;
        self.tap(Hop::ToClient, &bytes);
        match route {
            Route::Udp { peer, label } => {
                let sock = self.client_udp.as_ref()?;
                sock.send_to(&bytes, peer).await.ok()?;
                Some(label)
            }
            Route::Stream { label, tx } => {
                tx.try_send(bytes).ok()?;
                Some(label)
            }
        }
    }

    /// Sends `out` to the core; on failure hands it back so its client can be answered.
    async fn to_core(&self, out: Outbound) -> Result<(), Unsent> {
        self.tap(Hop::ToCore, &out.bytes);
        // Over UDP the request is remembered here, before the datagram leaves (the
        // answer may come back first); the TCP link does it as it writes.
        let udp = matches!(self.core, CoreLink::Udp { .. });
        if udp && let Some(a) = &out.awaiting {
            self.in_flight.insert(a.clone());
        }
        let sent = self.core.send(out).await;
        if udp
            && let Err(Unsent {
                out: Outbound {
                    awaiting: Some(a), ..
                },
                ..
            }) = &sent
        {
            self.in_flight.forget(a);
        }
        sent
    }
}
