//! The server's counters, gauges and histogram, in Prometheus text format
//! (`prometheus-client`), served on `GET /metrics` by [`serve_metrics`]: a small HTTP/1.1
//! responder, one request per connection, as a scraper needs nothing more.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Shared;

/// Labels of a counter family: one `name=value` pair.
type Labels = Vec<(String, String)>;

/// Every metric of the server, registered once.
pub(super) struct Metrics {
    registry: Registry,
    admitted: Counter,
    refused: Family<Labels, Counter>,
    relayed: Counter,
    dropped: Family<Labels, Counter>,
    forwarded: Family<Labels, Counter>,
    flows: Gauge,
    registrations: Gauge,
    decision: Histogram,
}

impl Metrics {
    /// Registers every metric under the `epcscf` prefix.
    pub(super) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("epcscf");
        let admitted = Counter::default();
        let refused = Family::<Labels, Counter>::default();
        let relayed = Counter::default();
        let dropped = Family::<Labels, Counter>::default();
        let forwarded = Family::<Labels, Counter>::default();
        let flows = Gauge::default();
        let registrations = Gauge::default();
        // 1 us to about 0.5 s: a JWT check takes tens of microseconds, a slow validator
        // far more.
        let decision = Histogram::new(exponential_buckets(1e-6, 2.0, 20));
        registry.register(
            "admitted",
            "REGISTERs admitted by token and forwarded to the core",
            admitted.clone(),
        );
        registry.register(
            "refused",
            "requests the edge answered itself with an error, by cause",
            refused.clone(),
        );
        registry.register(
            "relayed",
            "responses of the core relayed to a client",
            relayed.clone(),
        );
        registry.register(
            "dropped",
            "messages dropped without an answer, by reason",
            dropped.clone(),
        );
        registry.register(
            "forwarded",
            "requests sent on, by direction (originating: client to core; terminating: core to client)",
            forwarded.clone(),
        );
        registry.register("flows", "open client flows", flows.clone());
        registry.register(
            "registrations",
            "registrations the edge holds",
            registrations.clone(),
        );
        registry.register(
            "request_decision_seconds",
            "time the edge took to decide on a client request, token validation included",
            decision.clone(),
        );
        Metrics {
            registry,
            admitted,
            refused,
            relayed,
            dropped,
            forwarded,
            flows,
            registrations,
            decision,
        }
    }

    /// A REGISTER was admitted.
    pub(super) fn admitted(&self) {
        self.admitted.inc();
    }

    /// The edge answered a request itself for `cause`.
    pub(super) fn refused(&self, cause: &str) {
        self.refused
            .get_or_create(&vec![("cause".to_owned(), cause.to_owned())])
            .inc();
    }

    /// A core response reached its client.
    pub(super) fn relayed(&self) {
        self.relayed.inc();
    }

    /// A message was dropped for `reason`.
    pub(super) fn dropped(&self, reason: &str) {
        self.dropped
            .get_or_create(&vec![("reason".to_owned(), reason.to_owned())])
            .inc();
    }

    /// A request went on toward `direction` (`originating` or `terminating`).
    pub(super) fn forwarded(&self, direction: &str) {
        self.forwarded
            .get_or_create(&vec![("direction".to_owned(), direction.to_owned())])
            .inc();
    }

    /// The edge took `d` to decide on a client request.
    pub(super) fn decided(&self, d: Duration) {
        self.decision.observe(d.as_secs_f64());
    }

    /// The text exposition, gauges read now.
    fn render(&self, flows: usize, registrations: usize) -> String {
        self.flows.set(i64::try_from(flows).unwrap_or(i64::MAX));
        self.registrations
            .set(i64::try_from(registrations).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// A low-cardinality label for an error value: its variant name (`Invalid`, not the
/// text, which may carry per-request detail).
pub(super) fn variant(e: &impl Debug) -> String {
    let text = format!("{e:?}");
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Serves `GET /metrics` on `listener` until the server stops.
pub(super) async fn serve_metrics(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let s = shared.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), scrape(&s, stream)).await;
        });
    }
}

/// Answers one HTTP request: the metrics for `GET /metrics`, 404 for anything else.
async fn scrape(shared: &Shared, mut stream: TcpStream) {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // The request head only; a scraper sends no body with GET.
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.len() > 16 * 1024 {
            return;
        }
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, path) = (parts.next(), parts.next());
    let path = path.map(|p| p.split(|&b| b == b'?').next().unwrap_or_default());
    let (status, kind, body) = if method == Some(b"GET") && path == Some(b"/metrics") {
        let body = shared
            .metrics
            .render(shared.flows.len(), shared.edge.registrations());
        (
            "200 OK",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            body,
        )
    } else {
        ("404 Not Found", "text/plain", "not found\n".to_owned())
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}
