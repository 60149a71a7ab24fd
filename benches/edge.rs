//! Bytes in to bytes out through the edge: the sample REGISTER with an HS256 token
//! (signature checked, and served from the verified-token cache), the same procedure
//! with a validator that checks nothing (the edge's own cost), and the 200 OK relay;
//! after the registration, a registered client's MESSAGE toward the core and an INVITE
//! from the core along the Path. Each floor is parsing its message alone.
//!
//! Instruction counts, which do not depend on machine load, come from the same operations
//! run under callgrind: `EDGE_COUNT=<name>` runs that one operation `EDGE_COUNT_ITERS`
//! times (default 1000) inside `count_loop` and exits, e.g.
//!
//! ```text
//! EDGE_COUNT="REGISTER, no signature check" valgrind --tool=callgrind \
//!     --toggle-collect='*count_loop*' target/release/deps/edge-<hash>
//! ```
//!
//! and the `Collected` total divided by the iterations is the count per operation.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group};
use sip_oauth::edge::{
    Config, CoreRequestDecision, Edge, FlowId, Inbound, RequestDecision, ResponseDecision,
    Transport,
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

/// Every operation measured, floors next to what they bound.
fn ops() -> Vec<Op> {
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

    // Bob registered on the fixed-validator edge (same key: the branch verifies there).
    let _ = fixed.on_request(request.clone(), &inbound);
    assert!(matches!(
        fixed.on_response(ok.clone(), now()),
        ResponseDecision::Relay { .. }
    ));
    let message = bytes::Bytes::from(format!(
        "MESSAGE sip:alice@{HOME} SIP/2.0\r\n\
         Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK55a1;rport\r\n\
         Max-Forwards: 70\r\nTo: <sip:alice@{HOME}>\r\nFrom: \"Bob\" <sip:bob@{HOME}>;tag=m1\r\n\
         Call-ID: 7m2s0q1k\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n\
         User-Agent: SIP.js/0.21.2\r\nContent-Length: 5\r\n\r\nhello"
    ));
    assert!(matches!(
        fixed.on_request(message.clone(), &inbound),
        RequestDecision::Originate { .. }
    ));
    let path = fwd
        .split("\r\nPath: <")
        .nth(1)
        .and_then(|p| p.split('>').next())
        .expect("Path");
    let invite = bytes::Bytes::from(format!(
        "INVITE sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws SIP/2.0\r\n\
         Via: SIP/2.0/UDP scscf1.{HOME};branch=z9hG4bKc0re1\r\n\
         Via: SIP/2.0/UDP pcscf.a.example;branch=z9hG4bKa11\r\n\
         Max-Forwards: 68\r\nRoute: <{path}>\r\n\
         Record-Route: <sip:scscf1.{HOME};lr>\r\n\
         To: <sip:bob@{HOME}>\r\nFrom: <sip:alice@{HOME}>;tag=a1\r\n\
         Call-ID: t3rm1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@192.0.2.9>\r\n\
         P-Asserted-Identity: <sip:alice@{HOME}>\r\n\
         P-Charging-Vector: icid-value=abc\r\nContent-Type: application/sdp\r\n\
         Content-Length: 0\r\n\r\n"
    ));
    assert!(matches!(
        fixed.on_core_request(invite.clone(), now()),
        CoreRequestDecision::Deliver { .. }
    ));

    // The edges live as long as the process: the operations below are `'static`.
    let fixed: &'static Edge = Box::leak(Box::new(fixed));
    let signed: &'static Edge = Box::leak(Box::new(signed));
    let cached: &'static Edge = Box::leak(Box::new(cached));
    let mut ops: Vec<Op> = Vec::new();
    let r = request.clone();
    ops.push(op("floor: parse REGISTER", move || {
        black_box(Message::parse(black_box(r.clone())).is_ok());
    }));
    let r = request.clone();
    ops.push(op("REGISTER, no signature check", move || {
        let _ = black_box(fixed.on_request(black_box(r.clone()), &inbound));
    }));
    let r = request.clone();
    ops.push(op("REGISTER, HS256 verified", move || {
        let _ = black_box(signed.on_request(black_box(r.clone()), &inbound));
    }));
    let r = request.clone();
    ops.push(op("REGISTER, HS256 cache hit", move || {
        let _ = black_box(cached.on_request(black_box(r.clone()), &inbound));
    }));
    let o = ok.clone();
    ops.push(op("floor: parse 200 OK", move || {
        black_box(Message::parse(black_box(o.clone())).is_ok());
    }));
    let o = ok.clone();
    ops.push(op("200 OK relay", move || {
        let _ = black_box(signed.on_response(black_box(o.clone()), now()));
    }));
    // A refresh as the edge lives it: the REGISTER admitted, then its 200 OK turning
    // the admission into the refreshed registration.
    let (r, o) = (request.clone(), ok.clone());
    ops.push(op("refresh: REGISTER and its 200 OK", move || {
        let _ = black_box(fixed.on_request(black_box(r.clone()), &inbound));
        let _ = black_box(fixed.on_response(black_box(o.clone()), now()));
    }));
    let m = message.clone();
    ops.push(op("floor: parse MESSAGE", move || {
        black_box(Message::parse(black_box(m.clone())).is_ok());
    }));
    let m = message.clone();
    ops.push(op("originating MESSAGE", move || {
        let _ = black_box(fixed.on_request(black_box(m.clone()), &inbound));
    }));
    let i = invite.clone();
    ops.push(op("floor: parse INVITE from the core", move || {
        black_box(Message::parse(black_box(i.clone())).is_ok());
    }));
    let i = invite.clone();
    ops.push(op("terminating INVITE", move || {
        let _ = black_box(fixed.on_core_request(black_box(i.clone()), now()));
    }));
    ops
}

struct Op {
    name: &'static str,
    run: Box<dyn FnMut()>,
}

fn op(name: &'static str, run: impl FnMut() + 'static) -> Op {
    Op {
        name,
        run: Box::new(run),
    }
}

/// The loop callgrind collects in (see the module docs).
#[inline(never)]
fn count_loop(iters: usize, run: &mut dyn FnMut()) {
    for _ in 0..iters {
        run();
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("edge");
    for mut op in ops() {
        g.bench_function(op.name, |b| b.iter(&mut op.run));
    }
    g.finish();
}

fn main() {
    if let Ok(name) = std::env::var("EDGE_COUNT") {
        let iters = std::env::var("EDGE_COUNT_ITERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        let mut op = ops()
            .into_iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no operation named {name:?}"));
        count_loop(iters, &mut op.run);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
criterion_group!(benches, bench);
