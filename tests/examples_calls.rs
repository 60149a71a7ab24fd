//! The example programs carrying messages and calls: the stand-in S-CSCF's routing
//! between registered users (RFC 3261 16, RFC 3327 Path), fed messages as an edge sends
//! them; then the whole path in this process (two clients over WebSocket, the edge, the
//! S-CSCF): a MESSAGE delivered, a call with 180, 200, ACK and BYE, and the refusals
//! (a connection that never registered, a spoofed From, an unknown and an offline
//! callee). Everything runs on 127.0.0.1 and stops by itself.

#[path = "../examples/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::core_peer::Peer;
use common::registrar::{Answer, Registrar};
use common::wic_client::Wic;
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

// ---------------------------------------------------------------------------------------
// The whole path in this process: two clients over WebSocket, the edge, the S-CSCF.

mod lab {

    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::HOME;

    use super::common::edge_server::EdgeServer;

    use super::common::lab;
    use super::common::registrar::Registrar;
    use super::common::tokens::{Claims, Signer};
    use super::common::wic_client::Wic;
    use tokio::task::JoinSet;

    const ISSUER: &str = "https://waf.example";
    const AUDIENCE: &str = "epcscf.visited.example";
    const SECRET: &str = "calls-secret-of-at-least-32-bytes";

    /// An edge and an S-CSCF on loopback.
    pub struct Lab {
        pub server: EdgeServer,
        pub url: String,
        pub registrar: Arc<Registrar>,
        _core: JoinSet<()>,
    }

    /// Starts the S-CSCF (over UDP, or TCP when `core_tcp`) and the edge in front of it.
    pub async fn start(core_tcp: bool) -> Lab {
        let core = lab::core(HOME, "127.0.0.1:0".parse().unwrap(), core_tcp)
            .await
            .unwrap();
        let core_addr = core.addr.to_string();
        let args = [
            "--ws-listen",
            "127.0.0.1:0",
            "--udp-listen",
            "off",
            "--tcp-listen",
            "off",
            "--core",
            &core_addr,
            "--core-transport",
            if core_tcp { "tcp" } else { "udp" },
            "--allow-insecure-transport",
            "true",
            "--hmac-secret",
            SECRET,
            "--issuer",
            ISSUER,
            "--audience",
            AUDIENCE,
        ];
        let started = lab::edge(&args, None).await.unwrap();
        Lab {
            server: started.server,
            url: format!("ws://{}/", started.ws.unwrap()),
            registrar: core.registrar,
            _core: core.tasks,
        }
    }

    /// A token for `user`.
    pub fn token(user: &str) -> String {
        let c = Claims::for_user(
            user,
            HOME,
            ISSUER,
            AUDIENCE,
            SystemTime::now(),
            Duration::from_secs(600),
        );
        Signer::hs256(SECRET.as_bytes(), "t-1").mint(&c).unwrap()
    }

    /// `user` connected and registered.
    pub async fn registered(lab: &Lab, user: &str) -> Wic {
        let mut w = Wic::connect(&lab.url, user, HOME, None).await.unwrap();
        let ok = w.register(Some(&token(user)), 600).await.unwrap();
        assert_eq!(ok.status, 200, "{}", ok.text);
        w
    }
}

use common::wic_answer::Event;

const WAIT: Duration = Duration::from_secs(5);

fn aor(user: &str) -> String {
    format!("sip:{user}@{HOME}")
}

