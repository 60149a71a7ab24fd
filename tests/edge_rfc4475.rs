//! The RFC 4475 torture messages through the code users run: every one of the 49
//! messages in `tests/data/rfc4475/` goes to [`Edge::on_request`] (requests) or
//! [`Edge::on_response`] (responses), and the decision is asserted against a table. The
//! table names, for each message, what the edge does and why, so the conformance
//! evidence of `tests/rfc4475.rs` (the validator alone) also holds for the edge.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use sip_oauth::edge::{
    Config, DropReason, Edge, FlowId, Inbound, RejectCause, RequestDecision, ResponseDecision,
    Transport,
};
use sip_oauth::message::Violation;
use sip_oauth::validate::FixedValidator;

/// What the edge did with one message, in words short enough for a table.
fn label_request(d: &RequestDecision) -> String {
    match d {
        RequestDecision::Forward { .. } => "forward".to_owned(),
        RequestDecision::Reply { rejection, .. } => match &rejection.cause {
            RejectCause::Request(v) => format!("reply {} {}", rejection.status, rule(v)),
            RejectCause::NoToken => format!("reply {} no-token", rejection.status),
            other => format!("reply {} {other:?}", rejection.status),
        },
        RequestDecision::Pending(_) => "pending".to_owned(),
        RequestDecision::Originate { .. } => "originate".to_owned(),
        RequestDecision::Drop(r) => format!("drop {}", drop(r)),
    }
}

fn label_response(d: &ResponseDecision) -> String {
    match d {
        ResponseDecision::Relay { status, .. } => format!("relay {status}"),
        ResponseDecision::ToCore { status, .. } => format!("to-core {status}"),
        ResponseDecision::Drop(r) => format!("drop {}", drop(r)),
    }
}

fn rule(v: &Violation) -> String {
    let name = format!("{v:?}");
    let variant = name.split([' ', '(', '{']).next().unwrap_or_default();
    match v {
        Violation::Malformed { header, .. }
        | Violation::Missing { header, .. }
        | Violation::Repeated { header, .. } => format!("{variant}:{header} s{}", v.section()),
        _ => format!("{variant} s{}", v.section()),
    }
}

fn drop(r: &DropReason) -> String {
    match r {
        DropReason::Unparseable(e) => format!("unparseable:{:?}", e.kind),
        DropReason::MalformedResponse(v) => format!("malformed-response:{}", rule(v)),
        DropReason::Unanswerable(v) => format!("unanswerable:{}", rule(v)),
        other => format!("{other:?}"),
    }
}

fn edge() -> Edge {
    // The torture messages come over UDP; the transport policy is not what they test.
    let config = Config::new("example.com", "edge.example.net:5060", &[7u8; 32])
        .unwrap()
        .allow_insecure_transport(true);
    Edge::new(config, FixedValidator::new())
}

fn inbound() -> Inbound<'static> {
    Inbound {
        flow: FlowId(1),
        peer: "192.0.2.50:5060".parse().unwrap(),
        transport: Transport::Udp,
        now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        secure_flow: false,
        transport_token: None,
    }
}

/// The decision for every message of the corpus, by file name.
fn decisions() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let edge = edge();
    manifest
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let name = l.split('\t').next().unwrap().to_owned();
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            let label = if bytes.starts_with(b"SIP/") {
                label_response(&edge.on_response(bytes, inbound().now))
            } else {
                label_request(&edge.on_request(bytes, &inbound()))
            };
            (name, label)
        })
        .collect()
}

