//! The example programs carrying messages and calls: the stand-in S-CSCF's routing
//! between registered users (RFC 3261 16, RFC 3327 Path), fed messages as an edge sends
//! them.

#[path = "../examples/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::core_peer::Peer;
use common::registrar::{Answer, Registrar};
use sip_oauth::message::{HeaderName, Message};

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const EDGE: &str = "127.0.0.1:5062";

const AUTH_DONE: &str = "Authorization: Digest username=\"bob@ims.mnc001.mcc001.3gppnetwork.org\", \
    realm=\"ims.mnc001.mcc001.3gppnetwork.org\", uri=\"sip:ims.mnc001.mcc001.3gppnetwork.org\", \
    nonce=\"\", response=\"\", integrity-protected=\"auth-done\"\r\n";

fn scscf() -> Registrar {
    let r = Registrar::new(HOME, vec!["127.0.0.1".parse().unwrap()]);
    r.set_address("127.0.0.1:5070".parse().unwrap());
    r
}

fn edge_peer() -> Peer {
    Peer::Udp(EDGE.parse().unwrap())
}

fn register(user: &str, expires: u32) -> Bytes {
    Bytes::from(format!(
        "REGISTER sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/UDP {EDGE};branch=z9hG4bKr{user}{expires}\r\n\
         Via: SIP/2.0/WS {user}.invalid;branch=z9hG4bKc1;rport\r\n\
         Path: <sip:tok-{user}@{EDGE};lr;ob>\r\n\
         From: <sip:{user}@{HOME}>;tag=a\r\nTo: <sip:{user}@{HOME}>\r\nCall-ID: r-{user}\r\n\
         CSeq: 1 REGISTER\r\nContact: <sip:{user}@{user}.invalid;transport=ws>\r\nExpires: {expires}\r\n\
         {AUTH_DONE}Content-Length: 0\r\n\r\n"
    ))
}

