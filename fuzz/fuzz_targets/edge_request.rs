//! Feeds arbitrary bytes to `Edge::on_request` of an edge with a fixed, valid
//! configuration whose validator tries a JWT validator and then accepts any token for
//! the sample user. Whatever comes in, a forwarded request parses, carries exactly one
//! Authorization (the Annex U one, `integrity-protected="auth-done"`) and never the
//! client's token; an answer to the client parses as a response.
//!
//! The first input byte picks the transport and the flow id; the request follows.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, Transport};
use sip_oauth::identity::{Impi, Impu};
use sip_oauth::message::{HeaderName, Limits, Message};
use sip_oauth::token::{TokenLocation, extract};
use sip_oauth::validate::jwt::{Algorithm, KeySource};
use sip_oauth::validate::{Authorization, FirstSuccess, FixedValidator, JwtConfig, JwtValidator};

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const EDGE_HOST: &str = "pcscf.visited.example:5060";
const FLOW_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

/// The edge adds headers, so its output may exceed the limits its input had to meet.
const ROOMY: Limits = Limits {
    max_message_bytes: 1 << 20,
    max_headers: 1 << 12,
    max_line_bytes: 1 << 20,
};

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| {
        let mut bob = Authorization::new(Impi::try_from(format!("bob@{HOME}").as_str()).unwrap());
        bob.impus.push(Impu::try_from(format!("sip:bob@{HOME}").as_str()).unwrap());
        bob.impus.push(Impu::try_from("tel:+15550100123").unwrap());
        bob.expires_at = Some(now() + Duration::from_secs(1800));
        let jwt = JwtValidator::new(
            JwtConfig::new(KeySource::Hmac(b"fuzz-secret-0123456789abcdef0123".to_vec()))
                .algorithms([Algorithm::HS256])
                .issuer("https://waf.operator.example")
                .audience(format!("sip:{HOME}")),
        )
        .unwrap();
        let validator = FirstSuccess::new().or(jwt).or(FixedValidator::any(bob));
        let config = Config::new(HOME, EDGE_HOST, FLOW_KEY)
            .unwrap()
            // Every transport reaches the procedure (RFC 6750 5.3 is tested elsewhere).
            .allow_insecure_transport(true)
            .visited_network_id("visited.example")
            .unwrap();
        Edge::new(config, validator)
    })
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let [pick, wire @ ..] = data else {
        return;
    };
    let transport = match pick % 5 {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Ws,
        _ => Transport::Wss,
    };
    let inbound = Inbound {
        flow: FlowId(u64::from(*pick >> 3)),
        peer: "198.51.100.7:50312".parse().unwrap(),
        transport,
        now: now(),
        secure_flow: false,
        transport_token: None,
    };
    match edge().on_request(wire.to_vec(), &inbound) {
        RequestDecision::Forward { bytes, admitted } => {
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("forwarded request does not parse: {e}: {bytes:?}"));
            assert_eq!(out.method(), Some("REGISTER"));
            let auths: Vec<_> = out.find(HeaderName::Authorization).collect();
            assert_eq!(auths.len(), 1, "{bytes:?}");
            let value = out.value_str(auths[0]).expect("Authorization is text");
            assert!(value.starts_with("Digest "), "{value}");
            assert!(value.contains("integrity-protected=\"auth-done\""), "{value}");
            assert_eq!(value.matches("integrity-protected").count(), 1, "{value}");
            assert!(!admitted.impi().is_empty());
            // The client's token, as the edge itself would have found it.
            let input = Message::parse(wire.to_vec()).expect("a forwarded input parses");
            let found = extract(&input, &TokenLocation::default(), None)
                .expect("a forwarded input has a token");
            assert!(
                !contains(&bytes, found.token.expose().as_bytes()),
                "token leaked: {bytes:?}"
            );
        }
        RequestDecision::Reply { flow, bytes, .. } => {
            assert_eq!(flow, inbound.flow);
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("reply does not parse: {e}: {bytes:?}"));
            assert!(out.status().is_some(), "{bytes:?}");
        }
        RequestDecision::Originate { .. }
        | RequestDecision::Pending(_)
        | RequestDecision::Drop(_) => {}
    }
});
