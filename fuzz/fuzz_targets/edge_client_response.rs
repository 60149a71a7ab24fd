//! Feeds arbitrary bytes to `Edge::on_client_response`: a client's response to a request
//! the core sent it (RFC 3261 16.7 on the edge's way back). The edge holds Bob's
//! registration on flow 7 and delivered him a terminating INVITE along its Path. Nothing
//! panics, and a response sent to the core parses, keeps the client's status (the one the
//! decision names), and has lost exactly one Via entry: the edge's own.
//!
//! The first input byte picks the transport and the flow (as in `edge_request`: 0x3c is
//! UDP on flow 7); the response follows. So that the fuzzer starts past the MAC check,
//! the literal branch `z9hG4bKedge.1` is replaced by the branch of the edge's Via on the
//! INVITE it delivered, and `EDGE-VIA` by that whole Via value.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use sip_oauth::edge::{
    Config, CoreRequestDecision, Edge, FlowId, Inbound, RequestDecision, ResponseDecision,
    Transport,
};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Limits, Message, Token};
use sip_oauth::validate::{Authorization, FixedValidator};

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const EDGE_HOST: &str = "pcscf.visited.example:5060";
const FLOW_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const EPOCH: u64 = 0x00c0_ffee;
const REGISTER: &[u8] = include_bytes!("../../tests/data/samples/register_from_wic.sip");

const ROOMY: Limits = Limits {
    max_message_bytes: 1 << 20,
    max_headers: 1 << 12,
    max_line_bytes: 1 << 20,
};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn inbound(flow: u64) -> Inbound<'static> {
    Inbound {
        flow: FlowId(flow),
        peer: "198.51.100.7:50312".parse().unwrap(),
        transport: Transport::Wss,
        now: now(),
        secure_flow: false,
        transport_token: None,
    }
}

fn edge_with_epoch(epoch: u64) -> Edge {
    let mut bob = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).unwrap());
    bob.impus
        .push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).unwrap());
    bob.impus.push(Impu::try_from("tel:+15550100123").unwrap());
    bob.expires_at = Some(now() + Duration::from_secs(1800));
    let config = Config::new(HOME, EDGE_HOST, FLOW_KEY)
        .unwrap()
        .allow_insecure_transport(true)
        .epoch(epoch);
    Edge::new(config, FixedValidator::any(bob))
}

/// The user part of the first URI in `value` (`<sip:TOKEN@host;lr>`).
fn user_part(value: &str) -> String {
    let start = value.find("sip:").expect("a SIP URI") + 4;
    let end = value[start..].find('@').expect("a user part") + start;
    value[start..end].to_owned()
}

/// Registers the sample user on `flow` (REGISTER forwarded, the core's 200 relayed);
/// returns the Path flow token.
fn register(edge: &Edge, flow: u64) -> String {
    let fwd = match edge.on_request(REGISTER.to_vec(), &inbound(flow)) {
        RequestDecision::Forward { bytes, .. } => Message::parse(bytes).unwrap(),
        other => panic!("sample REGISTER not forwarded: {other:?}"),
    };
    let path = fwd
        .value_str(fwd.first(HeaderName::Path).expect("Path"))
        .unwrap();
    let token = user_part(path);
    let mut ok = Builder::response_to(
        &fwd,
        200,
        &HeaderValue::from_static("OK"),
        Some(&Token::from_static("core")),
    )
    .unwrap();
    let contact = "<sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;expires=3600;reg-id=1;\
                   +sip.instance=\"<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>\"";
    for (name, value) in [
        (HeaderName::Contact, contact.to_owned()),
        (HeaderName::Path, path.to_owned()),
        (
            HeaderName::ServiceRoute,
            format!("<sip:orig@scscf1.{HOME};lr>"),
        ),
        (
            HeaderName::PAssociatedUri,
            format!("<sip:bob@{HOME}>, <tel:+15550100123>"),
        ),
    ] {
        ok.push(name, &HeaderValue::try_from(value).unwrap())
            .unwrap();
    }
    match edge.on_response(ok.finish(), now()) {
        ResponseDecision::Relay { status: 200, .. } => {}
        other => panic!("the core's 200 not relayed: {other:?}"),
    }
    token
}

