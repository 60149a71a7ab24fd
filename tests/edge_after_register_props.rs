//! Properties of the requests after REGISTER over generated input: whatever a
//! registered client adds to a MESSAGE, what reaches the core parses, asserts exactly one
//! identity and that identity is registered, carries the Service-Route as its only Route
//! and none of the client's credentials or assertions; whatever the core puts in the
//! Route of a request, it is delivered only to the flow the edge's own token names.

mod common;

use common::*;
use proptest::prelude::*;
use sip_oauth::edge::{CoreRequestDecision, Edge, FlowId, Inbound, RequestDecision};
use sip_oauth::message::Message;

const BOB: &str = "sip:bob@ims.mnc001.mcc001.3gppnetwork.org";
const REGISTERED: [&str; 2] = [BOB, "tel:+15550100123"];

/// Bob registered on flow 7; returns the edge and its Path URI.
fn registered() -> (Edge, String) {
    let e = edge();
    let fwd = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let path = text(&fwd)
        .split("\r\nPath: <")
        .nth(1)
        .and_then(|p| p.split(';').next())
        .unwrap()
        .to_owned();
    let _ = relayed(e.on_response(ok_for(&fwd), now()));
    (e, path)
}

fn extra_header() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("P-Asserted-Identity"),
        Just("P-Preferred-Identity"),
        Just("Authorization"),
        Just("Proxy-Authorization"),
        Just("Route"),
        Just("P-Charging-Vector"),
        Just("Record-Route"),
        Just("Subject"),
    ];
    let value = prop_oneof![
        Just("<sip:ceo@ims.mnc001.mcc001.3gppnetwork.org>".to_owned()),
        Just("<tel:+15550100123>".to_owned()),
        Just(format!("<{BOB}>")),
        Just("Bearer stolen.token.value".to_owned()),
        Just("<sip:elsewhere.example;lr>".to_owned()),
        "[ -~]{0,30}",
    ];
    (name, value).prop_map(|(n, v)| (n.to_owned(), v))
}