async fn message_and_call(core_tcp: bool) {
    let lab = lab::start(core_tcp).await;
    let mut alice = lab::registered(&lab, "alice").await;
    let mut bob = lab::registered(&lab, "bob").await;

    let sent = alice.message(&aor("bob"), "hello bob").await.unwrap();
    assert_eq!(sent.status, 200, "{}", sent.text);
    match bob.next_event(WAIT).await {
        Some(Event::Message {
            from,
            asserted,
            body,
        }) => {
            assert_eq!(from, aor("alice"));
            assert_eq!(body, "hello bob");
            // The edge vouched for alice (TS 24.229 5.2.6.3.3).
            assert!(asserted.is_some_and(|a| a.contains(&aor("alice"))));
        }
        other => panic!("bob got {other:?}"),
    }

    let call = alice.call(&aor("bob")).await.unwrap();
    assert_eq!(call.answer.status, 200, "{}", call.answer.text);
    assert!(
        call.answer.provisional.contains(&180),
        "{:?}",
        call.answer.provisional
    );
    assert!(call.answer.text.contains("application/sdp"));
    let mut dialog = call.dialog.expect("a dialog");
    assert!(
        dialog.route_set.len() >= 2,
        "route set: {:?}",
        dialog.route_set
    );
    assert!(
        matches!(bob.next_event(WAIT).await, Some(Event::Invite { from, .. }) if from == aor("alice"))
    );
    assert!(matches!(
        bob.next_event(WAIT).await,
        Some(Event::Ack { .. })
    ));
    let bye = alice.hang_up(&mut dialog).await.unwrap();
    assert_eq!(bye.status, 200, "{}", bye.text);
    assert!(matches!(
        bob.next_event(WAIT).await,
        Some(Event::Bye { status: 200, .. })
    ));
    alice.close().await;
    bob.close().await;
    lab.server.shutdown().await;
}

#[tokio::test]
async fn message_delivered_and_call_completed_over_a_udp_core() {
    message_and_call(false).await;
}

#[tokio::test]
async fn message_delivered_and_call_completed_over_a_tcp_core() {
    message_and_call(true).await;
}

#[tokio::test]
async fn message_from_an_unregistered_connection_is_refused() {
    let lab = lab::start(false).await;
    let mut bob = lab::registered(&lab, "bob").await;
    let mut stranger = Wic::connect(&lab.url, "mallory", HOME, None).await.unwrap();
    let refused = stranger.message(&aor("bob"), "hi").await.unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(bob.next_event(Duration::from_millis(300)).await.is_none());
    stranger.close().await;
    bob.close().await;
    lab.server.shutdown().await;
}

#[tokio::test]
async fn message_with_a_spoofed_from_is_refused() {
    let lab = lab::start(false).await;
    let mut alice = lab::registered(&lab, "alice").await;
    let mut bob = lab::registered(&lab, "bob").await;
    let refused = alice
        .message_from(&aor("bob"), &aor("bob"), "it is me, bob")
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(bob.next_event(Duration::from_millis(300)).await.is_none());
    alice.close().await;
    bob.close().await;
    lab.server.shutdown().await;
}

#[tokio::test]
async fn calls_to_unknown_and_offline_users_get_404_and_480() {
    let lab = lab::start(false).await;
    let mut alice = lab::registered(&lab, "alice").await;
    let unknown = alice.call(&aor("nobody")).await.unwrap();
    assert_eq!(unknown.answer.status, 404, "{}", unknown.answer.text);
    assert!(unknown.dialog.is_none());

    let mut bob = lab::registered(&lab, "bob").await;
    let gone = bob.register(Some(&lab::token("bob")), 0).await.unwrap();
    assert_eq!(gone.status, 200);
    let offline = alice.message(&aor("bob"), "still there?").await.unwrap();
    assert_eq!(offline.status, 480, "{}", offline.text);
    assert_eq!(lab.registrar.registered(Instant::now()), 1);
    alice.close().await;
    bob.close().await;
    lab.server.shutdown().await;
}

#[tokio::test]
async fn a_call_to_a_user_whose_connection_closed_gets_430_flow_failed() {
    let lab = lab::start(false).await;
    let mut alice = lab::registered(&lab, "alice").await;
    let bob = lab::registered(&lab, "bob").await;
    bob.close().await;
    // The S-CSCF still holds bob's binding; the edge, told the flow closed, answers
    // 430 (RFC 5626 5.3), which the S-CSCF relays back to the caller.
    let deadline = Instant::now() + WAIT;
    let status = loop {
        let call = alice.call(&aor("bob")).await.unwrap();
        if call.answer.status == 430 || Instant::now() > deadline {
            break call.answer.status;
        }
        // The edge learns of the close when the server's reader sees it.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 430);
    alice.close().await;
    lab.server.shutdown().await;
}
