//! Interoperability with sipp, a SIP traffic generator built on another SIP stack.
//!
//! The eP-CSCF runs in this process (the examples' tokio transport code on the library);
//! sipp plays the client over UDP and TCP, sending REGISTERs with valid, expired and forged
//! bearer tokens, and plays the S-CSCF, checking with regular expressions that the forwarded
//! REGISTER carries the TS 33.203 Annex U Authorization and no bearer token. The scenarios
//! are in `tests/interop/`.
//!
//! Without a `sipp` binary these tests print a skip notice and pass, unless
//! `SIP_OAUTH_REQUIRE_SIPP` is set, in which case they fail.

#[path = "../examples/common/mod.rs"]
mod common;
mod sipp_run;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::tokens::{Claims, Signer};
use sipp_run::{Sipp, free_port, scenario, sipp_present, wait_bound, workdir};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "interop-secret-of-at-least-32-bytes";
/// The edge under test, running on its own runtime.
struct EdgeUnderTest {
    rt: Runtime,
    server: Option<EdgeServer>,
    udp: SocketAddr,
    tcp: SocketAddr,
    core_tasks: JoinSet<()>,
}

impl EdgeUnderTest {
    /// An edge with UDP and TCP client listeners forwarding to `core` (over TCP when
    /// `core_tcp`); when `registrar` is set, an in-process registrar is started there.
    fn start(core: SocketAddr, core_tcp: bool, registrar: bool) -> EdgeUnderTest {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut core_tasks = JoinSet::new();
        let (server, udp, tcp) = rt.block_on(async {
            if registrar {
                core_tasks = lab::core(HOME, core, core_tcp).await.unwrap().tasks;
            }
            let core_s = core.to_string();
            let args = [
                "--ws-listen",
                "off",
                "--udp-listen",
                "127.0.0.1:0",
                "--tcp-listen",
                "127.0.0.1:0",
                "--core",
                &core_s,
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
                "--scope",
                "sip",
                "--home-domain",
                HOME,
            ];
            let started = lab::edge(&args, None).await.unwrap();
            (started.server, started.udp.unwrap(), started.tcp.unwrap())
        });
        EdgeUnderTest {
            rt,
            server: Some(server),
            udp,
            tcp,
            core_tasks,
        }
    }
}

impl Drop for EdgeUnderTest {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
        self.core_tasks.abort_all();
    }
}

fn token(secret: &str, lifetime_secs: i64) -> String {
    let now = SystemTime::now();
    let (issued, life) = if lifetime_secs >= 0 {
        (now, Duration::from_secs(lifetime_secs.unsigned_abs()))
    } else {
        // Expired well beyond the validator's leeway.
        (now - Duration::from_secs(3600), Duration::from_secs(60))
    };
    let claims = Claims::for_user("bob", HOME, ISSUER, AUDIENCE, issued, life);
    Signer::hs256(secret.as_bytes(), "interop-1")
        .mint(&claims)
        .unwrap()
}

fn client_args(
    edge: SocketAddr,
    tcp: bool,
    scenario_file: &str,
    token: &str,
    calls: u32,
) -> Vec<String> {
    let mut a = vec![
        edge.to_string(),
        "-sf".into(),
        scenario(scenario_file),
        "-i".into(),
        "127.0.0.1".into(),
        "-p".into(),
        free_port().to_string(),
        "-m".into(),
        calls.to_string(),
        "-key".into(),
        "token".into(),
        token.into(),
        "-key".into(),
        "user".into(),
        "bob".into(),
        "-key".into(),
        "home".into(),
        HOME.into(),
    ];
    if tcp {
        a.extend(["-t".into(), "t1".into()]);
    }
    a
}

/// sipp client -> edge -> sipp S-CSCF, `calls` registrations with a valid token.
fn valid_token_through_sipp_scscf(test: &str, client_tcp: bool, core_tcp: bool) {
    if !sipp_present(test) {
        return;
    }
    let dir = workdir("sipp", test);
    let core_port = free_port();
    let mut uas_args: Vec<String> = [
        "-sf",
        &scenario("scscf_uas.xml"),
        "-i",
        "127.0.0.1",
        "-p",
        &core_port.to_string(),
        "-m",
        "3",
        "-key",
        "home",
        HOME,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if core_tcp {
        uas_args.extend(["-t".into(), "t1".into()]);
    }
    let uas = Sipp::spawn(&dir, "scscf_uas", &uas_args);
    wait_bound(core_port, core_tcp);
    let edge = EdgeUnderTest::start(([127, 0, 0, 1], core_port).into(), core_tcp, false);
    let target = if client_tcp { edge.tcp } else { edge.udp };
    let uac = Sipp::spawn(
        &dir,
        "register_ok",
        &client_args(
            target,
            client_tcp,
            "register_ok.xml",
            &token(SECRET, 600),
            3,
        ),
    );
    uac.expect_success();
    uas.expect_success();
    drop(edge);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn valid_token_over_udp_reaches_a_udp_scscf_as_annex_u() {
    valid_token_through_sipp_scscf("udp_to_udp", false, false);
}

#[test]
fn valid_token_over_tcp_reaches_a_tcp_scscf_as_annex_u() {
    valid_token_through_sipp_scscf("tcp_to_tcp", true, true);
}

#[test]
fn valid_token_over_tcp_reaches_a_udp_scscf_as_annex_u() {
    valid_token_through_sipp_scscf("tcp_to_udp", true, false);
}

fn bad_tokens_get_401(test: &str, client_tcp: bool) {
    if !sipp_present(test) {
        return;
    }
    let dir = workdir("sipp", test);
    let core: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let edge = EdgeUnderTest::start(core, false, true);
    let target = if client_tcp { edge.tcp } else { edge.udp };
    let expired = token(SECRET, -1);
    let forged = token("a-forger-secret-also-32-bytes-long", 600);
    for (name, tok) in [("expired", &expired), ("forged", &forged)] {
        Sipp::spawn(
            &dir,
            name,
            &client_args(target, client_tcp, "register_rejected.xml", tok, 2),
        )
        .expect_success();
    }
    drop(edge);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn expired_and_forged_tokens_over_udp_get_401_invalid_token() {
    bad_tokens_get_401("bad_udp", false);
}

#[test]
fn expired_and_forged_tokens_over_tcp_get_401_invalid_token() {
    bad_tokens_get_401("bad_tcp", true);
}
