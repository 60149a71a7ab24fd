//! After REGISTER: the registration the edge keeps, requests of the registered client
//! toward the core (TS 24.229 5.2.6.3), requests of the core toward the client along
//! the Path or Record-Route (RFC 5626 5.3), responses both ways, and every refusal.

mod common;

use std::time::Duration;

use common::*;
use sip_oauth::edge::{
    CoreRequestDecision, DropReason, Edge, FlowId, Inbound, RejectCause, RequestDecision,
    ResponseDecision,
};
use sip_oauth::message::Message;
use sip_oauth::validate::FixedValidator;

const BOB: &str = "sip:bob@ims.mnc001.mcc001.3gppnetwork.org";
const SERVICE_ROUTE: &str = "<sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>";
const CONTACT: &str = "sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws";

fn on(flow: u64) -> Inbound<'static> {
    Inbound {
        flow: FlowId(flow),
        ..wss()
    }
}

fn at(flow: u64, secs: u64) -> Inbound<'static> {
    Inbound {
        flow: FlowId(flow),
        now: now() + Duration::from_secs(secs),
        ..wss()
    }
}

fn header<'a>(msg: &'a str, name: &str) -> Vec<&'a str> {
    let prefix = format!("{name}: ");
    msg.split("\r\n")
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect()
}

