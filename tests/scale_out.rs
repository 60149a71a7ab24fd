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

#[path = "../examples/common/mod.rs"]
mod common;
mod edge_host;

use std::time::Duration;

use std::net::SocketAddr;

use std::sync::Arc;

use common::registrar::{self, Registrar};
use edge_host::example::ExampleEdge;
use edge_host::scscf::Core;
use edge_host::sip::{Msg, host_port, uri_of};
use edge_host::ua::{Dialog, Ua};
use edge_host::{EdgeHost, EdgeSetup, HOME, HopLog, token};
use sip_oauth::edge::Edge;

const KEY: &[u8] = b"one-flow-key-shared-by-both-edges-0123";

fn setup(name: &str, core: SocketAddr, epoch: u64) -> EdgeSetup {
    let mut s = EdgeSetup::new(name, core);
    s.flow_key = KEY.to_vec();
    s.epoch = epoch;
    s
}

/// One edge instance as the test sees it, whichever host runs it.
struct Side {
    /// Its TCP client listener.
    tcp: SocketAddr,
    /// Its core-facing address: the host of its Via, Path and Record-Route URIs.
    core_side: SocketAddr,
    /// The edge (a clone shares its registrations).
    edge: Edge,
    log: HopLog,
}

impl Side {
    fn of_example(e: &ExampleEdge) -> Side {
        Side {
            tcp: e.tcp,
            core_side: e.core_side,
            edge: e.edge.clone(),
            log: e.log.clone(),
        }
    }

    fn of(h: &EdgeHost) -> Side {
        Side {
            tcp: h.tcp,
            core_side: h.core_side,
            edge: h.edge().clone(),
            log: h.log(),
        }
    }
}

/// The core as the test sees it.
struct CoreView<'a> {
    /// Where it listens (the host of its Via and Record-Route).
    addr: SocketAddr,
    /// The Service-Route it gives registered users.
    service_route: String,
    log: HopLog,
    /// The stand-in core, whose bindings the test can read.
    bindings: Option<&'a Core>,
}

