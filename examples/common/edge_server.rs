//! The eP-CSCF on tokio: client listeners (WebSocket per RFC 7118, UDP, TCP), one link
//! to the S-CSCF (UDP or TCP), and the glue that feeds bytes to the sans-IO
//! [`Edge`] and carries out its decisions.
//!
//! Every client connection gets a [`FlowId`]; the edge hides it (MAC-protected) in its
//! own Via branch, so a response from the core names the connection to relay it to and
//! the only state here is the `FlowId` → connection map.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_oauth::edge::{
    Decision, DropReason, Edge, FlowId, Inbound, Outcome, RejectCause, Transport,
};
use sip_oauth::message::header::NameAddr;
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::log;
use super::stream::{Item, SipReader, write_all_from};
use super::ws;

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

/// Which way a message went, for tracing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// From a client to the edge.
    FromClient,
    /// From the edge to the core.
    ToCore,
    /// From the core to the edge.
    FromCore,
    /// From the edge to a client.
    ToClient,
}

/// A callback seeing every message the edge receives or sends.
pub type Tap = Arc<dyn Fn(Hop, &[u8]) + Send + Sync>;

/// Sockets bound before the edge is configured, so ephemeral ports are known (the
/// edge's own Via and Path must name the address the core answers to).
pub struct Bound {
    ws: Option<TcpListener>,
    udp: Option<Arc<UdpSocket>>,
    tcp: Option<TcpListener>,
    core_udp: Option<Arc<UdpSocket>>,
    addrs: EdgeAddrs,
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
            .map_or_else(|| "127.0.0.1:5060".to_owned(), |a| a.to_string())
    }
}

enum Route {
    Stream {
        label: String,
        tx: mpsc::Sender<Bytes>,
    },
    Udp {
        peer: SocketAddr,
    },
}

enum CoreLink {
    Udp {
        sock: Arc<UdpSocket>,
        to: SocketAddr,
    },
    Tcp {
        tx: mpsc::Sender<Bytes>,
    },
}

struct Shared {
    edge: Edge,
    flows: Mutex<HashMap<FlowId, Route>>,
    udp_flows: Mutex<HashMap<SocketAddr, FlowId>>,
    next_flow: AtomicU64,
    core: CoreLink,
    client_udp: Option<Arc<UdpSocket>>,
    tap: Option<Tap>,
}

/// Bound on the UDP peer table; past it the table starts over (old peers get new ids
/// and late responses to them are dropped, as after a restart).
const MAX_UDP_FLOWS: usize = 100_000;
/// Outgoing queue per connection; a client that does not read loses messages.
const QUEUE: usize = 64;

/// The running edge: dropping it or calling [`EdgeServer::shutdown`] stops every task.
pub struct EdgeServer {
    tasks: JoinSet<()>,
}

impl EdgeServer {
    /// Starts the listeners and the core link of `bound`, handing messages to `edge`.
    pub fn start(edge: Edge, bound: Bound, tap: Option<Tap>) -> EdgeServer {
        let mut tasks = JoinSet::new();
        let mut core_tcp_rx = None;
        let core = match bound.core_udp.clone() {
            Some(sock) => CoreLink::Udp {
                sock,
                to: bound.addrs.core,
            },
            None => {
                let (tx, rx) = mpsc::channel(1024);
                core_tcp_rx = Some(rx);
                CoreLink::Tcp { tx }
            }
        };
        let shared = Arc::new(Shared {
            edge,
            flows: Mutex::new(HashMap::new()),
            udp_flows: Mutex::new(HashMap::new()),
            next_flow: AtomicU64::new(1),
            core,
            client_udp: bound.udp.clone(),
            tap,
        });
        if let Some(rx) = core_tcp_rx {
            let s = shared.clone();
            let to = bound.addrs.core;
            tasks.spawn(async move { core_tcp_loop(s, rx, to).await });
        }
        if let Some(sock) = bound.core_udp {
            let s = shared.clone();
            tasks.spawn(async move { core_udp_loop(s, sock).await });
        }
        if let Some(l) = bound.ws {
            let s = shared.clone();
            tasks.spawn(async move { ws_accept_loop(s, l).await });
        }
        if let Some(l) = bound.tcp {
            let s = shared.clone();
            tasks.spawn(async move { tcp_accept_loop(s, l).await });
        }
        if let Some(sock) = bound.udp {
            let s = shared.clone();
            tasks.spawn(async move { client_udp_loop(s, sock).await });
        }
        EdgeServer { tasks }
    }

