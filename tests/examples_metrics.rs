//! The example eP-CSCF's metrics: after one admitted and one refused registration, a
//! scrape of `/metrics` (Prometheus text format) shows them counted, and the gauges show
//! the live flow and the registration the edge holds.

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::tokens::{Claims, Signer};
use common::wic_client::Wic;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "metrics-secret-of-32-bytes-at-mi";

fn token(user: &str, secret: &str) -> String {
    let c = Claims::for_user(
        user,
        HOME,
        ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(600),
    );
    Signer::hs256(secret.as_bytes(), "m-1").mint(&c).unwrap()
}

/// `GET path` on `addr`: the status line and the body.
async fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut c = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n\r\n");
    c.write_all(req.as_bytes()).await.unwrap();
    let mut all = String::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut all))
        .await
        .unwrap()
        .unwrap();
    let (head, body) = all.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The value of the sample named exactly `name` (with its labels).
fn sample(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

async fn start() -> (EdgeServer, SocketAddr, JoinSet<()>) {
    let core = lab::core(HOME, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let core_addr = core.addr.to_string();
    let args = [
        "--ws-listen",
        "127.0.0.1:0",
        "--udp-listen",
        "off",
        "--tcp-listen",
        "off",
        "--core",
        &core_addr,
        "--allow-insecure-transport",
        "true",
        "--hmac-secret",
        SECRET,
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
    ];
    let started = lab::edge(&args, None).await.unwrap();
    (started.server, started.ws.unwrap(), core.tasks)
}

#[tokio::test]
async fn a_scrape_counts_admitted_refused_and_relayed() {
    let (mut server, ws, _core) = start().await;
    let metrics = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics.local_addr().unwrap();
    server.serve_metrics(metrics);

    let url = format!("ws://{ws}/");
    let mut bob = Wic::connect(&url, "bob", HOME, None).await.unwrap();
    let ok = bob
        .register(Some(&token("bob", SECRET)), 600)
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    let mut eve = Wic::connect(&url, "eve", HOME, None).await.unwrap();
    let forged = token("eve", "not-the-secret-of-32-bytes-at-mi");
    let refused = eve.register(Some(&forged), 600).await.unwrap();
    assert_eq!(refused.status, 401, "{}", refused.text);
    eve.close().await;
    // The edge sees eve's connection close on its own time.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, body) = get(metrics_addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(sample(&body, "epcscf_admitted_total"), Some(1.0), "{body}");
    assert_eq!(
        sample(&body, "epcscf_refused_total{cause=\"Invalid\"}"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(sample(&body, "epcscf_relayed_total"), Some(1.0), "{body}");
    assert_eq!(sample(&body, "epcscf_registrations"), Some(1.0), "{body}");
    assert_eq!(sample(&body, "epcscf_flows"), Some(1.0), "{body}");
    assert_eq!(
        sample(&body, "epcscf_request_decision_seconds_count"),
        Some(2.0),
        "{body}"
    );
    // The token is never a label or a value.
    assert!(!body.contains(&forged[..20]));

    let (status, _) = get(metrics_addr, "/other").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    bob.close().await;
    server.shutdown().await;
}
