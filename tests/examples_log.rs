//! The example eP-CSCF's log: in JSON, one event per decision with the fields flow, peer,
//! msg, aor, impi, outcome and reason, and never the token. Alone in its test binary:
//! the subscriber is set for the test's thread, and a test running on another thread
//! at the same time could leave tracing's per-callsite cache saying nobody listens.

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::tokens::{Claims, Signer};
use common::wic_client::Wic;
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

/// A writer into a shared buffer, for the log test.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_json_log_has_one_event_per_decision_with_its_fields_and_no_token() {
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread: every task of the server logs here.
    let _default = tracing::subscriber::set_default(subscriber);
    let (server, ws, _core) = start().await;
    let mut bob = Wic::connect(&format!("ws://{ws}/"), "bob", HOME, None)
        .await
        .unwrap();
    let t = token("bob", SECRET);
    assert_eq!(bob.register(Some(&t), 600).await.unwrap().status, 200);
    bob.close().await;
    server.shutdown().await;

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(&t[..20]), "the token is never logged");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let forwarded: Vec<_> = events
        .iter()
        .filter(|e| e["outcome"] == "forwarded")
        .collect();
    assert_eq!(forwarded.len(), 1, "{text}");
    let e = forwarded[0];
    assert_eq!(e["target"], "epcscf");
    assert_eq!(e["flow"], "1");
    assert!(
        e["peer"].as_str().unwrap().starts_with("ws:127.0.0.1:"),
        "{e}"
    );
    assert_eq!(e["aor"], format!("sip:bob@{HOME}"));
    assert_eq!(e["impi"], format!("bob@{HOME}"));
    assert_eq!(e["msg"], "REGISTER");
    assert!(
        e["reason"].as_str().unwrap().starts_with("token valid"),
        "{e}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["outcome"] == "relayed" && e["flow"] == "1"),
        "{text}"
    );
}
