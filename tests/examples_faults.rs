//! Faults toward the core are answered, not swallowed: with the S-CSCF stopped and
//! started again under traffic over a TCP core link, every REGISTER a client sends gets
//! a final answer, 200 from the core or the edge's own 503 Service Unavailable with
//! Retry-After (RFC 3261 21.5.4, 20.33), and the link comes back by itself.

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::stream::{Item, SipReader};
use common::tokens::{Claims, Signer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "faults-secret-of-32-bytes-at-min";
/// REGISTERs sent, one client connection each.
const CLIENTS: usize = 50;
/// Time between two clients' REGISTERs.
const SPACING: Duration = Duration::from_millis(40);
/// How long a client waits for its final answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Starts the stand-in S-CSCF on `addr` (UDP and TCP on one port).
async fn start_core(addr: SocketAddr) -> JoinSet<()> {
    lab::core(HOME, addr, true).await.unwrap().tasks
}

async fn start_edge(core: SocketAddr) -> (EdgeServer, SocketAddr) {
    start_edge_over(core, "tcp").await
}

async fn start_edge_over(core: SocketAddr, transport: &str) -> (EdgeServer, SocketAddr) {
    let core = core.to_string();
    let args = [
        "--ws-listen",
        "off",
        "--udp-listen",
        "off",
        "--tcp-listen",
        "127.0.0.1:0",
        "--core",
        &core,
        "--core-transport",
        transport,
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
    (started.server, started.tcp.unwrap())
}

fn register(user: &str) -> String {
    let c = Claims::for_user(
        user,
        HOME,
        ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(600),
    );
    let t = Signer::hs256(SECRET.as_bytes(), "k-1").mint(&c).unwrap();
    format!(
        "REGISTER sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK{user}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{user}@{HOME}>;tag=a\r\nTo: <sip:{user}@{HOME}>\r\n\
         Call-ID: {user}\r\nCSeq: 1 REGISTER\r\nContact: <sip:{user}@127.0.0.1:1;transport=tcp>\r\n\
         Expires: 300\r\nAuthorization: Bearer {t}\r\nContent-Length: 0\r\n\r\n"
    )
}

/// One client: sends a REGISTER and returns the final answer's status and text, or
/// `None` when none came.
async fn client(edge: SocketAddr, user: String) -> Option<(u16, String)> {
    let mut conn = TcpStream::connect(edge).await.ok()?;
    conn.write_all(register(&user).as_bytes()).await.ok()?;
    let (rd, _wr) = conn.into_split();
    let mut reader = SipReader::new(rd);
    let answer = async {
        while let Ok(Some(item)) = reader.next().await {
            let Item::Message(m) = item else { continue };
            let text = String::from_utf8_lossy(&m).into_owned();
            let status: u16 = text.get(8..11)?.parse().ok()?;
            if status >= 200 {
                return Some((status, text));
            }
        }
        None
    };
    tokio::time::timeout(ANSWER_WITHIN, answer).await.ok()?
}

#[tokio::test]
async fn every_register_is_answered_while_the_core_stops_and_starts() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let core_addr = probe.local_addr().unwrap();
    drop(probe);
    let mut core = Some(start_core(core_addr).await);
    let (server, edge) = start_edge(core_addr).await;
    // Give the link its first connection.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut clients = JoinSet::new();
    for i in 0..CLIENTS {
        clients.spawn(client(edge, format!("user{i}")));
        match i {
            // The core stops with REGISTERs in flight toward it...
            15 => {
                if let Some(mut c) = core.take() {
                    c.abort_all();
                    while c.join_next().await.is_some() {}
                }
            }
            // ... and comes back on the same address.
            25 => core = Some(start_core(core_addr).await),
            _ => {}
        }
        tokio::time::sleep(SPACING).await;
    }

    let (mut ok, mut unavailable, mut other, mut lost) = (0, 0, 0, 0);
    while let Some(r) = clients.join_next().await {
        match r.unwrap() {
            Some((200, _)) => ok += 1,
            Some((503, text)) => {
                assert!(text.contains("\r\nRetry-After: "), "{text}");
                unavailable += 1;
            }
            Some((status, text)) => {
                eprintln!("unexpected {status}: {text}");
                other += 1;
            }
            None => lost += 1,
        }
    }
    eprintln!("200: {ok}, 503: {unavailable}, other: {other}, unanswered: {lost}");
    assert_eq!(lost, 0, "every REGISTER gets an answer");
    assert_eq!(other, 0);
    assert_eq!(ok + unavailable, CLIENTS);
    assert!(unavailable > 0, "the outage was answered with 503");
    assert!(
        ok > 15,
        "the link came back after the restart: {ok} registered"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_core_that_never_answers_the_connection_gets_503() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = probe.local_addr().unwrap();
    drop(probe);
    let (server, edge) = start_edge(nowhere).await;
    let (status, text) = client(edge, "alice".into()).await.expect("an answer");
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("\r\nRetry-After: 5\r\n"), "{text}");
    assert!(text.contains("\r\nCall-ID: alice\r\n"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_core_over_udp_is_answered_for_with_503() {
    // A bound socket that never answers: the datagrams arrive and nothing comes back.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (server, edge) = start_edge_over(silent.local_addr().unwrap(), "udp").await;
    let started = std::time::Instant::now();
    let (status, text) = client(edge, "dave".into()).await.expect("an answer");
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("\r\nRetry-After: 5\r\n"), "{text}");
    // After the edge's wait for the core, well before the client's Timer F (32 s).
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(7), "{waited:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_on_a_core_connection_that_is_lost_gets_503_at_once() {
    // A core that takes the edge's connection, reads one request and closes it unanswered.
    let core = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let core_addr = core.local_addr().unwrap();
    let fake = tokio::spawn(async move {
        let (conn, _) = core.accept().await.unwrap();
        let mut reader = SipReader::new(conn);
        while let Ok(Some(item)) = reader.next().await {
            if matches!(item, Item::Message(_)) {
                break;
            }
        }
        // Dropping the reader closes the connection with the REGISTER unanswered.
    });
    let (server, edge) = start_edge(core_addr).await;
    let started = std::time::Instant::now();
    let (status, text) = client(edge, "erin".into()).await.expect("an answer");
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("\r\nCall-ID: erin\r\n"), "{text}");
    // From the lost connection, not from the wait for an answer.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    fake.await.unwrap();
    server.shutdown().await;
}
