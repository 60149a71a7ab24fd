//! Scale-out: two edge instances, each with its own address (so its own Via, Path and
//! Record-Route URIs) and its own epoch, sharing one flow key, in front of one S-CSCF.
//! Alice registers through the first, Bob through the second; Alice's MESSAGE and call
//! (INVITE, 180, 200, ACK, BYE) reach Bob across both instances through the core, and a
//! MESSAGE back from Bob reaches Alice. State follows the connection: each instance
//! holds only its own clients' registrations, and nothing is shared but the key.
//! Then the second instance is restarted on the same address with a new epoch: a request
//! the core routes along Bob's old Path gets 430 Flow Failed from it (RFC 5626 5.3), so
//! the core learns the flow is gone.
//!
//! In-process on 127.0.0.1: the edges run on the test's host (`edge_host`), the core is
//! the stand-in S-CSCF of `edge_host::scscf`, the users are `edge_host::ua` agents over
//! TCP.

mod edge_host;

use std::time::Duration;

use edge_host::scscf::Core;
use edge_host::sip::{Msg, host_port, uri_of};
use edge_host::ua::{Dialog, Ua};
use edge_host::{EdgeHost, EdgeSetup, HOME, token};

const KEY: &[u8] = b"one-flow-key-shared-by-both-edges-0123";

fn setup(name: &str, core: &Core, epoch: u64) -> EdgeSetup {
    let mut s = EdgeSetup::new(name, core.addr);
    s.flow_key = KEY.to_vec();
    s.epoch = epoch;
    s
}

/// The logs of every party, for a failure message.
fn logs(core: &Core, edges: &[&EdgeHost]) -> String {
    let mut out = core.log.dump();
    for e in edges {
        out.push_str("\n");
        out.push_str(&e.log().dump());
    }
    out
}

/// The `host:port` of each entry of header `name`.
fn hops(msg: &Msg, name: &str) -> Vec<Option<std::net::SocketAddr>> {
    msg.entries(name)
        .iter()
        .map(|e| {
            if name == "Via" {
                e.split_whitespace()
                    .nth(1)
                    .and_then(|s| s.split(';').next())
                    .and_then(|s| s.parse().ok())
            } else {
                host_port(&uri_of(e))
            }
        })
        .collect()
}

/// Checks what an edge delivered to a client: its Via on top, no Route left, no charging
/// headers, no token, and the caller's identity asserted.
fn check_delivered(req: &Msg, edge: &EdgeHost, caller: &str) {
    let text = req.text();
    assert_eq!(
        hops(req, "Via").first().copied().flatten(),
        Some(edge.core_side),
        "top Via is not the delivering edge's:\n{text}"
    );
    assert!(!req.has("Route"), "Route left toward the client:\n{text}");
    assert!(!text.contains("P-Charging"), "charging headers toward the client:\n{text}");
    assert!(!text.contains("Bearer") && !text.contains("eyJ"), "token toward the client:\n{text}");
    assert_eq!(
        req.get("P-Asserted-Identity").map(uri_of),
        Some(format!("sip:{caller}@{HOME}")),
        "{text}"
    );
}

/// Alice and Bob, and the checks that failed without stopping the run (so the restart
/// is still tried).
type Run = (Ua, Ua, Vec<String>);

