//! Feeds arbitrary bytes to `Edge::on_core_request` (terminating requests, RFC 5626 5.3)
//! of an edge holding one live registration (Bob on flow 7). Nothing panics, and:
//! - a request delivered goes to flow 7 (the only flow with a registration), parses, is a
//!   request of the input's method, has the edge's Via on top of the input's Vias and no
//!   charging headers (TS 24.229 5.2.7);
//! - an answer to the core parses, is a response with the status of its rejection, and
//!   answers the input's top Via.
//!
//! So that the fuzzer starts past the MAC checks, literal placeholders in the input are
//! replaced by flow tokens the edge minted: `PATH-TOKEN` by the user part of the Path URI
//! of Bob's registration on flow 7, `RR-TOKEN` by that of the Record-Route URI of an
//! INVITE Bob sent on flow 7, `GONE-TOKEN` by the Path token of a registration whose flow
//! the host reported closed, and `OLD-TOKEN` by a Path token minted with the same key by
//! an earlier start of the edge (another epoch).
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

/// The Record-Route token of an INVITE Bob sends on `flow`.
fn record_route(edge: &Edge, flow: u64) -> String {
    let invite = format!(
        "INVITE sip:alice@{HOME} SIP/2.0\r\n\
         Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK4410;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:bob@{HOME}>;tag=b1\r\n\
         To: <sip:alice@{HOME}>\r\n\
         Call-ID: rr-seed\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws;ob>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match edge.on_request(invite.into_bytes(), &inbound(flow)) {
        RequestDecision::Originate { bytes, .. } => {
            let msg = Message::parse(bytes).unwrap();
            let rr = msg.first(HeaderName::RecordRoute).expect("Record-Route");
            user_part(msg.value_str(rr).unwrap())
        }
        other => panic!("Bob's INVITE not sent on: {other:?}"),
    }
}

struct World {
    edge: Edge,
    swaps: Vec<(&'static [u8], String)>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let edge = edge_with_epoch(EPOCH);
        let path = register(&edge, 7);
        let rr = record_route(&edge, 7);
        let gone = register(&edge, 8);
        edge.flow_closed(FlowId(8));
        let old = register(&edge_with_epoch(EPOCH - 1), 7);
        World {
            edge,
            swaps: vec![
                (b"PATH-TOKEN", path),
                (b"RR-TOKEN", rr),
                (b"GONE-TOKEN", gone),
                (b"OLD-TOKEN", old),
            ],
        }
    })
}

/// `data` with every placeholder replaced by its token.
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

fn via_count(msg: &Message) -> usize {
    msg.find(HeaderName::Via)
        .filter_map(|h| msg.value_str(h).ok())
        .map(|v| v.split(',').filter(|item| !item.trim().is_empty()).count())
        .sum()
}

/// `text` with every run of whitespace (folding included) as one space.
fn unfolded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn top_via(msg: &Message) -> Option<&str> {
    let v = msg.value_str(msg.first(HeaderName::Via)?).ok()?;
    Some(v.split(',').next().unwrap_or(v).trim())
}

fuzz_target!(|data: &[u8]| {
    let world = world();
    let wire = substitute(data, &world.swaps);
    match world.edge.on_core_request(wire.clone(), now()) {
        CoreRequestDecision::Deliver { flow, bytes } => {
            assert_eq!(
                flow,
                FlowId(7),
                "delivered on a flow without a registration"
            );
            let input = Message::parse(wire).expect("a delivered input parses");
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("delivered request does not parse: {e}: {bytes:?}"));
            assert!(out.is_request(), "{bytes:?}");
            assert_eq!(out.method(), input.method());
            let top = top_via(&out).expect("a Via");
            assert!(top.contains(EDGE_HOST), "top Via is not the edge's: {top}");
            if !input.as_bytes().contains(&b'"') {
                assert_eq!(via_count(&out), via_count(&input) + 1, "{bytes:?}");
            }
            for name in ["P-Charging-Vector", "P-Charging-Function-Addresses"] {
                assert!(
                    out.find_named(name).next().is_none(),
                    "{name} toward the client: {bytes:?}"
                );
            }
        }
        CoreRequestDecision::Reply { bytes, rejection } => {
            let input = Message::parse(wire).expect("an answered input parses");
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("reply does not parse: {e}: {bytes:?}"));
            assert_eq!(out.status(), Some(rejection.status), "{bytes:?}");
            assert_ne!(input.method(), Some("ACK"), "an ACK answered: {bytes:?}");
            // Compared as text with line folding undone: the reply writes the Via unfolded.
            assert_eq!(
                top_via(&out).map(unfolded),
                top_via(&input).map(unfolded),
                "{bytes:?}"
            );
        }
        CoreRequestDecision::Drop(_) => {}
    }
});