    /// Stops every task.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

const ROLE: &str = "epcscf";

impl Shared {
    fn tap(&self, hop: Hop, bytes: &[u8]) {
        if let Some(t) = &self.tap {
            t(hop, bytes);
        }
    }

    fn new_flow(&self, route: Route) -> FlowId {
        let flow = FlowId(self.next_flow.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut m) = self.flows.lock() {
            m.insert(flow, route);
        }
        flow
    }

    fn drop_flow(&self, flow: FlowId) {
        if let Ok(mut m) = self.flows.lock() {
            m.remove(&flow);
        }
    }

    fn udp_flow(&self, peer: SocketAddr) -> FlowId {
        let Ok(mut peers) = self.udp_flows.lock() else {
            return FlowId(0);
        };
        if let Some(f) = peers.get(&peer) {
            return *f;
        }
        if peers.len() >= MAX_UDP_FLOWS {
            if let Ok(mut flows) = self.flows.lock() {
                for f in peers.values() {
                    flows.remove(f);
                }
            }
            peers.clear();
        }
        let flow = self.new_flow(Route::Udp { peer });
        peers.insert(peer, flow);
        flow
    }

    /// Sends `bytes` down client flow `flow`; returns the client's label, or `None` when
    /// the connection is gone.
    async fn to_client(&self, flow: FlowId, bytes: Bytes) -> Option<String> {
        let target = {
            let m = self.flows.lock().ok()?;
            match m.get(&flow)? {
                Route::Stream { label, tx } => Err((label.clone(), tx.clone())),
                Route::Udp { peer } => Ok(*peer),
            }
        };
        self.tap(Hop::ToClient, &bytes);
        match target {
            Ok(peer) => {
                let sock = self.client_udp.as_ref()?;
                sock.send_to(&bytes, peer).await.ok()?;
                Some(format!("udp:{peer}"))
            }
            Err((label, tx)) => {
                tx.try_send(bytes).ok()?;
                Some(label)
            }
        }
    }

    async fn to_core(&self, bytes: Bytes) -> io::Result<()> {
        self.tap(Hop::ToCore, &bytes);
        match &self.core {
            CoreLink::Udp { sock, to } => sock.send_to(&bytes, to).await.map(|_| ()),
            CoreLink::Tcp { tx } => tx
                .try_send(bytes)
                .map_err(|_| io::Error::other("core link queue full or closed")),
        }
    }
}

/// The AOR of a message, read only when the log line is written.
struct LazyAor<'a>(&'a [u8]);

impl std::fmt::Display for LazyAor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&aor_of(self.0))
    }
}

/// The address of record of a request, for the log (its To URI).
fn aor_of(bytes: &[u8]) -> String {
    let Ok(msg) = Message::parse(Bytes::copy_from_slice(bytes)) else {
        return "-".to_owned();
    };
    msg.required_str(HeaderName::To)
        .ok()
        .and_then(|(to, _)| {
            NameAddr::parse(to)
                .ok()
                .map(|a| a.uri().as_str().to_owned())
        })
        .unwrap_or_else(|| "-".to_owned())
}

fn cause_text(cause: &RejectCause) -> String {
    match cause {
        RejectCause::NoToken => "no token".to_owned(),
        RejectCause::BadToken(e) => e.to_string(),
        RejectCause::Invalid(e) => e.to_string(),
        RejectCause::IdentityMismatch => "AOR not among the token's IMPUs".to_owned(),
        RejectCause::OutlivesToken => "registration would outlive the token".to_owned(),
        RejectCause::TooManyHops => "Max-Forwards exhausted".to_owned(),
        RejectCause::UnsupportedUriScheme => "unsupported URI scheme".to_owned(),
        RejectCause::BadExtension => "unsupported extension required".to_owned(),
        RejectCause::Malformed(e) => format!("malformed: {e}"),
        other => format!("{other:?}"),
    }
}