async fn run(core: &Core, e1: &EdgeHost, e2: &EdgeHost) -> Result<Run, String> {
    let mut alice = Ua::connect(e1.tcp, "alice").await;
    let mut bob = Ua::connect(e2.tcp, "bob").await;
    for ua in [&mut alice, &mut bob] {
        let ok = ua
            .register(&token::for_user(&ua.user, Duration::from_secs(600)), 600)
            .await?;
        if ok.status() != Some(200) {
            return Err(format!("{} not registered:\n{}", ua.user, ok.text()));
        }
        let sr = ok.get("Service-Route").unwrap_or_default();
        if sr != Core::service_route(core.addr) {
            return Err(format!("Service-Route {sr:?}"));
        }
    }
    // Each instance holds its own client, and the core routes to each through its own.
    assert_eq!(e1.edge().registrations(), 1);
    assert_eq!(e2.edge().registrations(), 1);
    let alice_path = core.binding(&alice.aor()).expect("alice at the core").path;
    let bob_path = core.binding(&bob.aor()).expect("bob at the core").path;
    assert_eq!(alice_path.len(), 1);
    assert_eq!(bob_path.len(), 1);
    assert_eq!(host_port(&alice_path[0]), Some(e1.core_side));
    assert_eq!(host_port(&bob_path[0]), Some(e2.core_side));
    assert_ne!(alice_path[0], bob_path[0]);

    // MESSAGE alice -> edge1 -> core -> edge2 -> bob, and its 200 back.
    let bob_aor = bob.aor();
    let (sent, got) = tokio::join!(
        alice.message(&bob_aor, "hello bob, across two edges"),
        bob.expect_and_answer("MESSAGE", 200, "OK")
    );
    let (ok, msg) = (sent?, got?);
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    assert_eq!(ok.entries("Via").len(), 1, "{}", ok.text());
    assert_eq!(msg.body_text(), "hello bob, across two edges");
    check_delivered(&msg, e2, "alice");
    assert_eq!(
        hops(&msg, "Via")[..3],
        [Some(e2.core_side), Some(core.addr), Some(e1.core_side)],
        "the MESSAGE did not cross edge1, the core and edge2:\n{}",
        msg.text()
    );

    // And back: bob -> edge2 -> core -> edge1 -> alice.
    let alice_aor = alice.aor();
    let (sent, got) = tokio::join!(
        bob.message(&alice_aor, "hello alice"),
        alice.expect_and_answer("MESSAGE", 200, "OK")
    );
    let (ok, msg) = (sent?, got?);
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    check_delivered(&msg, e1, "bob");

    // The call: INVITE, 180, 200 across both edges.
    let invite = alice.invite(&bob_aor).await;
    let incoming = bob.request().await?;
    if incoming.method() != Some("INVITE") {
        return Err(format!("bob got {}", incoming.start));
    }
    check_delivered(&incoming, e2, "alice");
    assert!(incoming.body_text().contains("m=audio"), "{}", incoming.text());
    // Record-Route: edge2 (toward bob), the core, edge1 (toward alice).
    let rr = hops(&incoming, "Record-Route");
    assert_eq!(
        rr,
        [Some(e2.core_side), Some(core.addr), Some(e1.core_side)],
        "{}",
        incoming.text()
    );
    bob.answer(&incoming, 180, "Ringing").await;
    bob.answer(&incoming, 200, "OK").await;
    let ringing = alice.recv().await?;
    if ringing.status() != Some(180) {
        return Err(format!("alice got {} for 180", ringing.start));
    }
    let ok = alice.final_response().await?;
    assert_eq!(ok.status(), Some(200), "{}", ok.text());
    assert_eq!(ok.entries("Via").len(), 1, "{}", ok.text());
    assert!(ok.body_text().contains("m=audio"), "{}", ok.text());
    let dialog = Dialog::from_2xx(&invite, &ok);
    let cseq: u32 = invite
        .get("CSeq")
        .and_then(|c| c.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);

    // ACK and BYE along the route set: edge1, the core, edge2.
    alice.send_in_dialog(&dialog, "ACK", cseq).await;
    let mut problems = Vec::new();
    match bob.request_within(Duration::from_secs(2)).await {
        Ok(ack) if ack.method() == Some("ACK") => {
            assert_eq!(hops(&ack, "Via")[0], Some(e2.core_side), "{}", ack.text());
        }
        Ok(other) => return Err(format!("bob got {} for the ACK", other.start)),
        Err(e) => problems.push(format!("the ACK of the 200 did not reach bob ({e})")),
    }
    alice.send_in_dialog(&dialog, "BYE", cseq + 1).await;
    let bye = bob.expect_and_answer("BYE", 200, "OK").await?;
    assert!(!bye.has("Route"), "{}", bye.text());
    let done = alice.final_response().await?;
    assert_eq!(done.status(), Some(200), "{}", done.text());
    assert_eq!(done.cseq_method(), Some("BYE"));

    // Not registered anywhere: the core's 404 comes back through edge1.
    let nobody = alice.message(&format!("sip:carol@{HOME}"), "anyone?").await?;
    assert_eq!(nobody.status(), Some(404), "{}", nobody.text());
    Ok((alice, bob, problems))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edges_one_core_message_and_call_cross_both_and_a_restart_answers_430() {
    let core = Core::start().await;
    let e1 = EdgeHost::start(setup("edge1", &core, 1001)).await;
    let e2 = EdgeHost::start(setup("edge2", &core, 2002)).await;
    assert_ne!(e1.core_side, e2.core_side);
    let (mut alice, bob, problems) = match tokio::time::timeout(Duration::from_secs(30), run(&core, &e1, &e2))
        .await
    {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{e}\n--- log ---\n{}", logs(&core, &[&e1, &e2])),
        Err(_) => panic!("timed out\n--- log ---\n{}", logs(&core, &[&e1, &e2])),
    };
    let bob_path = core.binding(&bob.aor()).unwrap().path;

    // Edge 2 restarts on the same address with a new epoch and the same key.
    let mut again = e2.setup.clone();
    again.epoch = 2003;
    again.core_bind = e2.core_side;
    let old_log = e2.log();
    e2.shutdown().await;
    let e2 = EdgeHost::start(again).await;
    assert_eq!(e2.edge().registrations(), 0);

    // The core still routes to bob along his old Path: the restarted edge answers 430.
    let bob_aor = bob.aor();
    let answer = tokio::time::timeout(Duration::from_secs(10), alice.message(&bob_aor, "still there?"))
        .await
        .expect("no answer in time");
    let answer = answer.unwrap_or_else(|e| panic!("{e}\n{}", logs(&core, &[&e1, &e2])));
    assert_eq!(
        answer.status(),
        Some(430),
        "{}\n--- log ---\n{}\n{}",
        answer.text(),
        logs(&core, &[&e1, &e2]),
        old_log.dump()
    );
    assert_eq!(core.binding(&bob_aor).unwrap().path, bob_path);
    assert!(
        e2.log()
            .lines()
            .iter()
            .any(|l| l.contains("own answer") && l.contains("430")),
        "the 430 is not the restarted edge's own:\n{}",
        e2.log().dump()
    );
    drop(bob);
    let log = logs(&core, &[&e1, &e2]);
    e1.shutdown().await;
    e2.shutdown().await;
    assert!(
        problems.is_empty(),
        "{}\n--- log ---\n{log}\n{}",
        problems.join("\n"),
        old_log.dump()
    );
}