/// An originating request as the edge forwards it: over the Service-Route.
fn originating(method: &str, to: &str, branch: &str) -> Bytes {
    Bytes::from(format!(
        "{method} sip:{to}@{HOME} SIP/2.0\r\nVia: SIP/2.0/UDP {EDGE};branch={branch}\r\n\
         Via: SIP/2.0/WS alice.invalid;branch=z9hG4bKa1;rport\r\n\
         Route: <sip:orig@127.0.0.1:5070;lr>\r\nRecord-Route: <sip:tok-alice@{EDGE};lr>\r\n\
         Max-Forwards: 69\r\nFrom: <sip:alice@{HOME}>;tag=f1\r\nTo: <sip:{to}@{HOME}>\r\n\
         Call-ID: c-{method}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    ))
}

fn handled(r: &Registrar, bytes: Bytes, now: Instant) -> (Answer, Message) {
    let a = r.handle(bytes, edge_peer(), now).expect("an answer");
    let m = Message::parse(a.bytes.clone()).unwrap();
    (a, m)
}

fn values(m: &Message, name: HeaderName) -> Vec<String> {
    m.find(name)
        .map(|f| m.value_str(f).unwrap().to_owned())
        .collect()
}

#[test]
fn scscf_routes_an_initial_invite_along_the_callee_path() {
    let r = scscf();
    let now = Instant::now();
    let (_, ok) = handled(&r, register("bob", 600), now);
    assert_eq!(ok.status(), Some(200));
    assert_eq!(
        values(&ok, HeaderName::ServiceRoute),
        ["<sip:orig@127.0.0.1:5070;lr>"]
    );

    let (a, fwd) = handled(&r, originating("INVITE", "bob", "z9hG4bKe1"), now);
    assert_eq!(a.to, edge_peer());
    assert_eq!(fwd.request_uri(), Some("sip:bob@bob.invalid;transport=ws"));
    assert_eq!(
        values(&fwd, HeaderName::Route),
        ["<sip:tok-bob@127.0.0.1:5062;lr;ob>"]
    );
    assert_eq!(
        values(&fwd, HeaderName::RecordRoute),
        [
            "<sip:rr@127.0.0.1:5070;lr>",
            "<sip:tok-alice@127.0.0.1:5062;lr>"
        ]
    );
    let vias = values(&fwd, HeaderName::Via);
    assert_eq!(vias.len(), 3);
    assert!(vias[0].starts_with("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK"));
    assert_eq!(values(&fwd, HeaderName::MaxForwards), ["68"]);

    // A CANCEL with the INVITE's branch gets the INVITE's outgoing branch (RFC 3261 16.11).
    let (_, cancel) = handled(&r, originating("CANCEL", "bob", "z9hG4bKe1"), now);
    assert_eq!(values(&cancel, HeaderName::Via)[0], vias[0]);
    assert!(values(&cancel, HeaderName::RecordRoute).len() == 1);

    // The 180 from bob's edge goes back by Via, the S-CSCF's own removed.
    let ringing = format!(
        "SIP/2.0 180 Ringing\r\nVia: {}\r\nVia: {}\r\nVia: {}\r\n\
         From: <sip:alice@{HOME}>;tag=f1\r\nTo: <sip:bob@{HOME}>;tag=t1\r\n\
         Call-ID: c-INVITE\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        vias[0], vias[1], vias[2]
    );
    let (a, relayed) = handled(&r, Bytes::from(ringing), now);
    assert_eq!(a.to, edge_peer());
    assert_eq!(values(&relayed, HeaderName::Via), vias[1..]);
}

#[test]
fn scscf_routes_in_dialog_requests_by_the_remaining_route() {
    let r = scscf();
    let now = Instant::now();
    handled(&r, register("bob", 600), now);
    let bye = format!(
        "BYE sip:bob@bob.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/UDP {EDGE};branch=z9hG4bKb1\r\n\
         Route: <sip:rr@127.0.0.1:5070;lr>\r\nRoute: <sip:tok-bob@{EDGE};lr>\r\nMax-Forwards: 69\r\n\
         From: <sip:alice@{HOME}>;tag=f1\r\nTo: <sip:bob@{HOME}>;tag=t1\r\nCall-ID: c1\r\n\
         CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    let (a, fwd) = handled(&r, Bytes::from(bye), now);
    assert_eq!(a.to, edge_peer());
    assert_eq!(fwd.request_uri(), Some("sip:bob@bob.invalid;transport=ws"));
    assert_eq!(
        values(&fwd, HeaderName::Route),
        ["<sip:tok-bob@127.0.0.1:5062;lr>"]
    );
    assert!(values(&fwd, HeaderName::RecordRoute).is_empty());
}

#[test]
fn scscf_answers_404_for_unknown_and_480_for_offline_users() {
    let r = scscf();
    let now = Instant::now();
    let (_, nobody) = handled(&r, originating("MESSAGE", "carol", "z9hG4bKm1"), now);
    assert_eq!(nobody.status(), Some(404));
    handled(&r, register("carol", 60), now);
    handled(&r, register("carol", 0), now);
    let (a, offline) = handled(&r, originating("MESSAGE", "carol", "z9hG4bKm2"), now);
    assert_eq!(offline.status(), Some(480), "{}", a.log);
    // Expired bindings count as offline too.
    handled(&r, register("dave", 60), now);
    let later = now + Duration::from_secs(61);
    let (_, expired) = handled(&r, originating("MESSAGE", "dave", "z9hG4bKm3"), later);
    assert_eq!(expired.status(), Some(480));
}

#[test]
fn scscf_refuses_requests_from_outside_the_trust_domain_and_foreign_routes() {
    let r = scscf();
    let now = Instant::now();
    handled(&r, register("bob", 600), now);
    let outsider = Peer::Udp("192.0.2.9:5060".parse().unwrap());
    let a = r
        .handle(originating("MESSAGE", "bob", "z9hG4bKx"), outsider, now)
        .unwrap();
    assert!(a.bytes.starts_with(b"SIP/2.0 403 "));
    let foreign = String::from_utf8(originating("MESSAGE", "bob", "z9hG4bKy").to_vec())
        .unwrap()
        .replace("orig@127.0.0.1:5070", "orig@192.0.2.1:5070");
    let (_, refused) = handled(&r, Bytes::from(foreign), now);
    assert_eq!(refused.status(), Some(403));
    // No answer to an ACK, even one that cannot be routed.
    assert!(
        r.handle(originating("ACK", "nobody", "z9hG4bKz"), edge_peer(), now)
            .is_none()
    );
}
