//! The WebSocket side of the example eP-CSCF, seen by a WebSocket client: the close
//! handshake (RFC 6455 7.1.2, a clean 1000 both ways), Ping answered with Pong (5.5.2),
//! the SIP keep-alive of RFC 5626 4.4.1 over WebSocket (a message holding CRLFCRLF is
//! answered with one holding CRLF, as SIP.js expects with `keepAliveInterval`), and the
//! graceful stop (Close 1001 going away, after which the client's registration ends).

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::tokens::{Claims, Signer};
use common::wic_client::Wic;
use common::ws;
use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "websocket-secret-of-32-bytes-min";
const LIMIT: Duration = Duration::from_secs(10);

struct Setup {
    server: EdgeServer,
    ws: SocketAddr,
    _core: JoinSet<()>,
}

async fn setup() -> Setup {
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
    Setup {
        server: started.server,
        ws: started.ws.unwrap(),
        _core: core.tasks,
    }
}

fn token(user: &str) -> String {
    let c = Claims::for_user(
        user,
        HOME,
        ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(600),
    );
    Signer::hs256(SECRET.as_bytes(), "w-1").mint(&c).unwrap()
}

/// The next message from the server, within [`LIMIT`]; `None` at the end of the stream.
async fn next(c: &mut ws::ClientWs) -> Option<Message> {
    tokio::time::timeout(LIMIT, c.next())
        .await
        .expect("timed out")
        .map(|m| m.expect("a WebSocket error"))
}

#[tokio::test]
async fn a_client_close_is_answered_with_close_1000() {
    let s = setup().await;
    let mut c = ws::connect(&format!("ws://{}/", s.ws), None).await.unwrap();
    c.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    match next(&mut c).await {
        Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::Normal),
        other => panic!("expected the server's Close 1000, got {other:?}"),
    }
    // Then the server closes the TCP connection (RFC 6455 7.1.1): the stream ends.
    assert!(next(&mut c).await.is_none());
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong() {
    let s = setup().await;
    let mut c = ws::connect(&format!("ws://{}/", s.ws), None).await.unwrap();
    c.send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .unwrap();
    match next(&mut c).await {
        Some(Message::Pong(p)) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected a Pong, got {other:?}"),
    }
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_double_crlf_keep_alive_is_answered_with_a_crlf_and_the_flow_stays() {
    let s = setup().await;
    let url = format!("ws://{}/", s.ws);
    let mut wic = Wic::connect(&url, "carol", HOME, None).await.unwrap();
    let ok = wic.register(Some(&token("carol")), 600).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    wic.close().await;

    let mut c = ws::connect(&url, None).await.unwrap();
    for _ in 0..3 {
        c.send(Message::text("\r\n\r\n")).await.unwrap();
        match next(&mut c).await {
            Some(Message::Text(t)) => assert_eq!(t.as_str(), "\r\n"),
            other => panic!("expected a CRLF pong, got {other:?}"),
        }
    }
    // A lone CRLF (a pong from the client) is not answered, nor taken for a message.
    c.send(Message::text("\r\n")).await.unwrap();
    c.send(Message::Ping(b"after".to_vec().into()))
        .await
        .unwrap();
    match next(&mut c).await {
        Some(Message::Pong(p)) => assert_eq!(&p[..], b"after"),
        other => panic!("expected only the Pong, got {other:?}"),
    }
    s.server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_websockets_with_1001_and_waits_for_the_client() {
    let s = setup().await;
    let url = format!("ws://{}/", s.ws);
    let mut c = ws::connect(&url, None).await.unwrap();
    // The connection is served before the stop begins.
    c.send(Message::text("\r\n\r\n")).await.unwrap();
    assert!(matches!(next(&mut c).await, Some(Message::Text(_))));

    let started = Instant::now();
    let stop = tokio::spawn(s.server.shutdown());
    match next(&mut c).await {
        Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::Away),
        other => panic!("expected Close 1001, got {other:?}"),
    }
    // Reading on sends the client's echo; then the server's end closes.
    assert!(next(&mut c).await.is_none());
    tokio::time::timeout(LIMIT, stop).await.unwrap().unwrap();
    // The client answered at once, so no close timeout ran out.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // No new connections once stopped.
    assert!(ws::connect(&url, None).await.is_err());
}