/// The top Via value of the INVITE the edge delivers along `path`.
fn delivered_via(edge: &Edge, path: &str) -> String {
    let invite = format!(
        "INVITE sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws SIP/2.0\r\n\
         Via: SIP/2.0/UDP scscf1.{HOME}:5060;branch=z9hG4bKcore1\r\n\
         Route: <sip:{path}@{EDGE_HOST};lr;ob>\r\n\
         Record-Route: <sip:scscf1.{HOME};lr>\r\n\
         Max-Forwards: 69\r\n\
         From: <sip:alice@{HOME}>;tag=a1\r\n\
         To: <sip:bob@{HOME}>\r\n\
         Call-ID: terminating-seed\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@192.0.2.20:5060>\r\n\
         P-Asserted-Identity: <sip:alice@{HOME}>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match edge.on_core_request(invite.into_bytes(), now()) {
        CoreRequestDecision::Deliver { bytes, .. } => {
            let msg = Message::parse(bytes).unwrap();
            top_via(&msg).expect("the edge's Via").to_owned()
        }
        other => panic!("terminating INVITE not delivered: {other:?}"),
    }
}

fn top_via(msg: &Message) -> Option<&str> {
    let v = msg.value_str(msg.first(HeaderName::Via)?).ok()?;
    Some(v.split(',').next().unwrap_or(v).trim())
}

fn via_count(msg: &Message) -> usize {
    msg.find(HeaderName::Via)
        .filter_map(|h| msg.value_str(h).ok())
        .map(|v| v.split(',').filter(|item| !item.trim().is_empty()).count())
        .sum()
}

struct World {
    edge: Edge,
    via: String,
    swaps: Vec<(&'static [u8], String)>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let edge = edge_with_epoch(EPOCH);
        let path = register(&edge, 7);
        let via = delivered_via(&edge, &path);
        let branch = via
            .split(';')
            .find_map(|p| p.trim().strip_prefix("branch="))
            .expect("a branch")
            .to_owned();
        World {
            edge,
            swaps: vec![(b"z9hG4bKedge.1", branch), (b"EDGE-VIA", via.clone())],
            via,
        }
    })
}

/// `data` with every placeholder replaced by its value.
fn substitute(data: &[u8], swaps: &[(&[u8], String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut i = 0;
    'outer: while i < data.len() {
        for (from, to) in swaps {
            if data[i..].starts_with(from) {
                out.extend_from_slice(to.as_bytes());
                i += from.len();
                continue 'outer;
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else {
        return;
    };
    let world = world();
    let transport = match pick % 5 {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Ws,
        _ => Transport::Wss,
    };
    let mut inbound = inbound(u64::from(*pick >> 3));
    inbound.transport = transport;
    let wire = substitute(rest, &world.swaps);
    match world.edge.on_client_response(wire.clone(), &inbound) {
        ResponseDecision::ToCore { bytes, status } => {
            let input = Message::parse(wire).expect("an input sent on parses");
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("response to the core does not parse: {e}: {bytes:?}"));
            assert_eq!(out.status(), Some(status), "{bytes:?}");
            assert_eq!(
                input.status(),
                Some(status),
                "the client's status changed: {bytes:?}"
            );
            assert!(
                out.first(HeaderName::Via).is_some(),
                "no Via left for the core"
            );
            // Its own Via is gone, unless the client wrote it twice (then the copy is the
            // core's to refuse).
            let copies = input
                .find(HeaderName::Via)
                .filter_map(|h| input.value_str(h).ok())
                .filter(|v| v.contains(world.via.as_str()))
                .count();
            if copies == 1 {
                assert_ne!(
                    top_via(&out),
                    Some(world.via.as_str()),
                    "the edge's Via left: {bytes:?}"
                );
            }
            if !input.as_bytes().contains(&b'"') {
                assert_eq!(via_count(&out) + 1, via_count(&input), "{bytes:?}");
            }
        }
        ResponseDecision::Relay { .. } => panic!("a client's response relayed to a client"),
        ResponseDecision::Drop(_) => {}
    }
});
