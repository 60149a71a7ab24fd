//! The whole flow in one process on loopback: a token issuer (WAF), two WebRTC clients
//! (WIC, alice and bob), the eP-CSCF edge and a stand-in S-CSCF.
//!
//! The clients reach the edge over `wss://` as a browser on an https page must: the demo
//! makes a self-signed certificate for 127.0.0.1 at start and the clients trust it (and
//! nothing else), so tokens travel only over TLS, as RFC 6750 5.3 asks.
//!
//! `cargo run --example demo` prints each message through the edge (first line and the
//! headers that matter) and one log line per hop from the edge and the S-CSCF. Bob
//! registers and refreshes; a forged and an expired token are refused; alice registers,
//! sends bob a MESSAGE and calls him (180, 200, ACK, BYE); a MESSAGE from a connection
//! that never registered and one with a spoofed From are refused; calls to an unknown and
//! to an offline user get 404 and 480; the WAF rotates its signing key and a registration
//! signed with the new key succeeds without a restart (the edge fetches the WAF's JWK Set
//! when a token names an unknown `kid`). Exits 0 only when every one of those came out as
//! described.

#[path = "common/mod.rs"]
mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::edge_server::{Bound, EdgeAddrs, EdgeServer, Hop, SecureAddrs, ServerTls, Tap};
use common::registrar::{self, Registrar};
use common::tls_certs::{self, SelfSigned};
use common::tokens::{Claims, DEMO_SECRET, Signer};
use common::wic_answer::Event;
use common::wic_client::{Final, Wic, random_id};
use sip_oauth::edge::{Config, Edge};
use sip_oauth::token::TokenLocation;
use sip_oauth::validate::{ByIssuer, JwtConfig, JwtValidator};
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
/// The issuer of the WAF whose keys the edge fetches over HTTP (step 11).
const LIVE_ISSUER: &str = "https://live.waf.example";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Headers worth showing on the registration messages, in the order they are printed.
const SHOWN_REGISTER: [&str; 9] = [
    "Via",
    "Authorization",
    "WWW-Authenticate",
    "Path",
    "Require",
    "Contact",
    "Expires",
    "Service-Route",
    "P-Associated-URI",
];
/// Headers worth showing on the other messages: where they are routed and who the
/// network says sent them.
const SHOWN_OTHER: [&str; 2] = ["Route", "P-Asserted-Identity"];

/// The Bearer token is shown only by its start and length.
fn redact(value: &str) -> String {
    match value.strip_prefix("Bearer ") {
        Some(t) => {
            let head: String = t.chars().take(8).collect();
            format!("Bearer {head}…({} bytes)", t.len())
        }
        None => value.to_owned(),
    }
}

fn print_message(hop: Hop, bytes: &[u8]) {
    let arrow = match hop {
        Hop::FromClient => "WIC     ──▶ eP-CSCF",
        Hop::ToCore => "eP-CSCF ──▶ S-CSCF ",
        Hop::FromCore => "S-CSCF  ──▶ eP-CSCF",
        Hop::ToClient => "eP-CSCF ──▶ WIC    ",
    };
    // Shown as text whatever it holds: this is a trace, not a parser.
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    println!("  {arrow}  {}", lines.next().unwrap_or(""));
    let headers: Vec<(String, &str)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    let register = headers
        .iter()
        .any(|(n, v)| n == "cseq" && v.ends_with("REGISTER"));
    let shown: &[&str] = if register {
        &SHOWN_REGISTER
    } else {
        &SHOWN_OTHER
    };
    for name in shown {
        let lower = name.to_ascii_lowercase();
        for (_, v) in headers.iter().filter(|(n, _)| *n == lower) {
            let v = if *name == "Authorization" {
                redact(v)
            } else {
                (*v).to_owned()
            };
            println!("  {:22} {name}: {v}", "");
        }
    }
}

fn step(title: &str) {
    println!("\n── {title} ──");
}

fn verdict(label: &str, result: &Result<Final, String>) {
    match result {
        Ok(f) if f.provisional.is_empty() => println!("  => {label}: {}", f.first_line()),
        Ok(f) => println!(
            "  => {label}: {} (after {:?})",
            f.first_line(),
            f.provisional
        ),
        Err(e) => println!("  => {label}: error: {e}"),
    }
}

