//! A small tokio host for the sans-IO edge, shared by the sipp call scenarios and the
//! scale-out test: UDP and TCP client listeners (one flow per UDP peer, one per TCP
//! connection), one link to the core (UDP, or a TCP connection made on first use), and
//! the loop that hands bytes to the [`Edge`] entry points and carries out what they
//! decide:
//! - client requests: `on_request` (REGISTER, and every other request by the originating
//!   procedure of TS 24.229 5.2.6);
//! - client responses to requests the core sent: `on_client_response`;
//! - core responses: `on_response`;
//! - core requests (terminating, RFC 5626 5.3): `on_core_request`; its own answers
//!   (430 Flow Failed, ...) go back to where the request came from;
//! - a closed TCP connection: `flow_closed`.
//!
//! The host depends on the library only (not on the example programs), so a test of the
//! protocol does not wait on the examples' transport code; `example` starts the example
//! programs' server instead, for the same tests. Every hop is written to a log that the
//! tests print when they fail.

#![allow(dead_code)]

/// Needs the examples' `common` module at the root of the test crate.
pub mod example;
pub mod scscf;
pub mod sip;
pub mod token;
pub mod ua;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sip_oauth::edge::{
    Config, CoreRequestDecision, Edge, FlowId, Inbound, RequestDecision, ResponseDecision,
    Transport,
};
use sip_oauth::message::{Frame, Limits, frame};
use sip_oauth::validate::JwtValidator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
pub const ISSUER: &str = "https://waf.example";
pub const AUDIENCE: &str = "epcscf.visited.example";
pub const SECRET: &str = "interop-secret-of-at-least-32-bytes";

/// How one edge instance is set up.
#[derive(Clone, Debug)]
pub struct EdgeSetup {
    /// A name for the log (`edge1`, ...).
    pub name: String,
    /// Where the core is.
    pub core: SocketAddr,
    /// Whether the core is reached over TCP (else UDP).
    pub core_tcp: bool,
    /// Local address of the core-facing UDP socket; a restarted instance binds the same
    /// one so that the Path URIs it wrote before still reach it.
    pub core_bind: SocketAddr,
    /// The flow key: instances behind one core share it.
    pub flow_key: Vec<u8>,
    /// The instance epoch: drawn anew at every start.
    pub epoch: u64,
}

impl EdgeSetup {
    /// An instance named `name` in front of a UDP core at `core`, with any local port.
    pub fn new(name: &str, core: SocketAddr) -> EdgeSetup {
        EdgeSetup {
            name: name.to_owned(),
            core,
            core_tcp: false,
            core_bind: "127.0.0.1:0".parse().unwrap(),
            flow_key: b"interop-flow-key-0123456789abcdef".to_vec(),
            epoch: 1,
        }
    }
}

/// The record of every hop, shared by the host's tasks.
#[derive(Clone, Default)]
pub struct HopLog(Arc<Mutex<Vec<String>>>);

impl HopLog {
    pub fn push(&self, line: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(line);
        }
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The log as one text, for a failure message.
    pub fn dump(&self) -> String {
        self.lines().join("\n")
    }
}

/// Whether `bytes` are a response (they start with `SIP/`, RFC 3261 7.2); the rest are
/// requests or noise for the request entry points to refuse.
pub fn is_response(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"SIP/")
}

/// The first line of a message, for the log.
pub fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// How to reach the client behind a flow.
#[derive(Clone)]
enum Route {
    Udp(SocketAddr),
    Stream(mpsc::Sender<Bytes>),
}

#[derive(Default)]
struct Flows {
    routes: Mutex<HashMap<FlowId, Route>>,
    udp: Mutex<HashMap<SocketAddr, FlowId>>,
    next: AtomicU64,
}

impl Flows {
    fn open(&self, route: Route) -> FlowId {
        let flow = FlowId(self.next.fetch_add(1, Ordering::Relaxed) + 1);
        self.routes.lock().unwrap().insert(flow, route);
        flow
    }

    fn udp(&self, peer: SocketAddr) -> FlowId {
        if let Some(f) = self.udp.lock().unwrap().get(&peer) {
            return *f;
        }
        let flow = self.open(Route::Udp(peer));
        self.udp.lock().unwrap().insert(peer, flow);
        flow
    }

    fn close(&self, flow: FlowId) {
        self.routes.lock().unwrap().remove(&flow);
    }

    fn route(&self, flow: FlowId) -> Option<Route> {
        self.routes.lock().unwrap().get(&flow).cloned()
    }
}

