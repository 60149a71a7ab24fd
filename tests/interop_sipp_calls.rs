//! Interoperability with sipp after REGISTER: requests from a registered client and
//! requests from the core to it.
//!
//! The eP-CSCF runs in this process, twice over: on the library-only test host of
//! `edge_host` (module `on_test_host`) and as the example programs' tokio server,
//! `examples/common/edge_server` (module `on_example_server`); sipp plays the client over
//! UDP and TCP and the S-CSCF over UDP and TCP. The scenarios are in `tests/interop/`:
//! - originating (TS 24.229 5.2.6): `message_uac.xml` registers and sends a MESSAGE,
//!   `scscf_message_uas.xml` checks the MESSAGE carries P-Asserted-Identity of the
//!   registered user, the Service-Route as Route, the edge's Via and no bearer token;
//!   `message_unregistered.xml` is refused 403 by the edge;
//! - terminating (RFC 5626 5.3): `invite_uas.xml` registers and answers the INVITE
//!   `scscf_invite_uac.xml` sends along the Path it captured from the REGISTER (180, 200,
//!   ACK, BYE); the same INVITE after the client's connection closed, or to an edge
//!   restarted with another epoch, gets 430 Flow Failed.
//!
//! Without a `sipp` binary these tests print a skip notice and pass, unless
//! `SIP_OAUTH_REQUIRE_SIPP` is set, in which case they fail.

#[path = "../examples/common/mod.rs"]
mod common;
mod edge_host;
mod sipp_run;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use edge_host::example::ExampleEdge;
use edge_host::{EdgeHost, EdgeSetup, HOME, HopLog, token};
use sipp_run::{Sipp, free_port, scenario, sipp_present, wait_bound, workdir};
use tokio::runtime::Runtime;

/// The scenarios run one at a time: the terminating ones wait a fixed pause for the flow
/// to end, which a machine busy with parallel sipp runs could overrun.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Which host runs the edge.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// The library on the tests' own host (`edge_host`).
    TestHost,
    /// The example programs' server (`examples/common/edge_server`).
    Example,
}

/// One running edge of either kind.
enum Running {
    TestHost(EdgeHost),
    Example(ExampleEdge),
}

impl Running {
    async fn start(kind: Kind, setup: EdgeSetup) -> Running {
        match kind {
            Kind::TestHost => Running::TestHost(EdgeHost::start(setup).await),
            Kind::Example => Running::Example(ExampleEdge::start(setup).await),
        }
    }

    fn udp(&self) -> SocketAddr {
        match self {
            Running::TestHost(h) => h.udp,
            Running::Example(e) => e.udp,
        }
    }

    fn tcp(&self) -> SocketAddr {
        match self {
            Running::TestHost(h) => h.tcp,
            Running::Example(e) => e.tcp,
        }
    }

    fn core_side(&self) -> SocketAddr {
        match self {
            Running::TestHost(h) => h.core_side,
            Running::Example(e) => e.core_side,
        }
    }

    fn setup(&self) -> &EdgeSetup {
        match self {
            Running::TestHost(h) => &h.setup,
            Running::Example(e) => &e.setup,
        }
    }

    fn log(&self) -> HopLog {
        match self {
            Running::TestHost(h) => h.log(),
            Running::Example(e) => e.log.clone(),
        }
    }

    async fn shutdown(self) {
        match self {
            Running::TestHost(h) => h.shutdown().await,
            Running::Example(e) => e.shutdown().await,
        }
    }
}

/// The edge under test, on its own runtime (the test thread waits on sipp).
struct EdgeUnderTest {
    rt: Runtime,
    kind: Kind,
    running: Option<Running>,
    /// The logs of every start, kept across restarts.
    logs: Vec<HopLog>,
}

