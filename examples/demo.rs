//! The whole registration in one process on loopback: a token issuer (WAF), a WebRTC
//! client (WIC), the eP-CSCF edge and a registrar standing in for the S-CSCF.
//!
//! `cargo run --example demo` prints each message between the roles (first line and the
//! headers that matter), then shows a forged and an expired token being refused.
//! Exits 0 only when the good registration succeeded and both bad ones got 401.

#[path = "common/mod.rs"]
mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::edge_server::{Bound, EdgeAddrs, EdgeServer, Hop, Tap};
use common::registrar::{self, Registrar};
use common::tokens::{Claims, DEMO_SECRET, Signer};
use common::wic_client::{Final, Wic, random_id};
use sip_oauth::edge::{Config, Edge};
use sip_oauth::token::TokenLocation;
use sip_oauth::validate::{JwtConfig, JwtValidator};
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Headers worth showing, in the order they are printed.
const SHOWN: [&str; 9] = [
    "via",
    "authorization",
    "www-authenticate",
    "path",
    "require",
    "contact",
    "expires",
    "service-route",
    "p-associated-uri",
];

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
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    println!("  {arrow}  {}", lines.next().unwrap_or(""));
    let headers: Vec<(String, &str)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    for name in SHOWN {
        for (n, v) in headers.iter().filter(|(n, _)| n == name) {
            let shown = headers_name(n);
            let v = if shown == "Authorization" {
                redact(v)
            } else {
                (*v).to_owned()
            };
            println!("  {:22} {shown}: {v}", "");
        }
    }
}

fn headers_name(lower: &str) -> &'static str {
    match lower {
        "via" => "Via",
        "authorization" => "Authorization",
        "www-authenticate" => "WWW-Authenticate",
        "path" => "Path",
        "require" => "Require",
        "contact" => "Contact",
        "expires" => "Expires",
        "service-route" => "Service-Route",
        _ => "P-Associated-URI",
    }
}

fn step(title: &str) {
    println!("\n── {title} ──");
}

fn verdict(label: &str, result: &Result<Final, String>) {
    match result {
        Ok(f) => println!("  => {label}: {}", f.first_line()),
        Err(e) => println!("  => {label}: error: {e}"),
    }
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

    // eP-CSCF: WebSocket for the WIC, UDP toward the S-CSCF.
    let bound = Bound::bind(EdgeAddrs {
        ws: Some(SocketAddr::new(LOOPBACK, 0)),
        udp: None,
        tcp: None,
        core,
        core_tcp: false,
        core_bind: SocketAddr::new(LOOPBACK, 0),
    })
    .await
    .map_err(err)?;
    let ws_url = format!("ws://{}/", bound.ws_addr().ok_or("no WebSocket listener")?);
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
        // Plain ws:// on loopback: a lab, so tokens over an insecure transport are allowed
        // (RFC 6750 5.3 refuses them by default).
        .allow_insecure_transport(true)
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
    let edge = EdgeServer::start(Edge::new(config, validator), bound, Some(tap));

    common::log::to_stdout("                         log ");
    println!("sip-oauth demo: home domain {HOME}");
    println!("  eP-CSCF listens on {ws_url} (subprotocol sip), S-CSCF on udp:{core}");

    let now = SystemTime::now();
    let claims = |user: &str, life: u64| {
        Claims::for_user(user, HOME, ISSUER, AUDIENCE, now, Duration::from_secs(life))
    };
    let good = signer.mint(&claims("bob", 600))?;

    step("1. Bob registers with a valid HS256 access token from the WAF");
    let mut bob = Wic::connect(&ws_url, "bob", HOME, None).await?;
    let first = bob.register(Some(&good), 600).await;
    verdict("registration", &first);

    step("2. Bob refreshes the registration with the same token");
    let refresh = bob.register(Some(&good), 600).await;
    verdict("re-registration", &refresh);

    step("3. Mallory presents a token signed with the wrong key (forged)");
    let forger = Signer::hs256(b"not-the-waf-secret-but-32-bytes!", "demo-1");
    let forged = forger.mint(&claims("bob", 600))?;
    let mut mallory = Wic::connect(&ws_url, "bob", HOME, None).await?;
    let forged_result = mallory.register(Some(&forged), 600).await;
    verdict("forged token", &forged_result);

    step("4. Carol presents an expired token");
    let mut old = claims("carol", 60);
    old.iat -= 7200;
    old.exp -= 7200;
    let expired = signer.mint(&old)?;
    let mut carol = Wic::connect(&ws_url, "carol", HOME, None).await?;
    let expired_result = carol.register(Some(&expired), 600).await;
    verdict("expired token", &expired_result);

    step("5. Bob de-registers");
    let gone = bob.register(Some(&good), 0).await;
    verdict("de-registration", &gone);

    bob.close().await;
    mallory.close().await;
    carol.close().await;
    edge.shutdown().await;
    core_tasks.abort_all();

    let status = |r: &Result<Final, String>| r.as_ref().map(|f| f.status).ok();
    let registered = status(&first) == Some(200)
        && first
            .as_ref()
            .is_ok_and(|f| f.text.contains("Service-Route:"));
    let rejected = status(&forged_result) == Some(401) && status(&expired_result) == Some(401);
    let ok = registered && rejected && status(&refresh) == Some(200) && status(&gone) == Some(200);
    println!();
    println!(
        "RESULT: registration {}; forged and expired tokens {}; {}",
        if registered { "SUCCEEDED" } else { "FAILED" },
        if rejected {
            "REJECTED with 401"
        } else {
            "NOT REJECTED"
        },
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
