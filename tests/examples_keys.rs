//! Keys and verdicts from the WAF, live: the edge fetches the WAF's JWK Set, picks up a
//! rotated key when a token names its `kid`, refreshes the set on its max-age and keeps
//! the last good set when a fetch fails; opaque tokens are judged by introspection
//! (RFC 7662): active, inactive, and an endpoint unreachable or too slow (503). Everything
//! runs on 127.0.0.1 and stops by itself.

#[path = "../examples/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::args::Settings;
use common::edge_server::{Bound, EdgeServer};
use common::edge_setup;
use common::jwks_fetch::{self, JwksFetcher};
use common::registrar::{self, Registrar};
use common::tokens::{Claims, Signer};
use common::waf_server::{WafOptions, WafServer};
use common::wic_client::Wic;
use sip_oauth::spec::Spec;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{ValidationError, Validator};
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";

fn claims(user: &str) -> Claims {
    Claims::for_user(
        user,
        HOME,
        ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(600),
    )
}

async fn waf(max_age: Duration) -> Arc<WafServer> {
    let options = WafOptions {
        signer: Signer::es256_generated("waf-first").unwrap(),
        max_age,
        client: Some(("epcscf".into(), "client-secret".into())),
    };
    Arc::new(
        WafServer::start("127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap(),
    )
}

struct Edge {
    server: EdgeServer,
    url: String,
    _core: JoinSet<()>,
}

/// An edge over WebSocket with `extra` flags, and a registrar behind it.
async fn edge(extra: &[String]) -> Edge {
    let mut core = JoinSet::new();
    let (sock, _) = registrar::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let core_addr = sock.local_addr().unwrap().to_string();
    let reg = Arc::new(Registrar::new(HOME, vec!["127.0.0.1".parse().unwrap()]));
    registrar::serve(reg, Some(sock), None, &mut core);
    let mut args: Vec<String> = [
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
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().cloned());
    let settings = Settings::parse(args, edge_setup::KNOWN, "").unwrap();
    let bound = Bound::bind(edge_setup::addrs(&settings).unwrap())
        .await
        .unwrap();
    let url = format!("ws://{}/", bound.ws_addr().unwrap());
    let live = edge_setup::edge_live(&settings, &bound.default_edge_host())
        .await
        .unwrap();
    Edge {
        server: EdgeServer::start_with(live.edge, bound, None, live.resolver),
        url,
        _core: core,
    }
}

async fn register(url: &str, user: &str, token: &str) -> (u16, String) {
    let mut wic = Wic::connect(url, user, HOME, None).await.unwrap();
    let answer = wic.register(Some(token), 600).await.unwrap();
    wic.close().await;
    (answer.status, answer.text)
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_when_a_token_names_its_kid() {
    let waf = waf(Duration::from_secs(3600)).await;
    let jwks = waf.jwks_url();
    let e = edge(&args(&["--jwks-url", &jwks, "--jwks-min-interval", "1"])).await;
    let (status, text) = register(&e.url, "bob", &waf.mint(&claims("bob")).unwrap()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(waf.jwks_fetches(), 1);

    // Past the rate limit, a token of a new key makes the edge fetch the set once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    waf.rotate().unwrap();
    let fresh = waf.mint(&claims("carol")).unwrap();
    let (status, text) = register(&e.url, "carol", &fresh).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(waf.jwks_fetches(), 2);
    // The key it replaced is still published, so its tokens still register.
    let (status, _) = register(&e.url, "bob", &waf.mint(&claims("bob")).unwrap()).await;
    assert_eq!(status, 200);

    // Within the rate limit, another unknown kid is refused without a fetch.
    waf.rotate().unwrap();
    let too_soon = waf.mint(&claims("dave")).unwrap();
    let (status, text) = register(&e.url, "dave", &too_soon).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("error=\"invalid_token\""), "{text}");
    assert_eq!(waf.jwks_fetches(), 2);
    e.server.shutdown().await;
}

#[tokio::test]
async fn a_failed_fetch_keeps_the_last_good_set() {
    let waf = waf(Duration::from_secs(3600)).await;
    let (set, max_age) = jwks_fetch::fetch_set(&waf.jwks_url(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(max_age, Duration::from_secs(3600));
    let spec = Spec::from_json(&format!(
        r#"{{"edge": {{"home_domain": "{HOME}", "edge_host": "127.0.0.1",
            "flow_key": {{"text": "0123456789abcdef"}}}},
            "jwt": {{"key": {{"jwks_url": "{}"}}, "audience": "{AUDIENCE}"}}}}"#,
        waf.jwks_url()
    ))
    .unwrap();
    assert_eq!(spec.jwt.key.url(), Some(waf.jwks_url().as_str()));
    assert_eq!(spec.jwt.build().unwrap_err().key, "jwt.key.jwks_url");
    let validator = Arc::new(spec.jwt.build_with(KeySource::Jwks(set)).unwrap());
    let fetcher = JwksFetcher::new(
        &waf.jwks_url(),
        Arc::clone(&validator),
        max_age,
        Duration::from_millis(10),
    )
    .unwrap();
    let token = waf.mint(&claims("bob")).unwrap();
    assert!(validator.validate(&token, SystemTime::now()).is_ok());

    // The WAF goes away: the fetch fails, the keys stay.
    let url = waf.jwks_url();
    drop(waf);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = fetcher.fetch_now().await.unwrap_err();
    assert!(e.contains("connecting"), "{e}");
    assert_eq!(fetcher.counts(), (2, 1));
    assert!(validator.validate(&token, SystemTime::now()).is_ok());

    // A WAF answering junk, or a set with no usable key: the same.
    let junk = common::http::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let junk_url = format!("http://{}/jwks", junk.local_addr().unwrap());
    let server = common::http::serve(junk, |req| async move {
        if req.path == "/jwks" {
            common::http::Reply::json(200, r#"{"keys": []}"#)
        } else {
            common::http::Reply::json(200, "not json")
        }
    });
    for bad in [junk_url.clone(), junk_url.replace("/jwks", "/other")] {
        let f = JwksFetcher::new(&bad, Arc::clone(&validator), max_age, Duration::ZERO).unwrap();
        assert!(f.fetch_now().await.is_err());
        assert!(!f.refresh_for_unknown_kid().await);
        assert!(validator.validate(&token, SystemTime::now()).is_ok());
    }
    assert_eq!(validator.key_count(), 1);
    server.abort();
    let _ = url;
}

#[tokio::test]
async fn the_set_is_refreshed_when_its_max_age_runs_out() {
    let waf = waf(Duration::from_secs(1)).await;
    let (set, max_age) = jwks_fetch::fetch_set(&waf.jwks_url(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(max_age, Duration::from_secs(1));
    let config = sip_oauth::validate::JwtConfig::new(KeySource::Jwks(set)).audience(AUDIENCE);
    let validator = Arc::new(sip_oauth::validate::JwtValidator::new(config).unwrap());
    let fetcher = Arc::new(
        JwksFetcher::new(
            &waf.jwks_url(),
            Arc::clone(&validator),
            max_age,
            Duration::from_secs(1),
        )
        .unwrap(),
    );
    let refresher = fetcher.spawn_refresher(|_| {});
    waf.rotate().unwrap();
    let fresh = waf.mint(&claims("bob")).unwrap();
    // Not known yet: the set the validator holds predates the rotation.
    assert_eq!(
        validator.validate(&fresh, SystemTime::now()).unwrap_err(),
        ValidationError::UnknownKey
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while validator.validate(&fresh, SystemTime::now()).is_err() {
        assert!(tokio::time::Instant::now() < deadline, "no refresh in 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(waf.jwks_fetches() >= 2);
    assert_eq!(validator.key_count(), 2);
    refresher.abort();
}

fn introspection_args(url: &str, extra: &[&str]) -> Vec<String> {
    let mut a = args(&[
        "--hmac-secret",
        "an-unused-hs256-secret-of-32-bytes",
        "--introspection-url",
        url,
        "--introspection-client-id",
        "epcscf",
        "--introspection-client-secret",
        "client-secret",
        "--scope",
        "sip",
    ]);
    a.extend(args(extra));
    a
}

#[tokio::test]
async fn an_active_opaque_token_registers_and_its_answer_is_cached() {
    let waf = waf(Duration::from_secs(60)).await;
    let e = edge(&introspection_args(&waf.introspection_url(), &[])).await;
    let token = waf.issue_opaque(claims("bob"));
    let (status, text) = register(&e.url, "bob", &token).await;
    assert_eq!(status, 200, "{text}");
    // Cached until exp: a revocation is not seen, nor is the endpoint asked again.
    waf.revoke(&token);
    let (status, _) = register(&e.url, "bob", &token).await;
    assert_eq!(status, 200);
    e.server.shutdown().await;
}

#[tokio::test]
async fn an_inactive_opaque_token_is_refused_with_invalid_token() {
    let waf = waf(Duration::from_secs(60)).await;
    let e = edge(&introspection_args(&waf.introspection_url(), &[])).await;
    let token = waf.issue_opaque(claims("bob"));
    waf.revoke(&token);
    let (status, text) = register(&e.url, "bob", &token).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("error=\"invalid_token\""), "{text}");
    // Wrong client credentials: the endpoint refuses the edge, the client hears 503.
    let wrong = edge(&introspection_args(
        &waf.introspection_url(),
        &["--introspection-client-secret", "not-the-secret"],
    ))
    .await;
    let token = waf.issue_opaque(claims("carol"));
    let (status, text) = register(&wrong.url, "carol", &token).await;
    assert_eq!(status, 503, "{text}");
    e.server.shutdown().await;
    wrong.server.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_or_slow_endpoint_gives_503_with_retry_after() {
    let waf = waf(Duration::from_secs(60)).await;
    let slow = edge(&introspection_args(
        &waf.introspection_url(),
        &[
            "--introspection-timeout-ms",
            "200",
            "--introspection-retry-after",
            "7",
        ],
    ))
    .await;
    waf.set_introspection_delay(Duration::from_millis(1000));
    let token = waf.issue_opaque(claims("bob"));
    let (status, text) = register(&slow.url, "bob", &token).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("Retry-After: 7\r\n"), "{text}");
    assert!(!text.contains("WWW-Authenticate"), "{text}");

    // Nothing listening at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/introspect", closed.local_addr().unwrap());
    drop(closed);
    let gone = edge(&introspection_args(&url, &[])).await;
    let (status, text) = register(&gone.url, "bob", &token).await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("Retry-After: 30\r\n"), "{text}");
    slow.server.shutdown().await;
    gone.server.shutdown().await;
}