impl<'a> CoreView<'a> {
    fn of(core: &'a Core) -> CoreView<'a> {
        CoreView {
            addr: core.addr,
            service_route: Core::service_route(core.addr),
            log: core.log.clone(),
            bindings: Some(core),
        }
    }
}

/// The logs of every party, for a failure message.
fn logs(core: &CoreView<'_>, edges: &[&Side]) -> String {
    let mut out = core.log.dump();
    for e in edges {
        out.push('\n');
        out.push_str(&e.log.dump());
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

/// Checks the hops a request took, top first: `near` (the edge delivering it), then the
/// core, then `far` (the edge it came in by), then one more (the caller; `None` for a
/// Record-Route). With the stand-in core the core's entry is exactly one, at its own
/// address; another core may write its hops as it likes, so only the edges' places and
/// that there is something between them are checked.
fn check_path(
    hops: &[Option<SocketAddr>],
    core: &CoreView<'_>,
    near: &Side,
    far: &Side,
    what: &str,
    msg: &Msg,
) -> Result<(), String> {
    let fail = || format!("{what}: {hops:?}\n{}", msg.text());
    if core.bindings.is_some() {
        if hops.len() != 4
            || hops[..3] != [Some(near.core_side), Some(core.addr), Some(far.core_side)]
        {
            return Err(fail());
        }
        return Ok(());
    }
    let n = hops.len();
    if n < 4 || hops[0] != Some(near.core_side) || hops[n - 2] != Some(far.core_side) {
        return Err(fail());
    }
    Ok(())
}

/// Checks what an edge delivered to a client: its Via on top, no Route left, no charging
/// headers, no token, and the caller's identity asserted.
fn check_delivered(req: &Msg, edge: &Side, caller: &str) {
    let text = req.text();
    assert_eq!(
        hops(req, "Via").first().copied().flatten(),
        Some(edge.core_side),
        "top Via is not the delivering edge's:\n{text}"
    );
    assert!(!req.has("Route"), "Route left toward the client:\n{text}");
    assert!(
        !text.contains("P-Charging"),
        "charging headers toward the client:\n{text}"
    );
    assert!(
        !text.contains("Bearer") && !text.contains("eyJ"),
        "token toward the client:\n{text}"
    );
    assert_eq!(
        req.get("P-Asserted-Identity").map(uri_of),
        Some(format!("sip:{caller}@{HOME}")),
        "{text}"
    );
}

/// Alice and Bob, and the checks that failed without stopping the run (so the restart
/// is still tried).
type Run = (Ua, Ua, Vec<String>);

async fn run(core: &CoreView<'_>, e1: &Side, e2: &Side) -> Result<Run, String> {
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
        if sr != core.service_route {
            return Err(format!("Service-Route {sr:?}"));
        }
    }
    // Each instance holds its own client, and the core routes to each through its own.
    assert_eq!(e1.edge.registrations(), 1);
    assert_eq!(e2.edge.registrations(), 1);
    if let Some(c) = core.bindings {
        let alice_path = c.binding(&alice.aor()).expect("alice at the core").path;
        let bob_path = c.binding(&bob.aor()).expect("bob at the core").path;
        assert_eq!(alice_path.len(), 1);
        assert_eq!(bob_path.len(), 1);
        assert_eq!(host_port(&alice_path[0]), Some(e1.core_side));
        assert_eq!(host_port(&bob_path[0]), Some(e2.core_side));
        assert_ne!(alice_path[0], bob_path[0]);
    }

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
    check_path(
        &hops(&msg, "Via"),
        core,
        e2,
        e1,
        "the MESSAGE's Via (edge2, the core, edge1, alice)",
        &msg,
    )?;

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
    assert!(
        incoming.body_text().contains("m=audio"),
        "{}",
        incoming.text()
    );
    // Record-Route: edge2 (toward bob), the core, edge1 (toward alice).
    let mut rr = hops(&incoming, "Record-Route");
    // A Record-Route has no client entry below: complete the shape `check_path` reads.
    rr.push(None);
    check_path(
        &rr,
        core,
        e2,
        e1,
        "the INVITE's Record-Route (edge2, the core, edge1)",
        &incoming,
    )?;
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
    let nobody = alice
        .message(&format!("sip:carol@{HOME}"), "anyone?")
        .await?;
    assert_eq!(nobody.status(), Some(404), "{}", nobody.text());
    Ok((alice, bob, problems))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edges_one_core_message_and_call_cross_both_and_a_restart_answers_430() {
    let core = Core::start().await;
    let view = CoreView::of(&core);
    let e1 = EdgeHost::start(setup("edge1", core.addr, 1001)).await;
    let e2 = EdgeHost::start(setup("edge2", core.addr, 2002)).await;
    let (s1, s2) = (Side::of(&e1), Side::of(&e2));
    let (alice, bob, mut problems) = scale_out(&view, &s1, &s2).await;

    // Edge 2 restarts on the same address with a new epoch and the same key; bob's
    // connection goes with the old process.
    let bob_aor = bob.aor();
    drop(bob);
    let mut again = e2.setup.clone();
    again.epoch = 2003;
    again.core_bind = e2.core_side;
    e2.shutdown().await;
    let e2 = EdgeHost::start(again).await;
    let s2b = Side::of(&e2);
    problems.extend(after_restart(&view, &s1, &s2, &s2b, alice, &bob_aor).await);
    e1.shutdown().await;
    e2.shutdown().await;
    assert!(
        problems.is_empty(),
        "{}\n--- log ---\n{}\n{}",
        problems.join("\n"),
        logs(&view, &[&s1, &s2b]),
        s2.log.dump()
    );
}

/// The same with the example programs: two `epcscf` edge servers in front of the `scscf`
/// example's registrar, which routes between the users it registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_example_edges_one_example_scscf_message_and_call_cross_both_and_a_restart_answers_430()
{
    let mut tasks = tokio::task::JoinSet::new();
    let (sock, listener) = registrar::bind("127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let addr = sock.local_addr().unwrap();
    let reg = Arc::new(Registrar::new(HOME, vec!["127.0.0.1".parse().unwrap()]));
    registrar::serve(reg, Some(sock), listener, &mut tasks);
    let view = CoreView {
        addr,
        service_route: format!("<sip:orig@{addr};lr>"),
        log: HopLog::default(),
        bindings: None,
    };
    let e1 = ExampleEdge::start(setup("edge1", addr, 1001)).await;
    let e2 = ExampleEdge::start(setup("edge2", addr, 2002)).await;
    let (s1, s2) = (Side::of_example(&e1), Side::of_example(&e2));
    let (alice, bob, mut problems) = scale_out(&view, &s1, &s2).await;

    // As above; the example server's shutdown leaves the tasks of open connections
    // running, and with them its core-facing socket, so bob's must close first.
    let bob_aor = bob.aor();
    drop(bob);
    let mut again = e2.setup.clone();
    again.epoch = 2003;
    again.core_bind = e2.core_side;
    e2.shutdown().await;
    let e2 = ExampleEdge::start(again).await;
    let s2b = Side::of_example(&e2);
    problems.extend(after_restart(&view, &s1, &s2, &s2b, alice, &bob_aor).await);
    e1.shutdown().await;
    e2.shutdown().await;
    tasks.abort_all();
    assert!(
        problems.is_empty(),
        "{}\n--- log ---\n{}\n{}",
        problems.join("\n"),
        logs(&view, &[&s1, &s2b]),
        s2.log.dump()
    );
}

/// Registers alice on `e1` and bob on `e2` and runs the exchanges across them; panics
/// with every log on a failure that stops the run.
async fn scale_out(core: &CoreView<'_>, e1: &Side, e2: &Side) -> Run {
    match tokio::time::timeout(Duration::from_secs(30), run(core, e1, e2)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{e}\n--- log ---\n{}", logs(core, &[e1, e2])),
        Err(_) => panic!("timed out\n--- log ---\n{}", logs(core, &[e1, e2])),
    }
}

/// After edge 2 restarted (`e2` before, `e2b` after): a MESSAGE the core routes along
/// bob's old Path gets 430 from the restarted edge. Returns what failed.
async fn after_restart(
    core: &CoreView<'_>,
    e1: &Side,
    e2: &Side,
    e2b: &Side,
    mut alice: Ua,
    bob_aor: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    assert_eq!(e2b.core_side, e2.core_side);
    assert_eq!(e2b.edge.registrations(), 0);
    let old_path = core
        .bindings
        .and_then(|c| c.binding(bob_aor))
        .map(|b| b.path);
    let answer = match tokio::time::timeout(
        Duration::from_secs(10),
        alice.message(bob_aor, "still there?"),
    )
    .await
    {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return vec![format!("after the restart: {e}")],
        Err(_) => return vec!["after the restart: no answer in time".to_owned()],
    };
    if answer.status() != Some(430) {
        problems.push(format!(
            "after the restart alice got {} instead of 430:\n{}",
            answer.start,
            answer.text()
        ));
    }
    // The core still holds bob's old Path: nothing but the 430 told it otherwise.
    if let Some(c) = core.bindings {
        assert_eq!(c.binding(bob_aor).map(|b| b.path), old_path);
    }
    let own = e2b
        .log
        .lines()
        .iter()
        .any(|l| l.contains("-> core") && l.contains(" 430 "));
    if !own {
        problems.push("the 430 is not the restarted edge's own".to_owned());
    }
    let _ = e1;
    problems
}