fn from_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(BOB.to_owned()),
        Just("sip:BOB@IMS.mnc001.mcc001.3gppnetwork.org".to_owned()),
        Just("tel:+1-555-0100-123".to_owned()),
        Just("sip:alice@ims.mnc001.mcc001.3gppnetwork.org".to_owned()),
        Just("sip:anonymous@anonymous.invalid".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn what_reaches_the_core_asserts_one_registered_identity(
        from in from_uri(),
        extras in proptest::collection::vec(extra_header(), 0..5),
        method in prop_oneof![Just("MESSAGE"), Just("INVITE"), Just("OPTIONS"), Just("SUBSCRIBE")],
    ) {
        let (e, _) = registered();
        let mut msg = format!(
            "{method} sip:alice@ims.mnc001.mcc001.3gppnetwork.org SIP/2.0\r\n\
             Via: SIP/2.0/WSS c.invalid;branch=z9hG4bKp1\r\nMax-Forwards: 70\r\n\
             To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>\r\nFrom: <{from}>;tag=1\r\n\
             Call-ID: p1\r\nCSeq: 1 {method}\r\n"
        );
        for (n, v) in &extras {
            msg.push_str(&format!("{n}: {v}\r\n"));
        }
        msg.push_str("Content-Length: 0\r\n\r\n");
        match e.on_request(msg.into_bytes(), &wss()) {
            RequestDecision::Originate { bytes, asserted } => {
                let out = Message::parse(bytes.clone()).expect("parses");
                let text = text(&bytes);
                let pai: Vec<&str> = text
                    .split("\r\n")
                    .filter_map(|l| l.strip_prefix("P-Asserted-Identity: "))
                    .collect();
                prop_assert_eq!(pai.len(), 1, "{}", text);
                let asserted = asserted.expect("an initial request asserts");
                prop_assert!(REGISTERED.contains(&asserted.as_str()), "{}", asserted);
                prop_assert_eq!(pai[0], format!("<{asserted}>"));
                let routes: Vec<&str> = text
                    .split("\r\n")
                    .filter_map(|l| l.strip_prefix("Route: "))
                    .collect();
                prop_assert_eq!(routes, ["<sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>"]);
                // What the client wrote survives only where it is content (Subject).
                let leaked = text.split("\r\n").filter(|l| !l.starts_with("Subject:"))
                    .any(|l| l.contains("stolen.token") || l.contains("ceo@"));
                prop_assert!(!leaked, "{}", text);
                prop_assert!(!text.contains("Authorization:") && !text.contains("P-Preferred-Identity"));
                prop_assert!(out.method() == Some(method));
            }
            RequestDecision::Reply { rejection, .. } => {
                prop_assert!(matches!(rejection.status, 400 | 403 | 416 | 420), "{}", rejection);
            }
            RequestDecision::Drop(_) => {}
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn the_core_reaches_only_the_flow_the_edges_token_names(
        flip in 0usize..48,
        to in prop_oneof![Just('A'), Just('z'), Just('-'), Just('_')],
        as_uri in any::<bool>(),
    ) {
        let (e, path) = registered();
        // Bob also on flow 8: a forged token must not reach either flow.
        let fwd = forwarded(e.on_request(REGISTER.to_vec(), &Inbound { flow: FlowId(8), ..wss() }));
        let _ = relayed(e.on_response(ok_for(&fwd), now()));
        let mut token: Vec<char> = path["sip:".len()..path.find('@').unwrap()].chars().collect();
        let original = token.clone();
        let at = flip % token.len();
        token[at] = to;
        let token: String = token.into_iter().collect();
        let uri = format!("sip:{token}@pcscf.visited.example:5060");
        let (ruri, route) = if as_uri {
            (uri.clone(), String::new())
        } else {
            ("sip:r@client.invalid".to_owned(), format!("Route: <{uri};lr>\r\n"))
        };
        let invite = format!(
            "INVITE {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP core.example;branch=z9hG4bKq\r\n\
             Max-Forwards: 70\r\n{route}To: <{BOB}>\r\nFrom: <sip:a@b.example>;tag=1\r\n\
             Call-ID: q\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        match e.on_core_request(invite.into_bytes(), now()) {
            CoreRequestDecision::Deliver { flow, .. } => {
                prop_assert_eq!(token.chars().collect::<Vec<_>>(), original, "a changed token was delivered");
                prop_assert_eq!(flow, FlowId(7));
            }
            CoreRequestDecision::Reply { rejection, .. } => prop_assert_eq!(rejection.status, 430),
            CoreRequestDecision::Drop(_) => {}
        }
    }

    #[test]
    fn each_refresh_holds_the_route_and_identities_its_200_ok_gave(
        answers in proptest::collection::vec(core_answer(), 1..6),
    ) {
        let (e, _) = registered();
        for (route, associated, spaced) in &answers {
            let fwd = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
            let ok = String::from_utf8(ok_for(&fwd)).unwrap();
            let join = |uris: &[&str]| {
                let sep = if *spaced { " ,  " } else { "," };
                uris.iter().map(|u| format!("<{u}>")).collect::<Vec<_>>().join(sep)
            };
            let mut ok = ok
                .replacen(
                    "Service-Route: <sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>",
                    &format!("Service-Route: {}", join(route)),
                    1,
                )
                .replacen(
                    &format!("P-Associated-URI: <{BOB}>, <tel:+15550100123>"),
                    &format!("P-Associated-URI: {}", join(associated)),
                    1,
                );
            if route.is_empty() {
                ok = ok.replacen("Service-Route: \r\n", "", 1);
            }
            let _ = relayed(e.on_response(ok.into_bytes(), now()));
            let held = e.registrations_of(FlowId(7), now());
            prop_assert_eq!(held.len(), 1);
            prop_assert_eq!(&held[0].service_route, route);
            prop_assert_eq!(&held[0].associated_uris, associated);
        }
    }
}

/// A Service-Route and a P-Associated-URI set as the core might answer a refresh with,
/// and whether the list is written with spaces around its commas.
fn core_answer() -> impl Strategy<Value = (Vec<&'static str>, Vec<&'static str>, bool)> {
    let route = proptest::sample::subsequence(
        vec![
            "sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr",
            "sip:orig@scscf2.ims.mnc001.mcc001.3gppnetwork.org;lr",
            "sip:icscf.ims.mnc001.mcc001.3gppnetwork.org;lr",
        ],
        0..3,
    );
    let associated =
        proptest::sample::subsequence(vec![BOB, "tel:+15550100123", "sip:b2@ims.example"], 1..3);
    (route, associated, any::<bool>())
}