impl EdgeUnderTest {
    fn start(kind: Kind, setup: EdgeSetup) -> EdgeUnderTest {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = rt.block_on(Running::start(kind, setup));
        let logs = vec![running.log()];
        EdgeUnderTest {
            rt,
            kind,
            running: Some(running),
            logs,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    /// Stops the edge and starts it again on the same core-facing address, with the
    /// same flow key and epoch `epoch`.
    fn restart(&mut self, epoch: u64) {
        let old = self.running.take().unwrap();
        let mut setup = old.setup().clone();
        setup.epoch = epoch;
        setup.core_bind = old.core_side();
        let kind = self.kind;
        let running = self.rt.block_on(async {
            old.shutdown().await;
            Running::start(kind, setup).await
        });
        self.logs.push(running.log());
        self.running = Some(running);
    }

    fn dump(&self) -> String {
        self.logs
            .iter()
            .map(HopLog::dump)
            .collect::<Vec<_>>()
            .join("\n--- restarted ---\n")
    }
}

impl Drop for EdgeUnderTest {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// sipp as the S-CSCF on `port`, playing `file`.
fn core_args(file: &str, port: u16, tcp: bool) -> Vec<String> {
    let mut a = owned(&[
        "-sf",
        &scenario(file),
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-m",
        "1",
        "-key",
        "home",
        HOME,
        "-key",
        "user",
        "bob",
        "-key",
        "caller",
        "alice",
    ]);
    if tcp {
        a.extend(owned(&["-t", "t1"]));
    }
    a
}

/// sipp as bob, a client of the edge at `edge`, playing `file`.
fn client_args(edge: SocketAddr, tcp: bool, file: &str) -> Vec<String> {
    let token = token::for_user("bob", Duration::from_secs(600));
    let mut a = owned(&[
        &edge.to_string(),
        "-sf",
        &scenario(file),
        "-i",
        "127.0.0.1",
        "-p",
        &free_port().to_string(),
        "-m",
        "1",
        "-key",
        "token",
        &token,
        "-key",
        "user",
        "bob",
        "-key",
        "peer",
        "alice",
        "-key",
        "home",
        HOME,
    ]);
    if tcp {
        a.extend(owned(&["-t", "t1"]));
    }
    a
}

/// Starts sipp as the S-CSCF playing `file`, then an edge in front of it.
fn core_then_edge(kind: Kind, dir: &Path, file: &str, core_tcp: bool) -> (Sipp, EdgeUnderTest) {
    let port = free_port();
    let core = Sipp::spawn(dir, "scscf", &core_args(file, port, core_tcp));
    wait_bound(port, core_tcp);
    let mut setup = EdgeSetup::new("edge", ([127, 0, 0, 1], port).into());
    setup.core_tcp = core_tcp;
    (core, EdgeUnderTest::start(kind, setup))
}

fn client_target(edge: &EdgeUnderTest, tcp: bool) -> SocketAddr {
    if tcp {
        edge.running().tcp()
    } else {
        edge.running().udp()
    }
}

/// Fails the test with every sipp's and the edge's log unless all succeeded.
fn expect_all(edge: &EdgeUnderTest, results: Vec<Result<(), String>>) {
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if !failures.is_empty() {
        panic!("{}\n--- edge ---\n{}", failures.join("\n\n"), edge.dump());
    }
}

/// bob registers through the edge and sends alice a MESSAGE, which sipp as the S-CSCF
/// checks; then a client on another flow that never registered sends one as bob and gets
/// the edge's 403.
fn originating_message(kind: Kind, test: &str, client_tcp: bool, core_tcp: bool) {
    if !sipp_present(test) {
        return;
    }
    let _serial = one_at_a_time();
    let dir = workdir("sipp-calls", &format!("{kind:?}-{test}"));
    let (core, edge) = core_then_edge(kind, &dir, "scscf_message_uas.xml", core_tcp);
    let target = client_target(&edge, client_tcp);
    let client = Sipp::spawn(
        &dir,
        "message_uac",
        &client_args(target, client_tcp, "message_uac.xml"),
    );
    let registered = client.finish();
    let at_core = core.finish();
    let stranger = Sipp::spawn(
        &dir,
        "message_unregistered",
        &client_args(target, client_tcp, "message_unregistered.xml"),
    )
    .finish();
    expect_all(&edge, vec![registered, at_core, stranger]);
    drop(edge);
    let _ = std::fs::remove_dir_all(dir);
}

/// How the flow the INVITE was delivered on goes away before the second INVITE.
#[derive(Clone, Copy, PartialEq)]
enum FlowEnd {
    /// The client's TCP connection closes (sipp exits).
    ConnectionClosed,
    /// The edge restarts on the same address with another epoch.
    EdgeRestarted,
}

/// bob registers; sipp as the S-CSCF calls him along the Path it stored (180, 200, ACK,
/// BYE); after the flow ends, the same INVITE gets 430 from the edge.
fn terminating_invite(kind: Kind, test: &str, client_tcp: bool, core_tcp: bool, end: FlowEnd) {
    if !sipp_present(test) {
        return;
    }
    let _serial = one_at_a_time();
    let dir = workdir("sipp-calls", &format!("{kind:?}-{test}"));
    let (core, mut edge) = core_then_edge(kind, &dir, "scscf_invite_uac.xml", core_tcp);
    let target = client_target(&edge, client_tcp);
    let client = Sipp::spawn(
        &dir,
        "invite_uas",
        &client_args(target, client_tcp, "invite_uas.xml"),
    );
    // The client's call ends with its 200 to the BYE, and sipp exits (closing its TCP
    // connection); the core pauses 2.5 s before the second INVITE.
    let answered = client.finish();
    if end == FlowEnd::EdgeRestarted {
        // sipp exits right after sending its 200 to the BYE: let the edge relay it (the
        // INVITE's and the BYE's 200) before it stops, or the datagram dies with it.
        let log = edge.running().log();
        let relayed = || {
            log.lines()
                .iter()
                .filter(|l| l.ends_with("-> core: SIP/2.0 200 OK"))
                .count()
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while relayed() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        edge.restart(0x5eed);
    }
    let at_core = core.finish();
    expect_all(&edge, vec![answered, at_core]);
    let flow_failed = edge
        .logs
        .last()
        .unwrap()
        .lines()
        .iter()
        .any(|l| l.contains("-> core") && l.contains(" 430 "));
    assert!(
        flow_failed,
        "the 430 is not the edge's own:\n{}",
        edge.dump()
    );
    drop(edge);
    let _ = std::fs::remove_dir_all(dir);
}

/// The scenarios, for one kind of host.
macro_rules! scenarios {
    ($module:ident, $kind:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn originating_message_over_udp_to_a_udp_scscf_is_asserted_and_routed() {
                originating_message($kind, "msg_udp_udp", false, false);
            }

            #[test]
            fn originating_message_over_tcp_to_a_tcp_scscf_is_asserted_and_routed() {
                originating_message($kind, "msg_tcp_tcp", true, true);
            }

            #[test]
            fn originating_message_over_tcp_to_a_udp_scscf_is_asserted_and_routed() {
                originating_message($kind, "msg_tcp_udp", true, false);
            }

            #[test]
            fn terminating_invite_over_tcp_from_a_udp_scscf_then_430_once_the_connection_closed() {
                terminating_invite(
                    $kind,
                    "inv_tcp_udp_closed",
                    true,
                    false,
                    FlowEnd::ConnectionClosed,
                );
            }

            #[test]
            fn terminating_invite_over_tcp_from_a_tcp_scscf_then_430_once_the_connection_closed() {
                terminating_invite(
                    $kind,
                    "inv_tcp_tcp_closed",
                    true,
                    true,
                    FlowEnd::ConnectionClosed,
                );
            }

            #[test]
            fn terminating_invite_over_udp_from_a_udp_scscf_then_430_from_the_restarted_edge() {
                terminating_invite(
                    $kind,
                    "inv_udp_udp_restart",
                    false,
                    false,
                    FlowEnd::EdgeRestarted,
                );
            }

            #[test]
            fn terminating_invite_over_tcp_from_a_udp_scscf_then_430_from_the_restarted_edge() {
                terminating_invite(
                    $kind,
                    "inv_tcp_udp_restart",
                    true,
                    false,
                    FlowEnd::EdgeRestarted,
                );
            }
        }
    };
}

scenarios!(on_test_host, Kind::TestHost);
scenarios!(on_example_server, Kind::Example);