/// Where a message from the core came from, for the edge's own answers to it.
#[derive(Clone)]
enum CoreSource {
    Udp(SocketAddr),
    Tcp(mpsc::Sender<Bytes>),
}

struct Shared {
    name: String,
    edge: Edge,
    flows: Flows,
    client_udp: Arc<UdpSocket>,
    core_udp: Option<Arc<UdpSocket>>,
    core_tcp: Option<mpsc::Sender<Bytes>>,
    core: SocketAddr,
    log: HopLog,
    /// Tasks spawned per connection, stopped with the instance.
    spawned: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// One running edge instance. Dropping it stops every task (sockets close once the
/// runtime has dropped them); [`EdgeHost::shutdown`] waits for that.
pub struct EdgeHost {
    tasks: JoinSet<()>,
    shared: Arc<Shared>,
    /// The UDP client listener.
    pub udp: SocketAddr,
    /// The TCP client listener.
    pub tcp: SocketAddr,
    /// The core-facing UDP socket (or, with a TCP core, the TCP listener): the host part
    /// of the edge's Via, Path and Record-Route.
    pub core_side: SocketAddr,
    pub setup: EdgeSetup,
}

/// The validator every instance uses: HS256 tokens of [`ISSUER`] for [`AUDIENCE`] with
/// scope `sip`, signed with [`SECRET`].
pub fn validator() -> JwtValidator {
    use sip_oauth::validate::JwtConfig;
    use sip_oauth::validate::jwt::{Algorithm, KeySource};
    JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(SECRET.as_bytes().to_vec()))
            .algorithms([Algorithm::HS256])
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .required_scope("sip"),
    )
    .expect("validator")
}

impl EdgeHost {
    /// Binds the sockets of `setup` and starts serving.
    pub async fn start(setup: EdgeSetup) -> EdgeHost {
        let client_udp = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let core_udp = if setup.core_tcp {
            None
        } else {
            Some(Arc::new(bind_udp_retrying(setup.core_bind).await))
        };
        let udp_addr = client_udp.local_addr().unwrap();
        let tcp_addr = tcp.local_addr().unwrap();
        let core_side = match &core_udp {
            Some(s) => s.local_addr().unwrap(),
            None => tcp_addr,
        };
        let config = Config::new(HOME, &core_side.to_string(), &setup.flow_key)
            .unwrap()
            .allow_insecure_transport(true)
            .epoch(setup.epoch)
            .core_transport(if setup.core_tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            });
        let edge = Edge::new(config, validator());
        let mut tasks = JoinSet::new();
        let (core_tcp_tx, core_tcp_rx) = if setup.core_tcp {
            let (tx, rx) = mpsc::channel::<Bytes>(256);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let shared = Arc::new(Shared {
            name: setup.name.clone(),
            edge,
            flows: Flows::default(),
            client_udp: client_udp.clone(),
            core_udp: core_udp.clone(),
            core_tcp: core_tcp_tx,
            core: setup.core,
            log: HopLog::default(),
            spawned: Mutex::new(Vec::new()),
        });
        tasks.spawn(client_udp_loop(shared.clone()));
        tasks.spawn(client_tcp_accept(shared.clone(), tcp));
        if let Some(sock) = core_udp {
            tasks.spawn(core_udp_loop(shared.clone(), sock));
        }
        if let Some(rx) = core_tcp_rx {
            tasks.spawn(core_tcp_loop(shared.clone(), rx));
        }
        EdgeHost {
            tasks,
            shared,
            udp: udp_addr,
            tcp: tcp_addr,
            core_side,
            setup,
        }
    }

    /// The edge itself (for its registration count).
    pub fn edge(&self) -> &Edge {
        &self.shared.edge
    }

    /// The hop log.
    pub fn log(&self) -> HopLog {
        self.shared.log.clone()
    }

    /// Stops every task and waits until they are gone (their sockets closed).
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        let spawned = std::mem::take(&mut *self.shared.spawned.lock().unwrap());
        for t in &spawned {
            t.abort();
        }
        for t in spawned {
            let _ = t.await;
        }
    }
}

