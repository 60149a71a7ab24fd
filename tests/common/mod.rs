//! Shared fixtures for the scenario tests: the sample messages, an edge configured for
//! the sample's home network, and helpers to look inside decisions.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sip_oauth::edge::{
    Config, Edge, FlowId, Inbound, RequestDecision, ResponseDecision, Transport,
};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::validate::{Authorization, FixedValidator, Validator};

pub const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
pub const EDGE_HOST: &str = "pcscf.visited.example:5060";
pub const FLOW_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
pub const REGISTER: &[u8] = include_bytes!("../data/samples/register_from_wic.sip");
pub const OK_FROM_SCSCF: &[u8] = include_bytes!("../data/samples/ok_from_scscf.sip");

/// 2027-01-15T08:00:00Z, the fixed "now" of every scenario.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// The bearer token of the sample REGISTER.
pub fn sample_token() -> String {
    let text = std::str::from_utf8(REGISTER).unwrap();
    let line = text
        .split("\r\n")
        .find(|l| l.starts_with("Authorization: Bearer "))
        .unwrap();
    line["Authorization: Bearer ".len()..].to_owned()
}

/// What the sample token grants: Bob's identities for 30 minutes from [`now`].
pub fn bob() -> Authorization {
    let mut auth = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).unwrap());
    auth.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).unwrap());
    auth.impus.push(Impu::try_from("tel:+15550100123").unwrap());
    auth.expires_at = Some(now() + Duration::from_secs(1800));
    auth
}

pub fn config() -> Config {
    Config::new(HOME, EDGE_HOST, FLOW_KEY)
        .unwrap()
        .visited_network_id("visited.example")
        .unwrap()
}

pub fn edge_with(config: Config, validator: impl Validator + 'static) -> Edge {
    Edge::new(config, validator)
}

pub fn edge() -> Edge {
    edge_with(
        config(),
        FixedValidator::new().with_token(sample_token(), bob()),
    )
}

pub fn wss() -> Inbound<'static> {
    Inbound {
        flow: FlowId(7),
        peer: "198.51.100.7:50312".parse().unwrap(),
        transport: Transport::Wss,
        now: now(),
        secure_flow: false,
        transport_token: None,
    }
}

/// The sample REGISTER with `from` replaced by `to` (panics when `from` is absent, so a
/// test cannot silently edit nothing).
pub fn register_with(from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(REGISTER).unwrap();
    assert!(text.contains(from), "sample lacks {from:?}");
    text.replacen(from, to, 1).into_bytes()
}

pub fn forwarded(d: RequestDecision) -> Bytes {
    match d {
        RequestDecision::Forward { bytes, .. } => bytes,
        other => panic!("expected Forward, got {other:?}"),
    }
}

pub fn replied(d: RequestDecision) -> (FlowId, String) {
    match d {
        RequestDecision::Reply { flow, bytes, .. } => {
            (flow, String::from_utf8(bytes.to_vec()).unwrap())
        }
        other => panic!("expected Reply, got {other:?}"),
    }
}

pub fn relayed(d: ResponseDecision) -> (FlowId, String) {
    match d {
        ResponseDecision::Relay { flow, bytes, .. } => {
            (flow, String::from_utf8(bytes.to_vec()).unwrap())
        }
        other => panic!("expected Relay, got {other:?}"),
    }
}

pub fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

/// Compares `actual` with the golden file `tests/data/golden/<name>`; with
/// `BLESS=1` in the environment, writes the file instead.
pub fn golden(name: &str, actual: &[u8]) {
    let path = format!("{}/tests/data/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| panic!("missing golden file {path}"));
    assert_eq!(text(actual), text(&expected), "differs from {path}");
}

/// The sample 200 OK with its top Via branch replaced by the one the edge minted in
/// `forwarded` (so it verifies).
pub fn ok_for(forwarded: &[u8]) -> Vec<u8> {
    let fwd = text(forwarded);
    let branch = fwd
        .split("branch=")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap();
    text(OK_FROM_SCSCF)
        .replacen("branch=z9hG4bKedge.1", &format!("branch={branch}"), 1)
        .into_bytes()
}

/// The HMAC secret of the JWT scenarios.
pub const HS_SECRET: &[u8] = b"demo-secret-for-tests-only-0123456789";
pub const ISSUER: &str = "https://waf.operator.example";

/// Bob's access-token claims, valid for `lifetime_secs` from [`now`] (negative for an
/// already expired token).
pub fn bob_claims(lifetime_secs: i64) -> serde_json::Value {
    let now = now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    serde_json::json!({
        "iss": ISSUER,
        "aud": format!("sip:{HOME}"),
        "sub": "bob",
        "impi": format!("bob@{HOME}"),
        "impus": [format!("sip:bob@{HOME}"), "tel:+15550100123"],
        "wwsf": "wwsf.operator.example",
        "scope": "sip:register",
        "iat": now - 10,
        "exp": now + lifetime_secs,
    })
}

/// Mints an HS256 access token for Bob with the given lifetime relative to [`now`]
/// (negative for an already expired one).
pub fn mint_hs256(lifetime_secs: i64, secret: &[u8]) -> String {
    let claims = bob_claims(lifetime_secs);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// A JWT validator for the tokens of [`mint_hs256`].
pub fn jwt_validator() -> sip_oauth::validate::JwtValidator {
    use sip_oauth::validate::jwt::KeySource;
    use sip_oauth::validate::{JwtConfig, JwtValidator};
    JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(HS_SECRET.to_vec()))
            .algorithms([jsonwebtoken::Algorithm::HS256])
            .issuer(ISSUER)
            .audience(format!("sip:{HOME}"))
            .required_scope("sip:register"),
    )
    .unwrap()
}

/// The sample REGISTER carrying `token` instead of its placeholder.
pub fn register_carrying(token: &str) -> Vec<u8> {
    register_with(&sample_token(), token)
}