/// The expected decisions. Requests the parser cannot index (a broken start line, a
/// Content-Length that frames no body) are dropped: without a parsed Via, Call-ID and
/// CSeq no answer can be matched by the client. Requests that parse go through the
/// proxy checks of RFC 3261 16.3: a broken rule is answered with its status; a valid
/// REGISTER without a token is challenged (401); any other valid request is handed to
/// the host. Responses must verify as having come back through this edge, which none
/// of the corpus' did.
const EXPECTED: &[(&str, &str)] = &[
    ("badaspec.dat", "reply 400 Malformed:To s20.39"),
    ("badbranch.dat", "reply 403 NotRegistered"),
    ("baddate.dat", "reply 403 NotRegistered"),
    ("baddn.dat", "drop unparseable:Incomplete(\"header line\")"),
    ("badinv01.dat", "reply 400 Malformed:Via s20.42"),
    ("badvers.dat", "drop unparseable:UnsupportedVersion"),
    ("bcast.dat", "drop NotOurs"),
    ("bext01.dat", "reply 420 BadExtension s16.3"),
    ("bigcode.dat", "drop unparseable:InvalidStatusCode"),
    (
        "clerr.dat",
        "drop unparseable:BodyTruncated { declared: 9999, available: 154 }",
    ),
    ("cparam01.dat", "reply 401 no-token"),
    ("cparam02.dat", "reply 401 no-token"),
    ("dblreq.dat", "reply 401 no-token"),
    ("esc01.dat", "reply 403 NotRegistered"),
    ("esc02.dat", "reply 403 NotRegistered"),
    ("escnull.dat", "reply 401 no-token"),
    ("escruri.dat", "reply 400 RequestUriHeaders s19.1.5"),
    ("insuf.dat", "reply 400 Missing:To s8.1.1"),
    ("intmeth.dat", "reply 403 NotRegistered"),
    ("inv2543.dat", "reply 403 NotRegistered"),
    ("invut.dat", "reply 403 NotRegistered"),
    ("longreq.dat", "reply 403 NotRegistered"),
    (
        "ltgtruri.dat",
        "drop unparseable:Expected(\"absolute Request-URI starting with a scheme\")",
    ),
    ("lwsdisp.dat", "reply 403 NotRegistered"),
    ("lwsruri.dat", "drop unparseable:Expected(\"SIP-Version\")"),
    ("lwsstart.dat", "drop unparseable:Expected(\"Request-URI\")"),
    ("mcl01.dat", "drop unparseable:ConflictingContentLength"),
    ("mismatch01.dat", "reply 400 CSeqMethodMismatch s8.1.1.5"),
    ("mismatch02.dat", "reply 400 CSeqMethodMismatch s8.1.1.5"),
    ("mpart01.dat", "reply 403 NotRegistered"),
    ("multi01.dat", "reply 400 Repeated:To s7.3.1"),
    ("ncl.dat", "drop unparseable:InvalidContentLength"),
    ("noreason.dat", "drop NotOurs"),
    ("novelsc.dat", "reply 416 UnsupportedScheme s8.2.2.1"),
    ("quotbal.dat", "reply 400 Malformed:To s20.39"),
    ("regaut01.dat", "reply 401 no-token"),
    ("regbadct.dat", "reply 400 Malformed:Contact s20.10"),
    ("regescrt.dat", "reply 401 no-token"),
    ("scalar02.dat", "reply 400 Malformed:CSeq s8.1.1.5"),
    (
        "scalarlg.dat",
        "drop malformed-response:Malformed:CSeq s8.1.1.5",
    ),
    ("sdp01.dat", "reply 403 NotRegistered"),
    ("semiuri.dat", "reply 403 NotRegistered"),
    ("transports.dat", "reply 403 NotRegistered"),
    ("trws.dat", "drop unparseable:Trailing(\"SIP-Version\")"),
    ("unkscm.dat", "reply 416 UnsupportedScheme s8.2.2.1"),
    ("unksm2.dat", "reply 401 no-token"),
    ("unreason.dat", "drop NotOurs"),
    ("wsinv.dat", "reply 403 OutsideDialog"),
    ("zeromf.dat", "reply 483 TooManyHops s16.3"),
];

#[test]
fn every_torture_message_gets_the_decision_of_its_rule() {
    let got = decisions();
    assert_eq!(got.len(), 49, "the corpus has 49 messages");
    let expected: BTreeMap<String, String> = EXPECTED
        .iter()
        .map(|&(n, l)| (n.to_owned(), l.to_owned()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn no_invalid_message_is_forwarded_or_relayed() {
    let got = decisions();
    for (name, label) in &got {
        assert!(
            !label.starts_with("forward") && !label.starts_with("relay"),
            "{name}: {label}"
        );
    }
}