fn drop_text(reason: &DropReason) -> String {
    match reason {
        DropReason::Unparseable(e) => format!("unparseable: {e}"),
        other => format!("{other:?}"),
    }
}

/// One client request: ask the edge, do what it says, log one line.
async fn on_client_request(
    shared: &Shared,
    bytes: Bytes,
    flow: FlowId,
    peer: SocketAddr,
    transport: Transport,
    token: Option<&str>,
    label: &str,
) {
    shared.tap(Hop::FromClient, &bytes);
    let inbound = Inbound {
        flow,
        peer,
        transport,
        now: SystemTime::now(),
        transport_token: token,
    };
    // Only refusals need the AOR read back for the log; admissions report it.
    let aor = LazyAor(&bytes);
    match shared.edge.on_request(bytes.clone(), &inbound) {
        Decision::Forward { bytes, admitted } => {
            let expires = admitted
                .expires
                .map_or_else(|| "fetch".to_owned(), |e| e.to_string());
            log::line(
                ROLE,
                format_args!(
                    "client={label} aor={} outcome=forwarded reason=token valid impi={} expires={expires}",
                    admitted.aor, admitted.impi
                ),
            );
            if let Err(e) = shared.to_core(bytes).await {
                log::line(
                    ROLE,
                    format_args!(
                        "client={label} aor={aor} outcome=lost reason=core unreachable: {e}"
                    ),
                );
            }
        }
        Decision::Reply {
            flow,
            bytes,
            outcome,
        } => {
            let why = match &outcome {
                Outcome::Rejected(r) => {
                    format!("{} {} ({})", r.status, r.reason, cause_text(&r.cause))
                }
                Outcome::Relayed { status, .. } => status.to_string(),
            };
            let sent = shared.to_client(flow, bytes).await.is_some();
            log::line(
                ROLE,
                format_args!(
                    "client={label} aor={} outcome=rejected reason={why}{}",
                    aor,
                    if sent { "" } else { " (client gone)" }
                ),
            );
        }
        Decision::NotRegister => {
            let msg = Message::parse(bytes.clone());
            let reply = msg.ok().and_then(|m| {
                Builder::response_to(
                    &m,
                    501,
                    &HeaderValue::from_static("Not Implemented Here"),
                    Some(&Token::from_static("ep")),
                )
                .ok()
                .map(Builder::finish)
            });
            if let Some(r) = reply {
                let _ = shared.to_client(flow, r).await;
            }
            log::line(
                ROLE,
                format_args!(
                    "client={label} aor={aor} outcome=refused reason=not a REGISTER (501)"
                ),
            );
        }
        Decision::Drop(reason) => log::line(
            ROLE,
            format_args!(
                "client={label} aor={aor} outcome=dropped reason={}",
                drop_text(&reason)
            ),
        ),
    }
}

/// One response from the core: relay it to the client flow its Via names.
async fn on_core_response(shared: &Shared, bytes: Bytes) {
    shared.tap(Hop::FromCore, &bytes);
    match shared.edge.on_response(bytes, SystemTime::now()) {
        Decision::Reply {
            flow,
            bytes,
            outcome,
        } => {
            let aor = aor_of(&bytes);
            let (status, detail) = match &outcome {
                Outcome::Relayed {
                    status,
                    registered: Some(r),
                } => (
                    *status,
                    format!(
                        " service-route={} bindings={}",
                        r.service_route.join(","),
                        r.contacts.len()
                    ),
                ),
                Outcome::Relayed { status, .. } => (*status, String::new()),
                Outcome::Rejected(r) => (r.status, String::new()),
            };
            match shared.to_client(flow, bytes).await {
                Some(label) => log::line(
                    ROLE,
                    format_args!(
                        "client={label} aor={aor} outcome=relayed reason=core answered {status}{detail}"
                    ),
                ),
                None => log::line(
                    ROLE,
                    format_args!(
                        "client=flow:{} aor={aor} outcome=dropped reason=client gone (core answered {status})",
                        flow.0
                    ),
                ),
            }
        }
        Decision::Drop(DropReason::HopByHop) => {}
        Decision::Drop(reason) => log::line(
            ROLE,
            format_args!(
                "client=core aor=- outcome=dropped reason={}",
                drop_text(&reason)
            ),
        ),
        Decision::Forward { .. } | Decision::NotRegister => {}
    }
}

