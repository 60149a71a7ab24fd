//! Bytes in to bytes out through the edge: the sample REGISTER with an HS256 token
//! (signature checked, and served from the verified-token cache), the same procedure
//! with a validator that checks nothing (the edge's own cost), and the 200 OK relay.
//! The floor is parsing the message alone.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use sip_oauth::edge::{
    Config, Edge, FlowId, Inbound, RequestDecision, ResponseDecision, Transport,
};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::message::Message;
use sip_oauth::validate::jwt::{Algorithm, KeySource};
use sip_oauth::validate::{
    Authorization, CachingValidator, FixedValidator, JwtConfig, JwtValidator,
};

const REGISTER: &[u8] = include_bytes!("../tests/data/samples/register_from_wic.sip");
const OK: &[u8] = include_bytes!("../tests/data/samples/ok_from_scscf.sip");
const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const SECRET: &[u8] = b"bench-secret-0123456789abcdef0123";

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn token() -> String {
    let claims = serde_json::json!({
        "iss": "https://waf.operator.example", "aud": format!("sip:{HOME}"), "sub": "bob",
        "impi": format!("bob@{HOME}"), "impus": [format!("sip:bob@{HOME}")],
        "scope": "sip:register", "iat": 1_799_999_990u64, "exp": 1_800_003_600u64,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("mint")
}

fn register(token: &str) -> Vec<u8> {
    let text = std::str::from_utf8(REGISTER).expect("utf-8");
    let start = text.find("Authorization: Bearer ").expect("token line") + 22;
    let end = start + text[start..].find("\r\n").expect("line end");
    format!("{}{}{}", &text[..start], token, &text[end..]).into_bytes()
}

fn config() -> Config {
    Config::new(
        HOME,
        "pcscf.visited.example:5060",
        b"0123456789abcdef0123456789abcdef",
    )
    .expect("config")
}

fn jwt() -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(SECRET.to_vec()))
            .algorithms([Algorithm::HS256])
            .issuer("https://waf.operator.example")
            .audience(format!("sip:{HOME}")),
    )
    .expect("validator")
}

fn inbound() -> Inbound<'static> {
    Inbound {
        flow: FlowId(7),
        peer: "198.51.100.7:50312".parse().expect("addr"),
        transport: Transport::Wss,
        now: now(),
        secure_flow: false,
        transport_token: None,
    }
}

fn bench(c: &mut Criterion) {
    let token = token();
    let request = bytes::Bytes::from(register(&token));
    let inbound = inbound();

    let mut auth =
        Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).expect("impi"));
    auth.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).expect("impu"));
    auth.expires_at = Some(now() + Duration::from_secs(3600));
    let fixed = Edge::new(config(), FixedValidator::any(auth));
    let signed = Edge::new(config(), jwt());
    let cached = Edge::new(config(), CachingValidator::new(jwt(), 4096));

    let forwarded = match signed.on_request(request.clone(), &inbound) {
        RequestDecision::Forward { bytes, .. } => bytes,
        other => panic!("sample not forwarded: {other:?}"),
    };
    let fwd = std::str::from_utf8(&forwarded).expect("utf-8");
    let branch = fwd
        .split("branch=")
        .nth(1)
        .and_then(|b| b.split("\r\n").next())
        .expect("branch");
    let ok = bytes::Bytes::from(
        std::str::from_utf8(OK)
            .expect("utf-8")
            .replacen("branch=z9hG4bKedge.1", &format!("branch={branch}"), 1)
            .into_bytes(),
    );
    assert!(matches!(
        signed.on_response(ok.clone(), now()),
        ResponseDecision::Relay { .. }
    ));

    let mut g = c.benchmark_group("edge");
    g.bench_function("floor: parse REGISTER", |b| {
        b.iter(|| Message::parse(black_box(request.clone())))
    });
    g.bench_function("REGISTER, no signature check", |b| {
        b.iter(|| fixed.on_request(black_box(request.clone()), &inbound))
    });
    g.bench_function("REGISTER, HS256 verified", |b| {
        b.iter(|| signed.on_request(black_box(request.clone()), &inbound))
    });
    g.bench_function("REGISTER, HS256 cache hit", |b| {
        b.iter(|| cached.on_request(black_box(request.clone()), &inbound))
    });
    g.bench_function("200 OK relay", |b| {
        b.iter(|| signed.on_response(black_box(ok.clone()), now()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
