//! The answers that changed when the edge began to run the one RFC 3261 validator
//! (`message::check_proxy_request` / `check_response`) instead of rules of its own. Each
//! test names the old answer and asserts the new one.

mod common;

use common::*;
use sip_oauth::edge::{
    DropReason, Inbound, RejectCause, RequestDecision, ResponseDecision, Transport,
};
use sip_oauth::message::{Message, Violation, check_request};

fn violation(d: &RequestDecision) -> (u16, Violation) {
    match d {
        RequestDecision::Reply { rejection, .. } => match &rejection.cause {
            RejectCause::Request(v) => (rejection.status, v.clone()),
            other => panic!("not a rule of RFC 3261: {other:?}"),
        },
        other => panic!("not refused: {other:?}"),
    }
}

fn reason_phrase(d: &RequestDecision) -> String {
    let RequestDecision::Reply { bytes, .. } = d else {
        panic!("not refused: {d:?}");
    };
    let line = text(bytes).lines().next().unwrap_or_default();
    line.splitn(3, ' ').nth(2).unwrap_or_default().to_owned()
}

#[test]
fn escaped_headers_in_the_request_uri_are_refused_with_400() {
    // Was: forwarded to the core with the headers in place.
    let raw = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        &format!("REGISTER sip:{HOME}?Route=%3Csip:evil.example%3E SIP/2.0"),
    );
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!(status, 400);
    assert!(matches!(v, Violation::RequestUriHeaders { .. }), "{v:?}");
    assert_eq!(v.section(), "19.1.5");
}

#[test]
fn a_tel_register_uri_is_416_by_the_rule_of_rfc_3261_10_2() {
    // Was: 416 from the edge's own scheme check, while check_request accepted it.
    let raw = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        "REGISTER tel:+15550100123 SIP/2.0",
    );
    let msg = Message::parse(raw.clone()).unwrap();
    let v = check_request(&msg).expect_err("a REGISTER names a location service domain");
    assert!(matches!(v, Violation::RegisterUriScheme { .. }), "{v:?}");
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!((status, v.section()), (416, "10.2"));
}

#[test]
fn an_unparsable_request_uri_is_400_not_416() {
    // Was: 416 (the edge only read the scheme); the URI's grammar is now checked.
    let raw = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        "REGISTER sip:bob@[::1 SIP/2.0",
    );
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!(status, 400);
    assert!(
        matches!(
            v,
            Violation::Malformed {
                header: "Request-URI",
                ..
            }
        ),
        "{v:?}"
    );
}

#[test]
fn every_via_is_parsed_not_only_the_first_via_parm() {
    // Was: a malformed second via-parm was forwarded untouched.
    let raw = register_with(
        ";branch=z9hG4bK7739204;rport",
        ";branch=z9hG4bK7739204;rport, SIP/2.0/ bad",
    );
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!(status, 400);
    assert!(
        matches!(v, Violation::Malformed { header: "Via", .. }),
        "{v:?}"
    );
}

#[test]
fn from_is_parsed() {
    // Was: From was only checked for presence.
    let raw = register_with("From: \"Bob\" <sip:", "From: \"Bob <sip:");
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!(status, 400);
    assert!(
        matches!(v, Violation::Malformed { header: "From", .. }),
        "{v:?}"
    );
}

#[test]
fn a_proxy_require_of_unknown_tags_is_420_and_a_malformed_one_400() {
    // 420 as before for well-formed tags; a tag that is not a token was 420, now 400.
    let raw = register_with("Expires: 3600", "Expires: 3600\r\nProxy-Require: sec-agree");
    let d = edge().on_request(raw, &wss());
    let (status, v) = violation(&d);
    assert_eq!(status, 420);
    assert!(matches!(v, Violation::BadExtension { .. }), "{v:?}");
    let RequestDecision::Reply { bytes, .. } = &d else {
        unreachable!()
    };
    assert!(text(bytes).contains("\r\nUnsupported: sec-agree\r\n"));
    let raw = register_with("Expires: 3600", "Expires: 3600\r\nProxy-Require: a b");
    let (status, v) = violation(&edge().on_request(raw, &wss()));
    assert_eq!(status, 400);
    assert!(
        matches!(
            v,
            Violation::Malformed {
                header: "Proxy-Require",
                ..
            }
        ),
        "{v:?}"
    );
}

#[test]
fn a_malformed_request_other_than_register_is_answered_by_the_edge() {
    // Was: handed to the host as "not a REGISTER" whatever its syntax.
    let raw = String::from_utf8(register_with("REGISTER sip:", "MESSAGE sip:"))
        .unwrap()
        .replace("CSeq: 1 REGISTER", "CSeq: 1 MESSAGE");
    let good = edge().on_request(raw.clone().into_bytes(), &wss());
    // Well-formed, it reaches the originating procedure, which refuses an unregistered flow.
    assert!(
        matches!(&good, RequestDecision::Reply { rejection, .. } if rejection.cause == RejectCause::NotRegistered),
        "{good:?}"
    );
    let bad = raw.replace("CSeq: 1 MESSAGE", "CSeq: 1 INVITE");
    let (status, v) = violation(&edge().on_request(bad.into_bytes(), &wss()));
    assert_eq!(status, 400);
    assert!(matches!(v, Violation::CSeqMethodMismatch { .. }), "{v:?}");
}