async fn ws_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let s = shared.clone();
        tokio::spawn(async move { ws_connection(s, stream, peer).await });
    }
}

async fn ws_connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let label = format!("ws:{peer}");
    let (ws, token) = match ws::accept(stream).await {
        Ok(x) => x,
        Err(e) => {
            log::line(
                ROLE,
                format_args!("client={label} aor=- outcome=refused reason={e}"),
            );
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
    let flow = shared.new_flow(Route::Stream {
        label: label.clone(),
        tx,
    });
    let writer = tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            // RFC 7118 section 5.1: UTF-8 messages go in text frames.
            let m = match String::from_utf8(b.to_vec()) {
                Ok(t) => WsMessage::text(t),
                Err(e) => WsMessage::binary(e.into_bytes()),
            };
            if sink.send(m).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(m)) = source.next().await {
        let bytes = match m {
            WsMessage::Text(t) => Bytes::copy_from_slice(t.as_bytes()),
            WsMessage::Binary(b) => b,
            WsMessage::Close(_) => break,
            _ => continue,
        };
        on_client_request(
            &shared,
            bytes,
            flow,
            peer,
            Transport::Ws,
            token.as_deref(),
            &label,
        )
        .await;
    }
    shared.drop_flow(flow);
    writer.abort();
}

async fn tcp_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let s = shared.clone();
        tokio::spawn(async move { tcp_connection(s, stream, peer).await });
    }
}

async fn tcp_connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let label = format!("tcp:{peer}");
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
    let pong = tx.clone();
    let flow = shared.new_flow(Route::Stream {
        label: label.clone(),
        tx,
    });
    let writer = tokio::spawn(write_all_from(wr, rx));
    let mut reader = SipReader::new(rd);
    loop {
        match reader.next().await {
            Ok(Some(Item::Message(b))) => {
                on_client_request(&shared, b, flow, peer, Transport::Tcp, None, &label).await;
            }
            Ok(Some(Item::Ping)) => {
                let _ = pong.try_send(Bytes::from_static(b"\r\n"));
            }
            Ok(None) => break,
            Err(e) => {
                log::line(
                    ROLE,
                    format_args!("client={label} aor=- outcome=closed reason=framing: {e}"),
                );
                break;
            }
        }
    }
    shared.drop_flow(flow);
    drop(pong);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
}

async fn client_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        // Keep-alives (RFC 5626 section 4.4.1 uses STUN on UDP; bare CRLFs are ignored).
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        let flow = shared.udp_flow(peer);
        let label = format!("udp:{peer}");
        on_client_request(&shared, bytes, flow, peer, Transport::Udp, None, &label).await;
    }
}

async fn core_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, _)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        on_core_response(&shared, Bytes::copy_from_slice(&buf[..n])).await;
    }
}

/// The TCP link to the core: connected on first use and again after a failure; responses
/// come back on the same connection (RFC 3261 18.2.2).
async fn core_tcp_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Bytes>, to: SocketAddr) {
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
                                    on_core_response(&s, b).await;
                                }
                            }
                        });
                        conn = Some((wr, reader));
                    }
                    _ => {
                        log::line(
                            ROLE,
                            format_args!(
                                "client=core aor=- outcome=lost reason=cannot connect to {to}"
                            ),
                        );
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