/// Binds `addr`, retrying a little while a socket just closed there lets go of it.
async fn bind_udp_retrying(addr: SocketAddr) -> UdpSocket {
    let mut last = None;
    for _ in 0..50 {
        match UdpSocket::bind(addr).await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("cannot bind {addr}: {last:?}");
}

impl Shared {
    /// Spawns a task that stops with the instance.
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        let mut v = self.spawned.lock().unwrap();
        v.retain(|t| !t.is_finished());
        v.push(handle);
    }

    fn note(&self, hop: &str, bytes: &[u8]) {
        self.log
            .push(format!("{} {hop}: {}", self.name, first_line(bytes)));
    }

    async fn to_client(&self, flow: FlowId, bytes: Bytes) -> bool {
        self.note(&format!("-> client flow {}", flow.0), &bytes);
        match self.flows.route(flow) {
            Some(Route::Udp(peer)) => self.client_udp.send_to(&bytes, peer).await.is_ok(),
            Some(Route::Stream(tx)) => tx.try_send(bytes).is_ok(),
            None => {
                self.log
                    .push(format!("{} flow {} is gone", self.name, flow.0));
                false
            }
        }
    }

    async fn to_core(&self, bytes: Bytes) {
        self.note("-> core", &bytes);
        if let Some(sock) = &self.core_udp {
            let _ = sock.send_to(&bytes, self.core).await;
        } else if let Some(tx) = &self.core_tcp {
            let _ = tx.try_send(bytes);
        }
    }

    async fn back_to_core(&self, source: &CoreSource, bytes: Bytes) {
        self.note("-> core (own answer)", &bytes);
        match source {
            CoreSource::Udp(peer) => {
                if let Some(sock) = &self.core_udp {
                    let _ = sock.send_to(&bytes, peer).await;
                }
            }
            CoreSource::Tcp(tx) => {
                let _ = tx.try_send(bytes);
            }
        }
    }

    /// One message from a client flow.
    async fn on_client_bytes(
        &self,
        bytes: Bytes,
        flow: FlowId,
        peer: SocketAddr,
        transport: Transport,
    ) {
        self.note(&format!("<- client flow {}", flow.0), &bytes);
        if is_response(&bytes) {
            let inbound = self.inbound(flow, peer, transport);
            match self.edge.on_client_response(bytes, &inbound) {
                ResponseDecision::ToCore { bytes, .. } => self.to_core(bytes).await,
                ResponseDecision::Relay { bytes, .. } => {
                    self.note("unexpected relay of a client response", &bytes)
                }
                ResponseDecision::Drop(reason) => self
                    .log
                    .push(format!("{} dropped client response: {reason}", self.name)),
            }
            return;
        }
        let inbound = self.inbound(flow, peer, transport);
        match self.edge.on_request(bytes, &inbound) {
            RequestDecision::Forward { bytes, .. } | RequestDecision::Originate { bytes, .. } => {
                self.to_core(bytes).await
            }
            RequestDecision::Reply { flow, bytes, .. } => {
                let _ = self.to_client(flow, bytes).await;
            }
            RequestDecision::Pending(_) => self
                .log
                .push(format!("{} pending verdict (not expected)", self.name)),
            RequestDecision::Drop(reason) => self
                .log
                .push(format!("{} dropped client request: {reason}", self.name)),
        }
    }

    /// One message from the core.
    async fn on_core_bytes(&self, bytes: Bytes, source: CoreSource) {
        self.note("<- core", &bytes);
        let now = SystemTime::now();
        if is_response(&bytes) {
            match self.edge.on_response(bytes, now) {
                ResponseDecision::Relay { flow, bytes, .. } => {
                    let _ = self.to_client(flow, bytes).await;
                }
                ResponseDecision::ToCore { bytes, .. } => {
                    self.note("unexpected core-bound core response", &bytes)
                }
                ResponseDecision::Drop(reason) => self
                    .log
                    .push(format!("{} dropped core response: {reason}", self.name)),
            }
            return;
        }
        match self.edge.on_core_request(bytes, now) {
            CoreRequestDecision::Deliver { flow, bytes } => {
                let _ = self.to_client(flow, bytes).await;
            }
            CoreRequestDecision::Reply { bytes, .. } => self.back_to_core(&source, bytes).await,
            CoreRequestDecision::Drop(reason) => self
                .log
                .push(format!("{} dropped core request: {reason}", self.name)),
        }
    }

    fn inbound(&self, flow: FlowId, peer: SocketAddr, transport: Transport) -> Inbound<'static> {
        Inbound {
            flow,
            peer,
            transport,
            now: SystemTime::now(),
            secure_flow: false,
            transport_token: None,
        }
    }
}

async fn client_udp_loop(shared: Arc<Shared>) {
    let sock = shared.client_udp.clone();
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        let flow = shared.flows.udp(peer);
        shared
            .on_client_bytes(bytes, flow, peer, Transport::Udp)
            .await;
    }
}

