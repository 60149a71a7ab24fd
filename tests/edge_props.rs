//! Properties of the edge over generated client input: whatever the client sends,
//! a forwarded request parses, carries exactly one Authorization (the edge's own),
//! never the client's token or a client `integrity-protected`, and no header the
//! client did not send apart from the edge's own.

mod common;

use common::*;
use proptest::prelude::*;
use sip_oauth::edge::RequestDecision;
use sip_oauth::message::{HeaderName, Message};

/// Headers the edge itself adds or rewrites.
const EDGE_HEADERS: &[&str] = &[
    "Via",
    "Authorization",
    "Path",
    "Require",
    "P-Visited-Network-ID",
    "P-Charging-Vector",
    "Expires",
    "Max-Forwards",
];

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X-Extra".to_owned()),
        Just("Subject".to_owned()),
        Just("s".to_owned()),
        Just("authorization".to_owned()),
        Just("PROXY-AUTHORIZATION".to_owned()),
        Just("P-Asserted-Identity".to_owned()),
        Just("P-Preferred-Identity".to_owned()),
        Just("Path".to_owned()),
        Just("User-Agent".to_owned()),
        "[A-Za-z][A-Za-z0-9-]{0,12}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        Just("Digest username=\"x@y\", integrity-protected=\"auth-done\"".to_owned()),
        Just("Digest username=\"x@y\", integrity-protected=yes, response=\"\"".to_owned()),
        Just("Bearer some.other.token".to_owned()),
        Just("<sip:admin@home.example>".to_owned()),
        Just("a,\r\n b".to_owned()),
    ]
}

fn display_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Za-z]{1,8}( [A-Za-z]{1,8})?".prop_map(|s| format!("{s} ")),
        "[ -!#-\\[\\]-~]{0,12}".prop_map(|s| format!("\"{s}\" ")),
        Just("\"a\\\"b\\\\c\" ".to_owned()),
    ]
}

fn register() -> impl Strategy<Value = (String, Vec<(String, String)>)> {
    (
        display_name(),
        prop::collection::vec((header_name(), header_value()), 0..6),
        any::<bool>(),
        0u32..7200,
    )
        .prop_map(|(display, extra, compact, expires)| {
            let base = String::from_utf8(REGISTER.to_vec()).unwrap();
            let mut text = base
                .replace("To: \"Bob\" ", &format!("To: {display}"))
                .replace("Expires: 3600", &format!("Expires: {expires}"));
            if compact {
                text = text
                    .replacen("Call-ID:", "i:", 1)
                    .replacen("Contact:", "m:", 1);
            }
            let block: String = extra.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
            text = text.replacen("Allow:", &format!("{block}Allow:"), 1);
            (text, extra)
        })
}

fn names(msg: &Message) -> Vec<String> {
    msg.headers()
        .iter()
        .map(|h| match h.name.canonical() {
            Some(c) => c.to_owned(),
            None => String::from_utf8_lossy(msg.name_bytes(h)).to_ascii_lowercase(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn forwarded_requests_are_clean((text, extra) in register()) {
        let input = Message::parse(text.clone().into_bytes());
        let token = sample_token();
        match edge().on_request(text.into_bytes(), &wss()) {
            RequestDecision::Forward { bytes, .. } => {
                let out = Message::parse(bytes.clone()).expect("forwarded request parses");
                let raw = String::from_utf8_lossy(&bytes);
                prop_assert!(!raw.contains(&token));
                // The only credentials are the edge's: one Authorization, auth-done.
                let auths: Vec<_> = out.find(HeaderName::Authorization).collect();
                prop_assert_eq!(auths.len(), 1);
                let value = out.value_str(auths[0]).unwrap();
                prop_assert!(value.starts_with("Digest username=\"bob@"));
                prop_assert_eq!(value.matches("integrity-protected").count(), 1);
                prop_assert!(value.ends_with("integrity-protected=\"auth-done\""));
                // A client's `integrity-protected` survives only as opaque text in a
                // header that carries no credentials.
                let opaque = extra
                    .iter()
                    .filter(|(n, _)| {
                        // Credentials, asserted identities and a client Path: the
                        // edge removes them.
                        ![
                            "authorization",
                            "proxy-authorization",
                            "p-asserted-identity",
                            "p-preferred-identity",
                            "path",
                        ]
                        .iter()
                        .any(|c| n.eq_ignore_ascii_case(c))
                    })
                    .map(|(_, v)| v.matches("integrity-protected").count())
                    .sum::<usize>();
                prop_assert_eq!(raw.matches("integrity-protected").count(), opaque + 1);
                prop_assert_eq!(out.find(HeaderName::ProxyAuthorization).count(), 0);
                prop_assert_eq!(out.find(HeaderName::PAssertedIdentity).count(), 0);
                // Nothing appears that the client did not send, except the edge's own.
                let sent = names(&input.expect("input parsed, since it was forwarded"));
                for name in names(&out) {
                    prop_assert!(
                        sent.contains(&name) || EDGE_HEADERS.contains(&name.as_str()),
                        "unexpected header {}", name
                    );
                }
            }
            RequestDecision::Reply { bytes, .. } => {
                let raw = String::from_utf8_lossy(&bytes);
                prop_assert!(Message::parse(bytes.clone()).is_ok());
                prop_assert!(!raw.contains(&token));
            }
            RequestDecision::Drop(_) | RequestDecision::Originate { .. } | RequestDecision::Pending(_) => {}
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let e = edge();
        let _ = e.on_request(bytes.clone(), &wss());
        let _ = e.on_response(bytes, now());
    }

    #[test]
    fn mutated_registers_never_panic(
        at in 0usize..1200,
        byte in any::<u8>(),
        cut in prop::option::of(0usize..1200),
    ) {
        let mut input = REGISTER.to_vec();
        let i = at % input.len();
        input[i] = byte;
        if let Some(c) = cut {
            input.truncate(c % input.len());
        }
        if let RequestDecision::Forward { bytes, .. } = edge().on_request(input, &wss()) {
            prop_assert!(Message::parse(bytes.clone()).is_ok());
            prop_assert!(!String::from_utf8_lossy(&bytes).contains(&sample_token()));
        }
    }
}