#[test]
fn the_400_reason_phrase_names_the_header_and_the_rule() {
    // Was: "Bad Request (<parse error>)" without the header's name.
    let raw = register_with("To: \"Bob\" <sip:", "To: \"Bob <sip:");
    let phrase = reason_phrase(&edge().on_request(raw, &wss()));
    assert!(
        phrase.starts_with("Bad Request (malformed To header: "),
        "{phrase}"
    );
    assert!(phrase.ends_with(')'), "{phrase}");
}

#[test]
fn a_register_without_via_or_cseq_is_dropped_as_unanswerable() {
    // Was: DropReason::Unparseable(Missing(..)).
    for (line, header) in [
        (
            "Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport\r\n",
            "Via",
        ),
        ("CSeq: 1 REGISTER\r\n", "CSeq"),
    ] {
        let raw = register_with(line, "");
        let d = edge().on_request(raw, &wss());
        assert!(
            matches!(
                &d,
                RequestDecision::Drop(DropReason::Unanswerable(Violation::Missing { header: h, .. }))
                    if *h == header
            ),
            "{d:?}"
        );
    }
}

#[test]
fn a_core_response_that_breaks_a_rule_is_dropped_not_relayed() {
    // Was: relayed as long as the top Via verified (the rest was not checked).
    let e = edge();
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let ok = String::from_utf8(ok_for(&out)).unwrap();
    let broken = ok.replacen("Call-ID: ", "Call-ID: two words ", 1);
    let d = e.on_response(broken.into_bytes(), now());
    assert!(
        matches!(
            &d,
            ResponseDecision::Drop(DropReason::MalformedResponse(Violation::Malformed {
                header: "Call-ID",
                ..
            }))
        ),
        "{d:?}"
    );
    // The well-formed one still goes through.
    assert!(matches!(
        e.on_response(ok.into_bytes(), now()),
        ResponseDecision::Relay { .. }
    ));
}

#[test]
fn a_core_response_with_no_via_left_for_the_client_is_a_malformed_response() {
    // Was: DropReason::Unparseable(Missing("Via")).
    let e = edge();
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let ok = String::from_utf8(ok_for(&out)).unwrap();
    let client_via = ok
        .split("\r\n")
        .filter(|l| l.starts_with("Via: "))
        .nth(1)
        .unwrap()
        .to_owned();
    let lone = ok.replacen(&format!("{client_via}\r\n"), "", 1);
    let d = e.on_response(lone.into_bytes(), now());
    assert!(
        matches!(
            &d,
            ResponseDecision::Drop(DropReason::MalformedResponse(Violation::Missing {
                header: "Via",
                ..
            }))
        ),
        "{d:?}"
    );
}

#[test]
fn tokens_over_insecure_transports_are_refused_unless_allowed() {
    // RFC 6750 5.3: by default a bearer token is taken only over TLS, WSS or a flow the
    // host declares secure.
    let e = edge();
    for transport in [Transport::Udp, Transport::Tcp, Transport::Ws] {
        let mut clear = wss();
        clear.transport = transport;
        let d = e.on_request(REGISTER.to_vec(), &clear);
        let RequestDecision::Reply { rejection, .. } = &d else {
            panic!("not refused over {transport:?}: {d:?}");
        };
        assert_eq!(
            (rejection.status, &rejection.cause),
            (403, &RejectCause::InsecureTransport)
        );
        assert_eq!(
            rejection.to_string(),
            "403 Forbidden (bearer token needs a secure transport): bearer token over an insecure transport"
        );
        // A flow the host vouches for (IPsec, TLS ended in front of it) is secure.
        let declared = Inbound {
            secure_flow: true,
            ..clear
        };
        assert!(matches!(
            e.on_request(REGISTER.to_vec(), &declared),
            RequestDecision::Forward { .. }
        ));
    }
    for transport in [Transport::Tls, Transport::Wss] {
        let mut secure = wss();
        secure.transport = transport;
        assert!(matches!(
            e.on_request(REGISTER.to_vec(), &secure),
            RequestDecision::Forward { .. }
        ));
    }
    // Allowed explicitly: a lab edge on plain sockets.
    let lab = edge_with(
        config().allow_insecure_transport(true),
        sip_oauth::validate::FixedValidator::new().with_token(sample_token(), bob()),
    );
    let mut udp = wss();
    udp.transport = Transport::Udp;
    assert!(matches!(
        lab.on_request(REGISTER.to_vec(), &udp),
        RequestDecision::Forward { .. }
    ));
}