async fn client_tcp_accept(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        shared.spawn(client_tcp_connection(shared.clone(), stream, peer));
    }
}

async fn client_tcp_connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let (mut rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let flow = shared.flows.open(Route::Stream(tx.clone()));
    let writer = tokio::spawn(write_all_from(wr, rx));
    let _stop_writer = AbortOnDrop(writer.abort_handle());
    let mut framer = Framer::default();
    'conn: loop {
        loop {
            match framer.next() {
                Ok(Some(Item::Message(b))) => {
                    shared.on_client_bytes(b, flow, peer, Transport::Tcp).await
                }
                Ok(Some(Item::Ping)) => {
                    let _ = tx.try_send(Bytes::from_static(b"\r\n"));
                }
                Ok(None) => break,
                Err(()) => break 'conn,
            }
        }
        if !framer.fill(&mut rd).await {
            break;
        }
    }
    shared.flows.close(flow);
    shared.edge.flow_closed(flow);
    shared
        .log
        .push(format!("{} flow {} closed", shared.name, flow.0));
}

/// Aborts a task when dropped (the connection task's writer goes with it).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn core_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        shared.on_core_bytes(bytes, CoreSource::Udp(peer)).await;
    }
}

/// The TCP link to the core: connected on first use (and again after a failure);
/// responses and the core's requests come back on the same connection.
async fn core_tcp_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Bytes>) {
    let mut conn: Option<(mpsc::Sender<Bytes>, tokio::sync::oneshot::Receiver<()>)> = None;
    while let Some(bytes) = rx.recv().await {
        let gone = match conn.as_mut() {
            None => true,
            Some((_, done)) => !matches!(
                done.try_recv(),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty)
            ),
        };
        if gone {
            let Ok(stream) = TcpStream::connect(shared.core).await else {
                shared.log.push(format!("{} core unreachable", shared.name));
                continue;
            };
            let (mut rd, wr) = stream.into_split();
            let (tx, wrx) = mpsc::channel::<Bytes>(256);
            shared.spawn(write_all_from(wr, wrx));
            let s = shared.clone();
            let back = tx.clone();
            let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
            shared.spawn(async move {
                let _done = done_tx;
                let mut framer = Framer::default();
                loop {
                    loop {
                        match framer.next() {
                            Ok(Some(Item::Message(b))) => {
                                s.on_core_bytes(b, CoreSource::Tcp(back.clone())).await
                            }
                            Ok(Some(Item::Ping)) => {
                                let _ = back.try_send(Bytes::from_static(b"\r\n"));
                            }
                            Ok(None) => break,
                            Err(()) => return,
                        }
                    }
                    if !framer.fill(&mut rd).await {
                        return;
                    }
                }
            });
            conn = Some((tx, done));
        }
        if let Some((tx, _)) = &conn {
            let _ = tx.send(bytes).await;
        }
    }
}

async fn write_all_from(mut wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(b) = rx.recv().await {
        if wr.write_all(&b).await.is_err() {
            break;
        }
    }
    let _ = wr.shutdown().await;
}

/// What the framer cut out of a stream.
pub enum Item {
    Message(Bytes),
    Ping,
}

/// Cuts SIP messages and keep-alives out of a byte stream with the library's framer.
#[derive(Default)]
pub struct Framer {
    buf: Vec<u8>,
    crlfs: usize,
}

impl Framer {
    /// The next whole item in the buffer; `Err` when the stream cannot be framed.
    pub fn next(&mut self) -> Result<Option<Item>, ()> {
        loop {
            match frame(&self.buf, &Limits::DEFAULT) {
                Ok(Frame::Complete(n)) => {
                    let msg = Bytes::copy_from_slice(&self.buf[..n]);
                    self.buf.drain(..n);
                    self.crlfs = 0;
                    return Ok(Some(Item::Message(msg)));
                }
                Ok(Frame::KeepAlive(n)) => {
                    self.buf.drain(..n);
                    self.crlfs += n;
                    if self.crlfs >= 4 {
                        self.crlfs = 0;
                        return Ok(Some(Item::Ping));
                    }
                }
                Ok(Frame::Partial) => return Ok(None),
                Err(_) => return Err(()),
            }
        }
    }

    /// Reads more bytes; `false` at the end of the stream or on an error.
    pub async fn fill<R: tokio::io::AsyncRead + Unpin>(&mut self, rd: &mut R) -> bool {
        let mut chunk = [0u8; 8192];
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}