/// Registers Bob on `flow` (the REGISTER forwarded, the core's 200 OK relayed) and
/// returns the Path URI the edge wrote.
fn register(edge: &Edge, flow: u64) -> String {
    let fwd = forwarded(edge.on_request(REGISTER.to_vec(), &on(flow)));
    let path = header(text(&fwd), "Path")[0].to_owned();
    let (to, _) = relayed(edge.on_response(ok_for(&fwd), now()));
    assert_eq!(to, FlowId(flow));
    path.trim_start_matches('<')
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn request(method: &str, from: &str, extra: &str) -> Vec<u8> {
    format!(
        "{method} sip:alice@ims.mnc001.mcc001.3gppnetwork.org SIP/2.0\r\n\
         Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK{method}1\r\n\
         Max-Forwards: 70\r\nTo: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>\r\n\
         From: <{from}>;tag=f1\r\nCall-ID: call-1\r\nCSeq: 1 {method}\r\n\
         Contact: <{CONTACT}>\r\n{extra}Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn originated(d: RequestDecision) -> (String, Option<String>) {
    match d {
        RequestDecision::Originate { bytes, asserted } => {
            Message::parse(bytes.clone()).expect("the forwarded request parses");
            (text(&bytes).to_owned(), asserted)
        }
        other => panic!("expected Originate, got {other:?}"),
    }
}

fn refused(d: RequestDecision) -> (u16, RejectCause, String) {
    match d {
        RequestDecision::Reply {
            bytes, rejection, ..
        } => (rejection.status, rejection.cause, text(&bytes).to_owned()),
        other => panic!("expected Reply, got {other:?}"),
    }
}

fn delivered(d: CoreRequestDecision) -> (FlowId, String) {
    match d {
        CoreRequestDecision::Deliver { flow, bytes } => {
            Message::parse(bytes.clone()).expect("the delivered request parses");
            (flow, text(&bytes).to_owned())
        }
        other => panic!("expected Deliver, got {other:?}"),
    }
}

fn core_reply(d: CoreRequestDecision) -> (u16, String) {
    match d {
        CoreRequestDecision::Reply { bytes, rejection } => {
            (rejection.status, text(&bytes).to_owned())
        }
        other => panic!("expected Reply, got {other:?}"),
    }
}

/// The value of `param=` in the first line of `msg` starting with `line`.
fn param(msg: &str, line: &str, param: &str) -> String {
    let l = msg.split("\r\n").find(|l| l.starts_with(line)).unwrap();
    l.split(&format!("{param}="))
        .nth(1)
        .unwrap()
        .split([';', '\r', ',', '>'])
        .next()
        .unwrap()
        .to_owned()
}

/// A terminating INVITE from the core for Bob, routed along `route`.
fn terminating(route: &str, request_uri: &str) -> Vec<u8> {
    format!(
        "INVITE {request_uri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP scscf1.ims.mnc001.mcc001.3gppnetwork.org;branch=z9hG4bKcore1\r\n\
         Via: SIP/2.0/UDP pcscf.a.example;branch=z9hG4bKa1\r\n\
         Max-Forwards: 68\r\n{route}\
         Record-Route: <sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>\r\n\
         To: <{BOB}>\r\nFrom: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=a1\r\n\
         Call-ID: term-1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@192.0.2.9>\r\n\
         P-Asserted-Identity: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>\r\n\
         P-Charging-Vector: icid-value=abc\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn a_2xx_to_register_leaves_the_registration_and_de_registration_ends_it() {
    let e = edge();
    assert_eq!((e.registrations(), e.next_expiry()), (0, None));
    register(&e, 1);
    let regs = e.registrations_of(FlowId(1), now());
    assert_eq!(regs.len(), 1);
    let r = &regs[0];
    assert_eq!(r.aor, BOB);
    assert_eq!(r.impi, format!("bob@{HOME}"));
    assert_eq!(r.granted_impus, [BOB, "tel:+15550100123"]);
    assert_eq!(r.associated_uris, [BOB, "tel:+15550100123"]);
    assert_eq!(
        r.service_route,
        ["sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr"]
    );
    assert_eq!(r.contacts[0].0, CONTACT);
    // The REGISTER asked 3600 s; the token has 1800 s: the registration ends with it.
    assert_eq!(r.ends, now() + Duration::from_secs(1800));
    assert_eq!(e.next_expiry(), Some(r.ends));

    // Expires: 0 and the core's 200 OK end it.
    let dereg = text(REGISTER)
        .replace("Expires: 3600", "Expires: 0")
        .replace(";expires=3600", "")
        .replace("CSeq: 1 REGISTER", "CSeq: 2 REGISTER");
    let fwd = forwarded(e.on_request(dereg.into_bytes(), &on(1)));
    let ok = text(&ok_for(&fwd))
        .replace("CSeq: 1 REGISTER", "CSeq: 2 REGISTER")
        .replace(";expires=3600", ";expires=0");
    let _ = relayed(e.on_response(ok.into_bytes(), now()));
    assert!(e.registrations_of(FlowId(1), now()).is_empty());
    assert_eq!(e.registrations(), 0);
}

#[test]
fn a_refresh_writes_the_path_its_registration_was_given_however_the_aor_is_spelt() {
    let e = edge();
    let first = register(&e, 1);
    let path_of = |register: String| {
        let fwd = forwarded(e.on_request(register.into_bytes(), &on(1)));
        header(text(&fwd), "Path")[0].to_owned()
    };
    let refresh = text(REGISTER).replace("CSeq: 1 REGISTER", "CSeq: 2 REGISTER");
    // As written before, then with the host in capitals (the same AOR, RFC 3261
    // 19.1.4): the same Path URI both times, and still one registration.
    let same = path_of(refresh.clone());
    let upper = HOME.to_uppercase();
    let respelt = refresh
        .replace(
            &format!("To: \"Bob\" <sip:bob@{HOME}>"),
            &format!("To: \"Bob\" <sip:bob@{upper}>"),
        )
        .replace("CSeq: 2 REGISTER", "CSeq: 3 REGISTER");
    assert!(respelt.contains(&upper));
    let other_spelling = path_of(respelt);
    for path in [&same, &other_spelling] {
        assert!(
            path.starts_with(&format!("<{first};")),
            "{path} after {first}"
        );
    }
    assert_eq!(e.registrations(), 1);
    // Another flow's registration of the same AOR has a Path of its own.
    assert_ne!(register(&e, 2), first);
}

#[test]
fn an_initial_request_of_a_registered_client_carries_the_edges_assertions() {
    let e = edge();
    register(&e, 1);
    let extra = "P-Asserted-Identity: <sip:ceo@ims.mnc001.mcc001.3gppnetwork.org>\r\n\
                 Route: <sip:somewhere.else;lr>\r\nP-Charging-Vector: icid-value=forged\r\n\
                 Authorization: Bearer leaked-token\r\n";
    let (out, asserted) = originated(e.on_request(request("MESSAGE", BOB, extra), &on(1)));
    assert_eq!(asserted.as_deref(), Some(BOB));
    assert_eq!(header(&out, "P-Asserted-Identity"), [format!("<{BOB}>")]);
    assert_eq!(header(&out, "Route"), [SERVICE_ROUTE]);
    assert!(!out.contains("ceo@") && !out.contains("somewhere.else"));
    assert!(!out.contains("leaked-token") && !out.contains("forged"));
    assert!(!out.contains("Authorization"));
    let vias = header(&out, "Via");
    assert!(
        vias[0].starts_with("SIP/2.0/UDP pcscf.visited.example:5060;branch=z9hG4bKoa"),
        "{out}"
    );
    assert!(vias[1].contains(";received=198.51.100.7"), "{out}");
    assert_eq!(header(&out, "Max-Forwards"), ["69"]);
    assert!(header(&out, "P-Charging-Vector")[0].starts_with("icid-value="));
    // A MESSAGE creates no dialog: no Record-Route.
    assert!(header(&out, "Record-Route").is_empty());

    // A registered preferred identity is asserted instead of the default one.
    let ppi = "P-Preferred-Identity: <tel:+15550100123>\r\n";
    let (out, asserted) = originated(e.on_request(request("MESSAGE", BOB, ppi), &on(1)));
    assert_eq!(asserted.as_deref(), Some("tel:+15550100123"));
    assert_eq!(header(&out, "P-Asserted-Identity"), ["<tel:+15550100123>"]);
    assert!(!out.contains("P-Preferred-Identity"));

    // RFC 3323: an anonymous From still gets the registered identity asserted.
    let anon = "sip:anonymous@anonymous.invalid";
    let (out, _) = originated(e.on_request(request("OPTIONS", anon, ""), &on(1)));
    assert_eq!(header(&out, "P-Asserted-Identity"), [format!("<{BOB}>")]);
}

#[test]
fn requests_from_unregistered_connections_or_identities_are_refused() {
    let e = edge();
    register(&e, 1);
    // Another connection registered nothing.
    let (status, cause, reply) = refused(e.on_request(request("MESSAGE", BOB, ""), &on(2)));
    assert_eq!((status, cause), (403, RejectCause::NotRegistered));
    assert!(reply.starts_with("SIP/2.0 403 Forbidden (not registered"));
    // A From that is not among the registered identities.
    let spoofed = "sip:alice@ims.mnc001.mcc001.3gppnetwork.org";
    let (status, cause, _) = refused(e.on_request(request("MESSAGE", spoofed, ""), &on(1)));
    assert_eq!((status, cause), (403, RejectCause::UnregisteredIdentity));
    // A preferred identity that is not registered, or does not parse.
    for ppi in ["<sip:ceo@ims.mnc001.mcc001.3gppnetwork.org>", "<<<"] {
        let extra = format!("P-Preferred-Identity: {ppi}\r\n");
        let (status, cause, _) = refused(e.on_request(request("INVITE", BOB, &extra), &on(1)));
        assert_eq!(
            (status, cause),
            (403, RejectCause::UnregisteredIdentity),
            "{ppi}"
        );
    }
    // An ACK to the edge's own refusal stays at the edge.
    let ack = text(&request("ACK", BOB, "")).replace(
        "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>",
        "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=ep",
    );
    assert!(matches!(
        e.on_request(ack.into_bytes(), &on(2)),
        RequestDecision::Drop(DropReason::Ack)
    ));
}

#[test]
fn the_registration_ends_with_the_token_and_the_client_is_told_to_renew_it() {
    let e = edge();
    register(&e, 1);
    let after = 1801;
    let (status, cause, reply) = refused(e.on_request(request("MESSAGE", BOB, ""), &at(1, after)));
    assert_eq!((status, cause), (401, RejectCause::TokenLapsed));
    assert!(
        reply.contains("WWW-Authenticate: Bearer realm=") && reply.contains("invalid_token"),
        "{reply}"
    );
    assert_eq!(e.sweep(now() + Duration::from_secs(after)), 1);
    assert_eq!((e.registrations(), e.next_expiry()), (0, None));
    let (_, cause, _) = refused(e.on_request(request("MESSAGE", BOB, ""), &at(1, after)));
    assert_eq!(cause, RejectCause::NotRegistered);
}

#[test]
fn dialogs_stay_on_the_edge_and_cancel_gets_the_invites_branch() {
    let e = edge();
    register(&e, 1);
    let sdp = "Content-Type: application/sdp\r\n";
    let (invite, asserted) = originated(e.on_request(request("INVITE", BOB, sdp), &on(1)));
    assert_eq!(asserted.as_deref(), Some(BOB));
    let rr = header(&invite, "Record-Route");
    assert_eq!(rr.len(), 1);
    assert!(
        rr[0].starts_with("<sip:r") && rr[0].ends_with("@pcscf.visited.example:5060;lr>"),
        "{rr:?}"
    );
    let branch = param(&invite, "Via: SIP/2.0/UDP pcscf", "branch");

    // RFC 3261 16.11: the CANCEL gets the INVITE's branch, and the same route.
    let cancel = text(&request("INVITE", BOB, ""))
        .replace("CSeq: 1 INVITE", "CSeq: 1 CANCEL")
        .replace("INVITE sip:", "CANCEL sip:");
    let (out, asserted) = originated(e.on_request(cancel.into_bytes(), &on(1)));
    assert_eq!(asserted, None);
    assert_eq!(param(&out, "Via: SIP/2.0/UDP pcscf", "branch"), branch);
    assert_eq!(header(&out, "Route"), [SERVICE_ROUTE]);
    assert!(header(&out, "Record-Route").is_empty());

    // The core's 180 comes back to the flow.
    let ringing = format!(
        "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP pcscf.visited.example:5060;branch={branch}\r\n\
         Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bKINVITE1\r\n\
         Record-Route: <sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>, {}\r\n\
         To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=callee\r\n\
         From: <{BOB}>;tag=f1\r\nCall-ID: call-1\r\nCSeq: 1 INVITE\r\n\
         P-Charging-Vector: icid-value=x\r\nContent-Length: 0\r\n\r\n",
        rr[0]
    );
    let (flow, out) = relayed(e.on_response(ringing.into_bytes(), now()));
    assert_eq!(flow, FlowId(1));
    assert!(!out.contains("P-Charging-Vector"));

    // In the dialog, the client's route set starts with the edge's entry, which goes.
    let route = format!(
        "Route: {}\r\nRoute: <sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>\r\n",
        rr[0]
    );
    let bye = |flow: u64, route: &str| {
        let b = text(&request("BYE", BOB, route))
            .replace("CSeq: 1 BYE", "CSeq: 2 BYE")
            .replace(
                "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>",
                "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=callee",
            );
        e.on_request(b.into_bytes(), &on(flow))
    };
    // The ACK of the 2xx follows the dialog's route set too.
    let ack = text(&request("ACK", BOB, &route))
        .replace(
            "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>",
            "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=callee",
        )
        .replace("branch=z9hG4bKACK1", "branch=z9hG4bKack2xx");
    let (out, asserted) = originated(e.on_request(ack.into_bytes(), &on(1)));
    assert_eq!(asserted, None);
    assert_eq!(
        header(&out, "Route"),
        ["<sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>"]
    );
    // The ACK of a non-2xx answer from the core goes where the INVITE went, with its
    // branch (RFC 3261 17.1.1.3, 16.11).
    let ack = text(&request("INVITE", BOB, ""))
        .replace("INVITE sip:", "ACK sip:")
        .replace("CSeq: 1 INVITE", "CSeq: 1 ACK")
        .replace(
            "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>",
            "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=busy",
        );
    let (out, _) = originated(e.on_request(ack.into_bytes(), &on(1)));
    assert_eq!(param(&out, "Via: SIP/2.0/UDP pcscf", "branch"), branch);
    assert_eq!(header(&out, "Route"), [SERVICE_ROUTE]);
    // From a connection that registered nothing, an ACK is not answered.
    let stray = text(&request("ACK", BOB, "")).replace(
        "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>",
        "To: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=x",
    );
    assert!(matches!(
        e.on_request(stray.into_bytes(), &on(99)),
        RequestDecision::Drop(DropReason::Ack)
    ));

    let (out, asserted) = originated(bye(1, &route));
    assert_eq!(asserted, None);
    assert_eq!(
        header(&out, "Route"),
        ["<sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>"]
    );
    assert!(out.contains("Via: SIP/2.0/UDP pcscf.visited.example:5060;branch=z9hG4bKoa"));
    // The same entry from another connection (even a registered one), none at all, or
    // a tampered one: refused.
    register(&e, 2);
    let mut bad = rr[0].to_owned().into_bytes();
    bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
    let bad = format!("Route: {}\r\n", String::from_utf8(bad).unwrap());
    for (flow, route) in [(2, route.as_str()), (1, ""), (1, bad.as_str())] {
        let (status, cause, _) = refused(bye(flow, route));
        assert_eq!(
            (status, cause),
            (403, RejectCause::OutsideDialog),
            "{route}"
        );
    }
}

#[test]
fn a_request_from_the_core_reaches_the_flow_along_the_path() {
    let e = edge();
    let path = register(&e, 1);
    let route = format!("Route: <{path};lr;ob>\r\n");
    let (flow, out) = delivered(e.on_core_request(terminating(&route, CONTACT), now()));
    assert_eq!(flow, FlowId(1));
    assert!(header(&out, "Route").is_empty(), "{out}");
    let vias = header(&out, "Via");
    assert_eq!(vias.len(), 3);
    assert!(
        vias[0].starts_with("SIP/2.0/WSS pcscf.visited.example:5060;branch=z9hG4bKot"),
        "{out}"
    );
    let rr = header(&out, "Record-Route");
    assert!(rr[0].starts_with("<sip:r"), "{rr:?}");
    assert_eq!(rr[1], "<sip:scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>");
    assert_eq!(header(&out, "Max-Forwards"), ["67"]);
    assert!(!out.contains("P-Charging-Vector"));

    // A core that routes to the Path URI itself reaches the registered binding.
    let (flow, out) = delivered(e.on_core_request(terminating("", &path), now()));
    assert_eq!(flow, FlowId(1));
    assert!(
        out.starts_with(&format!("INVITE {CONTACT} SIP/2.0\r\n")),
        "{out}"
    );

    // Bob answers; the answer goes to the core without the edge's Via, with Bob's
    // identity asserted by the edge, not by Bob.
    let (_, out) = delivered(e.on_core_request(terminating(&route, CONTACT), now()));
    let branch = param(&out, "Via: SIP/2.0/WSS pcscf", "branch");
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS pcscf.visited.example:5060;branch={branch}\r\n\
         Via: SIP/2.0/UDP scscf1.ims.mnc001.mcc001.3gppnetwork.org;branch=z9hG4bKcore1\r\n\
         Via: SIP/2.0/UDP pcscf.a.example;branch=z9hG4bKa1\r\n\
         To: <{BOB}>;tag=b1\r\nFrom: <sip:alice@ims.mnc001.mcc001.3gppnetwork.org>;tag=a1\r\n\
         Call-ID: term-1\r\nCSeq: 7 INVITE\r\nContact: <{CONTACT}>\r\n\
         P-Asserted-Identity: <sip:ceo@ims.mnc001.mcc001.3gppnetwork.org>\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match e.on_client_response(ok.clone().into_bytes(), &on(1)) {
        ResponseDecision::ToCore { bytes, status } => {
            let out = text(&bytes);
            assert_eq!(status, 200);
            assert!(
                out.starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP scscf1"),
                "{out}"
            );
            assert_eq!(header(out, "P-Asserted-Identity"), [format!("<{BOB}>")]);
        }
        other => panic!("{other:?}"),
    }
    // The same answer from another connection, or with a branch toward the core, drops.
    assert_eq!(
        e.on_client_response(ok.clone().into_bytes(), &on(2)),
        ResponseDecision::Drop(DropReason::OtherFlow)
    );
    let forged = ok.replace("z9hG4bKot", "z9hG4bKoa");
    assert!(matches!(
        e.on_client_response(forged.into_bytes(), &on(1)),
        ResponseDecision::Drop(DropReason::Tampered(_))
    ));
}

#[test]
fn a_flow_that_is_gone_gets_430_and_a_forged_token_is_dropped() {
    let e = edge();
    let path = register(&e, 1);
    let route = format!("Route: <{path};lr;ob>\r\n");
    // A forged token: dropped with the reason, nothing sent.
    let mut forged = path.clone().into_bytes();
    forged[8] = if forged[8] == b'A' { b'B' } else { b'A' };
    let forged = format!("Route: <{};lr>\r\n", String::from_utf8(forged).unwrap());
    assert!(matches!(
        e.on_core_request(terminating(&forged, CONTACT), now()),
        CoreRequestDecision::Drop(DropReason::Tampered(_))
    ));
    // A request that is not for this edge at all.
    assert_eq!(
        e.on_core_request(terminating("", "sip:bob@elsewhere.example"), now()),
        CoreRequestDecision::Drop(DropReason::NotRoutedHere)
    );
    // The flow closes: 430.
    assert_eq!(e.flow_closed(FlowId(1)), 1);
    let (status, reply) = core_reply(e.on_core_request(terminating(&route, CONTACT), now()));
    assert_eq!(status, 430);
    assert!(reply.starts_with("SIP/2.0 430 Flow Failed\r\n"), "{reply}");
    assert!(reply.contains("Via: SIP/2.0/UDP scscf1"), "{reply}");

    // A restarted edge (another epoch, the same key) answers 430 for the old Path.
    let before = Edge::new(
        config().epoch(1),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    let old = register(&before, 1);
    let restarted = Edge::new(
        config().epoch(2),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    let _ = register(&restarted, 1);
    let route = format!("Route: <{old};lr;ob>\r\n");
    let (status, _) = core_reply(restarted.on_core_request(terminating(&route, CONTACT), now()));
    assert_eq!(status, 430);
    // Its registration expired: 430 too.
    let (status, _) = core_reply(before.on_core_request(
        terminating(&route, CONTACT),
        now() + Duration::from_secs(1801),
    ));
    assert_eq!(status, 430);
    // An ACK is never answered.
    let ack = text(&terminating(&route, CONTACT))
        .replace("INVITE sip", "ACK sip")
        .replace("7 INVITE", "7 ACK");
    assert_eq!(
        restarted.on_core_request(ack.into_bytes(), now()),
        CoreRequestDecision::Drop(DropReason::Ack)
    );
}

#[test]
fn a_full_table_refuses_new_registrations_with_503() {
    let e = Edge::new(
        config().max_registrations(1),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    register(&e, 1);
    // A refresh on the same flow is not a new entry.
    register(&e, 1);
    let (status, cause, reply) = refused(e.on_request(REGISTER.to_vec(), &on(2)));
    assert_eq!((status, cause), (503, RejectCause::RegistrationsFull));
    assert!(reply.contains("\r\nRetry-After: 60\r\n"), "{reply}");
}

#[test]
fn many_threads_register_and_look_up_at_once() {
    let e = edge();
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let e = &e;
            s.spawn(move || {
                for i in 0..50 {
                    let flow = t * 1000 + i;
                    register(e, flow);
                    let (_, asserted) =
                        originated(e.on_request(request("MESSAGE", BOB, ""), &on(flow)));
                    assert_eq!(asserted.as_deref(), Some(BOB));
                }
            });
        }
    });
    assert_eq!(e.registrations(), 400);
    assert_eq!(e.sweep(now() + Duration::from_secs(1800)), 400);
}
