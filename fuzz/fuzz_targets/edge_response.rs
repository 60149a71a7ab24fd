//! Feeds arbitrary bytes to `Edge::on_response`. Nothing panics, a response the edge
//! relays parses, keeps the input's status, and has lost exactly the edge's own Via, and
//! the registration a 2xx to REGISTER reports reads only what the response says.
//!
//! The literal branch `z9hG4bKedge.1` in the input (as in the sample 200 OK) is
//! replaced by a branch the edge minted, so the fuzzer starts from responses that
//! verify and explores what lies past the MAC check.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sip_oauth::edge::{Config, Edge, FlowId, ResponseDecision};
use sip_oauth::message::{HeaderName, Limits, Message};
use sip_oauth::validate::FixedValidator;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const EDGE_HOST: &str = "pcscf.visited.example:5060";
const FLOW_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
const PLACEHOLDER: &[u8] = b"z9hG4bKedge.1";

const ROOMY: Limits = Limits {
    max_message_bytes: 1 << 20,
    max_headers: 1 << 12,
    max_line_bytes: 1 << 20,
};

fn edge() -> &'static (Edge, String) {
    static EDGE: OnceLock<(Edge, String)> = OnceLock::new();
    EDGE.get_or_init(|| {
        let config = Config::new(HOME, EDGE_HOST, FLOW_KEY).unwrap();
        let codec = config.flow_codec().clone();
        let branch = codec.branch(FlowId(7), &[b"fuzz"], None);
        (Edge::new(config, FixedValidator::new()), branch)
    })
}

fn via_count(msg: &Message) -> usize {
    msg.find(HeaderName::Via)
        .filter_map(|h| msg.value_str(h).ok())
        // Empty list elements (`Via: ,a`) are not entries.
        .map(|v| v.split(',').filter(|item| !item.trim().is_empty()).count())
        .sum()
}

fuzz_target!(|data: &[u8]| {
    let (edge, branch) = edge();
    let mut wire = Vec::with_capacity(data.len() + 32);
    let mut rest = data;
    while let Some(at) = rest
        .windows(PLACEHOLDER.len())
        .position(|w| w == PLACEHOLDER)
    {
        wire.extend_from_slice(&rest[..at]);
        wire.extend_from_slice(branch.as_bytes());
        rest = &rest[at + PLACEHOLDER.len()..];
    }
    wire.extend_from_slice(rest);
    let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    match edge.on_response(wire.clone(), now) {
        ResponseDecision::Relay {
            bytes,
            status,
            registered,
            ..
        } => {
            // The registration view reads the response on demand: every reading ends,
            // and what it reports lies in the response's text.
            if let Some(r) = &registered {
                let text = r.response().as_bytes();
                let inside = |s: &str| text.windows(s.len().max(1)).any(|w| w == s.as_bytes());
                assert!(inside(r.aor()), "AOR {:?} not in the response", r.aor());
                for uri in r.service_route().chain(r.associated_uris()) {
                    assert!(inside(uri), "{uri:?} not in the response");
                }
                for (uri, _) in r.contacts() {
                    assert!(inside(uri), "{uri:?} not in the response");
                }
            }
            let input = Message::parse(wire).expect("a relayed input parses");
            let out = Message::parse_with(bytes.clone(), &ROOMY)
                .unwrap_or_else(|e| panic!("relayed response does not parse: {e}: {bytes:?}"));
            // The edge answers in the core's place a challenge a bearer client cannot
            // meet (401/407 -> 403) and a 423 the token cannot satisfy (-> 401); every
            // other status is relayed as it is.
            let (from, to) = (input.status().unwrap_or(0), out.status().unwrap_or(0));
            assert!(
                from == to
                    || (matches!(from, 401 | 407) && to == 403)
                    || (from == 423 && to == 401),
                "{from} relayed as {to}"
            );
            assert_eq!(Some(status), out.status());
            assert!(
                out.first(HeaderName::Via).is_some(),
                "no Via left for the client"
            );
            // Quoted commas could make the simple count differ; compare only plain cases.
            if !input.as_bytes().contains(&b'"') {
                assert_eq!(via_count(&out) + 1, via_count(&input), "{bytes:?}");
            }
        }
        // What comes from the core never goes back to the core.
        other @ ResponseDecision::ToCore { .. } => {
            panic!("a core response sent to the core: {other:?}")
        }
        ResponseDecision::Drop(_) => {}
    }
});