/// The status of a final response, if one came.
fn status(r: &Result<Final, String>) -> Option<u16> {
    r.as_ref().map(|f| f.status).ok()
}

/// Waits for the next request `wic` received and tells whether `want` holds for it.
async fn received(wic: &mut Wic, want: impl Fn(&Event) -> bool) -> bool {
    match wic.next_event(Duration::from_secs(3)).await {
        Some(e) => {
            println!("  => {} received {e:?}", wic.identity().user);
            want(&e)
        }
        None => {
            println!("  => {} received nothing", wic.identity().user);
            false
        }
    }
}

/// One row of the RESULT line.
struct Check {
    what: &'static str,
    passed: bool,
    /// What went wrong, when it did.
    detail: String,
}

async fn run() -> Result<bool, String> {
    let err = |e: std::io::Error| e.to_string();
    // S-CSCF: trusts only the edge's address.
    let registrar = Arc::new(Registrar::new(HOME, vec![LOOPBACK]));
    let (udp, _) = registrar::bind(SocketAddr::new(LOOPBACK, 0), false)
        .await
        .map_err(err)?;
    let core = udp.local_addr().map_err(err)?;
    let mut core_tasks = JoinSet::new();
    registrar::serve(registrar.clone(), Some(udp), None, &mut core_tasks);

    // eP-CSCF: secure WebSocket for the WICs, UDP toward the S-CSCF. The certificate is
    // made now, for 127.0.0.1; the WICs trust exactly it.
    let cert = SelfSigned::loopback()?;
    let certs = ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .map_err(|e| e.to_string())?;
    let trust = tls_certs::trusting(cert.cert_pem.as_bytes())?;
    let bound = Bound::bind(EdgeAddrs {
        ws: None,
        udp: None,
        tcp: None,
        core,
        core_tcp: false,
        core_bind: SocketAddr::new(LOOPBACK, 0),
    })
    .await
    .map_err(err)?
    .bind_secure(
        SecureAddrs {
            tls: None,
            wss: Some(SocketAddr::new(LOOPBACK, 0)),
        },
        certs,
    )
    .await
    .map_err(err)?;
    let ws_url = format!(
        "wss://{}/",
        bound.wss_addr().ok_or("no secure WebSocket listener")?
    );
    let signer = Signer::hs256(DEMO_SECRET, "demo-1");
    let validator = JwtValidator::new(
        JwtConfig::new(signer.verification_source())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .required_scope("sip"),
    )
    .map_err(|e| e.to_string())?;
    let flow_key = random_id(32);
    let config = Config::new(HOME, &bound.default_edge_host(), flow_key.as_bytes())
        .map_err(|e| e.to_string())?
        // A new epoch at every start, so flow tokens do not outlive this run.
        .epoch(common::edge_setup::start_epoch() as u64)
        .token_location(TokenLocation::FirstOf(vec![
            TokenLocation::AuthorizationBearer,
            TokenLocation::Transport,
        ]));
    let gate = Arc::new(Mutex::new(()));
    let tap: Tap = Arc::new(move |hop, bytes| {
        // One message at a time on the terminal.
        let _g = gate.lock();
        print_message(hop, bytes);
    });
    // A second WAF publishing its JWK Set over HTTP: the edge fetches it at start and again
    // when a token names a key it lacks (step 11).
    let live_waf = common::waf_server::WafServer::start(
        SocketAddr::new(LOOPBACK, 0),
        common::waf_server::WafOptions {
            signer: Signer::es256_generated("live-1")?,
            max_age: Duration::from_secs(300),
            client: None,
        },
    )
    .await?;
    let (set, max_age) =
        common::jwks_fetch::fetch_set(&live_waf.jwks_url(), Duration::from_secs(5)).await?;
    let live = Arc::new(
        JwtValidator::new(
            JwtConfig::new(sip_oauth::validate::jwt::KeySource::Jwks(set))
                .issuer(LIVE_ISSUER)
                .audience(AUDIENCE)
                .required_scope("sip"),
        )
        .map_err(|e| e.to_string())?,
    );
    let fetcher = Arc::new(common::jwks_fetch::JwksFetcher::new(
        &live_waf.jwks_url(),
        live,
        max_age,
        Duration::from_millis(200),
    )?);
    let validator: Arc<dyn sip_oauth::validate::Validator> =
        Arc::new(ByIssuer::new().route(ISSUER, validator).route(
            LIVE_ISSUER,
            common::jwks_fetch::KeyRefreshing::new(Arc::clone(&fetcher)),
        ));
    let resolver = common::verdicts::Resolver::new(Arc::clone(&validator), Some(fetcher), None);
    let edge = EdgeServer::start_with(
        Edge::from_shared(Arc::new(config), validator),
        bound,
        Some(tap),
        Some(Arc::new(resolver)),
    );

    common::log::to_stdout("                         log ");
    common::log::tracing_to_stdout("                         log ");
    println!("sip-oauth demo: home domain {HOME}");
    println!(
        "  eP-CSCF listens on {ws_url} (subprotocol sip, self-signed certificate for \
         127.0.0.1), S-CSCF on udp:{core}"
    );

    let now = SystemTime::now();
    let claims = |user: &str, life: u64| {
        Claims::for_user(user, HOME, ISSUER, AUDIENCE, now, Duration::from_secs(life))
    };
    let aor = |user: &str| format!("sip:{user}@{HOME}");
    let bob_token = signer.mint(&claims("bob", 600))?;
    let alice_token = signer.mint(&claims("alice", 600))?;
    let mut checks = Vec::new();

    step("1. Bob registers with a valid HS256 access token from the WAF");
    let mut bob = Wic::connect_with(&ws_url, "bob", HOME, None, Some(trust.clone())).await?;
    let first = bob.register(Some(&bob_token), 600).await;
    verdict("registration", &first);

    step("2. Bob refreshes the registration with the same token");
    let refresh = bob.register(Some(&bob_token), 600).await;
    verdict("re-registration", &refresh);
    checks.push(Check {
        what: "registration",
        passed: status(&first) == Some(200)
            && first
                .as_ref()
                .is_ok_and(|f| f.text.contains("Service-Route:"))
            && status(&refresh) == Some(200),
        detail: String::new(),
    });

    step("3. Mallory presents a token signed with the wrong key (forged)");
    let forger = Signer::hs256(b"not-the-waf-secret-but-32-bytes!", "demo-1");
    let forged = forger.mint(&claims("bob", 600))?;
    let mut mallory = Wic::connect_with(&ws_url, "bob", HOME, None, Some(trust.clone())).await?;
    let forged_result = mallory.register(Some(&forged), 600).await;
    verdict("forged token", &forged_result);

    step("4. Carol presents an expired token");
    let mut old = claims("carol", 60);
    old.iat -= 7200;
    old.exp -= 7200;
    let expired = signer.mint(&old)?;
    let mut carol = Wic::connect_with(&ws_url, "carol", HOME, None, Some(trust.clone())).await?;
    let expired_result = carol.register(Some(&expired), 600).await;
    verdict("expired token", &expired_result);
    checks.push(Check {
        what: "forged and expired tokens refused with 401",
        passed: status(&forged_result) == Some(401) && status(&expired_result) == Some(401),
        detail: String::new(),
    });

    step("5. Alice registers");
    let mut alice = Wic::connect_with(&ws_url, "alice", HOME, None, Some(trust.clone())).await?;
    let alice_reg = alice.register(Some(&alice_token), 600).await;
    verdict("registration", &alice_reg);

    step("6. Alice sends Bob a MESSAGE");
    let sent = alice.message(&aor("bob"), "Hello Bob").await;
    verdict("MESSAGE", &sent);
    let got = received(&mut bob, |e| {
        matches!(e, Event::Message { from, body, .. } if *from == aor("alice") && body == "Hello Bob")
    })
    .await;
    checks.push(Check {
        what: "MESSAGE delivered",
        passed: status(&alice_reg) == Some(200) && status(&sent) == Some(200) && got,
        detail: String::new(),
    });

    step("7. Alice calls Bob: INVITE with an SDP offer, 180, 200, ACK, then BYE");
    let call = alice.call(&aor("bob")).await;
    // Each part of the call that did not happen, for the RESULT line.
    let mut missing: Vec<&str> = Vec::new();
    match call {
        Ok(c) => {
            verdict("INVITE", &Ok(c.answer.clone()));
            let invited = received(&mut bob, |e| matches!(e, Event::Invite { .. })).await;
            let acked = received(&mut bob, |e| matches!(e, Event::Ack { .. })).await;
            let mut parts = vec![
                ("180 at Alice", c.answer.provisional.contains(&180)),
                ("200 at Alice", c.answer.status == 200),
                ("INVITE at Bob", invited),
                ("ACK at Bob", acked),
            ];
            match c.dialog {
                Some(mut d) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let bye = alice.hang_up(&mut d).await;
                    verdict("BYE", &bye);
                    let byed =
                        received(&mut bob, |e| matches!(e, Event::Bye { status: 200, .. })).await;
                    parts.push(("200 to BYE", status(&bye) == Some(200)));
                    parts.push(("BYE at Bob", byed));
                }
                None => parts.push(("a dialog", false)),
            }
            missing.extend(parts.iter().filter(|(_, ok)| !ok).map(|(what, _)| *what));
        }
        Err(e) => {
            println!("  => INVITE: error: {e}");
            missing.push("an answer");
        }
    }
    checks.push(Check {
        what: "call completed (180, 200, ACK, BYE)",
        passed: missing.is_empty(),
        detail: if missing.is_empty() {
            String::new()
        } else {
            format!(" (missing: {})", missing.join(", "))
        },
    });

    step("8. Mallory, never registered on her connection, sends Bob a MESSAGE");
    let unregistered = mallory.message(&aor("bob"), "Hi, it's Bob's bank").await;
    verdict("MESSAGE", &unregistered);

    step("9. Alice, registered as herself, sends Carol a MESSAGE with From: Bob");
    let spoofed = alice
        .message_from(&aor("bob"), &aor("carol"), "Bob here, honest")
        .await;
    verdict("MESSAGE", &spoofed);
    checks.push(Check {
        what: "unregistered and spoofed MESSAGEs refused with 403",
        passed: status(&unregistered) == Some(403) && status(&spoofed) == Some(403),
        detail: String::new(),
    });

    step("10. Alice calls Dave, who never registered, and Bob after he de-registers");
    let dave = alice.call(&aor("dave")).await.map(|c| c.answer);
    verdict("INVITE to Dave", &dave);
    let gone = bob.register(Some(&bob_token), 0).await;
    verdict("Bob's de-registration", &gone);
    let offline = alice.call(&aor("bob")).await.map(|c| c.answer);
    verdict("INVITE to Bob", &offline);
    checks.push(Check {
        what: "unknown callee 404, offline callee 480",
        passed: status(&dave) == Some(404)
            && status(&gone) == Some(200)
            && status(&offline) == Some(480),
        detail: String::new(),
    });

    step("11. The WAF rotates its signing key; Erin registers with a token signed by the new key");
    let kid = live_waf.rotate()?;
    println!("  WAF: now signing with kid {kid}, unknown to the edge until it fetches the set");
    let erin_claims = Claims::for_user(
        "erin",
        HOME,
        LIVE_ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(600),
    );
    let mut erin = Wic::connect_with(&ws_url, "erin", HOME, None, Some(trust.clone())).await?;
    let rotated = erin
        .register(Some(&live_waf.mint(&erin_claims)?), 600)
        .await;
    verdict("registration with the new key", &rotated);
    checks.push(Check {
        what: "rotated key picked up without a restart",
        passed: status(&rotated) == Some(200) && live_waf.jwks_fetches() == 2,
        detail: String::new(),
    });

    for w in [bob, mallory, carol, alice, erin] {
        w.close().await;
    }
    edge.shutdown().await;
    core_tasks.abort_all();

    let ok = checks.iter().all(|c| c.passed);
    let rows: Vec<String> = checks
        .iter()
        .map(|c| {
            let verdict = if c.passed { "PASSED" } else { "FAILED" };
            format!("{} {verdict}{}", c.what, c.detail)
        })
        .collect();
    println!();
    println!(
        "RESULT: {}; {}",
        rows.join("; "),
        if ok { "demo passed" } else { "demo FAILED" }
    );
    Ok(ok)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let ok = match tokio::time::timeout(Duration::from_secs(20), run()).await {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => {
            println!("RESULT: demo FAILED: {e}");
            false
        }
        Err(_) => {
            println!("RESULT: demo FAILED: timed out");
            false
        }
    };
    std::process::exit(if ok { 0 } else { 1 });
}
