//! The example programs' transport code: the SIP WebSocket handshake (RFC 7118), tokens
//! taken from the handshake, TCP framing with keep-alives, and the stand-in registrar's
//! trust rules. Everything runs on 127.0.0.1 and stops by itself.

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use common::args::Settings;
use common::core_peer::Peer;
use common::edge_server::EdgeServer;
use common::lab;
use common::registrar::{self, Registrar};
use common::tokens::{Claims, Signer};
use common::wic_client::Wic;
use common::{edge_setup, stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "transport-secret-of-32-bytes-min";
const LIMIT: Duration = Duration::from_secs(10);

struct Setup {
    server: EdgeServer,
    ws: SocketAddr,
    tcp: SocketAddr,
    _core: JoinSet<()>,
}

async fn setup(token_location: &str) -> Setup {
    let core = lab::core(HOME, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let core_addr = core.addr.to_string();
    let args = [
        "--ws-listen",
        "127.0.0.1:0",
        "--udp-listen",
        "off",
        "--tcp-listen",
        "127.0.0.1:0",
        "--core",
        &core_addr,
        "--allow-insecure-transport",
        "true",
        "--hmac-secret",
        SECRET,
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
        "--token-location",
        token_location,
    ];
    let started = lab::edge(&args, None).await.unwrap();
    Setup {
        server: started.server,
        ws: started.ws.unwrap(),
        tcp: started.tcp.unwrap(),
        _core: core.tasks,
    }
}

fn token(user: &str) -> String {
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

#[tokio::test]
async fn handshake_without_the_sip_subprotocol_is_refused() {
    let s = setup("authorization").await;
    let url = format!("ws://{}/", s.ws);
    let res = tokio::time::timeout(LIMIT, tokio_tungstenite::connect_async(url.as_str()))
        .await
        .unwrap();
    match res {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 400);
        }
        other => panic!("expected an HTTP 400 refusal, got {:?}", other.map(|_| ())),
    }
    s.server.shutdown().await;
}

#[tokio::test]
async fn registers_with_the_token_in_the_register() {
    let s = setup("authorization").await;
    let url = format!("ws://{}/", s.ws);
    let mut wic = Wic::connect(&url, "bob", HOME, None).await.unwrap();
    let t = token("bob");
    let ok = wic.register(Some(&t), 600).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.text.contains("Service-Route: <sip:orig@127.0.0.1:"));
    let gone = wic.register(Some(&t), 0).await.unwrap();
    assert_eq!(gone.status, 200);
    assert!(!gone.text.contains("Contact:"));
    wic.close().await;
    s.server.shutdown().await;
}

#[tokio::test]
async fn registers_with_the_token_from_the_handshake_header() {
    let s = setup("transport").await;
    let url = format!("ws://{}/", s.ws);
    let t = token("bob");
    let mut wic = Wic::connect(&url, "bob", HOME, Some(&t)).await.unwrap();
    let ok = wic.register(None, 600).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    wic.close().await;

    // The same client without a handshake token is challenged.
    let mut bare = Wic::connect(&url, "bob", HOME, None).await.unwrap();
    let challenged = bare.register(None, 600).await.unwrap();
    assert_eq!(challenged.status, 401);
    assert!(challenged.text.contains("WWW-Authenticate: Bearer realm="));
    bare.close().await;
    s.server.shutdown().await;
}

#[tokio::test]
async fn registers_with_the_token_from_the_query() {
    let s = setup("transport").await;
    let url = format!("ws://{}/sip?access_token={}", s.ws, token("carol"));
    let mut wic = Wic::connect(&url, "carol", HOME, None).await.unwrap();
    let ok = wic.register(None, 600).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    wic.close().await;
    s.server.shutdown().await;
}

/// Reads from `conn` until `want` has been seen, within [`LIMIT`].
async fn read_until(conn: &mut TcpStream, want: &str) -> String {
    let mut got = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !String::from_utf8_lossy(&got).contains(want) {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, conn.read(&mut buf))
            .await
            .expect("timed out")
            .unwrap();
        assert!(
            n > 0,
            "closed before {want:?}: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

#[tokio::test]
async fn tcp_client_is_framed_answers_pings_and_other_methods_reach_the_core() {
    let s = setup("authorization").await;
    let mut conn = TcpStream::connect(s.tcp).await.unwrap();
    conn.write_all(b"\r\n\r\n").await.unwrap();
    assert_eq!(read_until(&mut conn, "\r\n").await, "\r\n");

    let t = token("bob");
    let register = format!(
        "REGISTER sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKt1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:bob@{HOME}>;tag=a\r\nTo: <sip:bob@{HOME}>\r\n\
         Call-ID: tcp-1\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@127.0.0.1:1;transport=tcp>\r\n\
         Expires: 300\r\nAuthorization: Bearer {t}\r\nContent-Length: 0\r\n\r\n"
    );
    // Split across two writes: the framer must wait for the rest.
    let (a, b) = register.as_bytes().split_at(40);
    conn.write_all(a).await.unwrap();
    conn.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    conn.write_all(b).await.unwrap();
    let reply = read_until(&mut conn, "\r\n\r\n").await;
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"), "{reply}");
    assert!(reply.contains("Contact: <sip:bob@127.0.0.1:1;transport=tcp>;expires=300"));

    let options = format!(
        "OPTIONS sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKt2\r\n\
         Max-Forwards: 70\r\nFrom: <sip:bob@{HOME}>;tag=a\r\nTo: <sip:bob@{HOME}>\r\n\
         Call-ID: tcp-2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    conn.write_all(options.as_bytes()).await.unwrap();
    let reply = read_until(&mut conn, "\r\n\r\n").await;
    // Registered, bob's OPTIONS goes on to the core, whose answer comes back: the
    // stand-in S-CSCF has no user at a Request-URI without a user part.
    assert!(reply.starts_with("SIP/2.0 404 "), "{reply}");
    s.server.shutdown().await;
}

#[tokio::test]
async fn stream_reader_splits_pipelined_messages() {
    let (mut client, server) = tokio::io::duplex(1024);
    let two = b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 2\r\n\r\nhi\
                OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    client.write_all(two).await.unwrap();
    drop(client);
    let mut r = stream::SipReader::new(server);
    let mut got = Vec::new();
    while let Some(item) = r.next().await.unwrap() {
        if let stream::Item::Message(m) = item {
            got.push(m);
        }
    }
    assert_eq!(got.len(), 2);
    assert!(got[0].ends_with(b"hi"));
    assert!(got[1].starts_with(b"OPTIONS sip:b"));
}

fn annex_u_register(auth: &str) -> Bytes {
    Bytes::from(format!(
        "REGISTER sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKr1\r\n\
         From: <sip:bob@{HOME}>;tag=a\r\nTo: <sip:bob@{HOME}>\r\nCall-ID: r1\r\n\
         CSeq: 1 REGISTER\r\nContact: <sip:bob@192.0.2.1>\r\nExpires: 60\r\n{auth}\
         Content-Length: 0\r\n\r\n"
    ))
}

const AUTH_DONE: &str = "Authorization: Digest username=\"bob@ims.mnc001.mcc001.3gppnetwork.org\", \
    realm=\"ims.mnc001.mcc001.3gppnetwork.org\", uri=\"sip:ims.mnc001.mcc001.3gppnetwork.org\", \
    nonce=\"\", response=\"\", integrity-protected=\"auth-done\"\r\n";

#[test]
fn registrar_trusts_only_auth_done_from_trusted_nodes() {
    let reg = Registrar::new(HOME, vec!["127.0.0.1".parse().unwrap()]);
    let trusted = Peer::Udp("127.0.0.1:5060".parse().unwrap());
    let other = Peer::Udp("192.0.2.99:5060".parse().unwrap());
    let now = Instant::now();
    let status = |a: Option<registrar::Answer>| {
        String::from_utf8(a.unwrap().bytes.to_vec())
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };

    let ok = reg.handle(annex_u_register(AUTH_DONE), trusted, now);
    assert_eq!(status(ok), "SIP/2.0 200 OK");
    assert_eq!(reg.registered(now), 1);
    // Bindings expire.
    assert_eq!(reg.registered(now + Duration::from_secs(61)), 0);

    let forged = reg.handle(annex_u_register(AUTH_DONE), other, now);
    assert_eq!(status(forged), "SIP/2.0 403 Forbidden");
    let no_auth = reg.handle(annex_u_register(""), trusted, now);
    assert_eq!(status(no_auth), "SIP/2.0 403 Forbidden");
    let bearer = reg.handle(
        annex_u_register("Authorization: Bearer abc.def.ghi\r\n"),
        trusted,
        now,
    );
    assert_eq!(status(bearer), "SIP/2.0 403 Forbidden");
    let yes = AUTH_DONE.replace("auth-done", "yes");
    let ip_yes = reg.handle(annex_u_register(&yes), trusted, now);
    assert_eq!(status(ip_yes), "SIP/2.0 403 Forbidden");
}

/// The settings of `--hmac-secret`, `--flow-key` and `extra`, as the eP-CSCF reads them.
fn spec_with(extra: &[&str]) -> sip_oauth::spec::Spec {
    let mut a: Vec<String> = [
        "--hmac-secret",
        SECRET,
        "--flow-key",
        "the-current-key-0123",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    a.extend(extra.iter().map(|s| (*s).to_owned()));
    let settings = Settings::parse(a, edge_setup::KNOWN, "").unwrap();
    edge_setup::spec(&settings, "127.0.0.1:5060").unwrap()
}

#[test]
fn the_trust_flags_reach_the_edge_configuration() {
    let args = |extra: &[&str]| spec_with(extra).edge;
    // Defaults: an epoch drawn at start-up, no previous key, tokens only over TLS/WSS.
    let spec = args(&[]);
    assert!(spec.epoch.is_some());
    assert!(spec.previous_flow_key.is_none());
    assert_eq!(spec.allow_insecure_transport, None);
    let spec = args(&[
        "--epoch",
        "42",
        "--previous-flow-key",
        "the-earlier-key-0123",
        "--allow-insecure-transport",
        "true",
    ]);
    assert_eq!(spec.epoch, Some(42));
    assert_eq!(spec.allow_insecure_transport, Some(true));
    let config = spec.build().unwrap();
    assert_eq!(config.flow_codec().epoch(), 42);
    let before = sip_oauth::edge::FlowTokenCodec::new(b"the-earlier-key-0123")
        .unwrap()
        .with_epoch(42);
    let branch = before.branch(sip_oauth::edge::FlowId(3), &[b"t"], None);
    assert_eq!(
        config.flow_codec().flow_from_branch(&branch),
        Ok(sip_oauth::edge::FlowId(3))
    );
    // Two starts draw two epochs.
    assert_ne!(edge_setup::start_epoch(), {
        std::thread::sleep(Duration::from_millis(2));
        edge_setup::start_epoch()
    });
}

#[test]
fn the_jwt_safety_flags_reach_the_validator() {
    let spec = |extra: &[&str]| spec_with(extra).jwt;
    // No audience: refused, unless any audience is allowed explicitly.
    let e = spec(&[]).build().unwrap_err();
    assert_eq!(e.key, "jwt.audience", "{e}");
    assert!(spec(&["--allow-any-audience", "true"]).build().is_ok());
    assert!(
        spec(&["--audience", "epcscf.visited.example"])
            .build()
            .is_ok()
    );
    let limited = spec(&[
        "--allow-any-audience",
        "true",
        "--max-keys-without-kid",
        "3",
    ]);
    assert_eq!(limited.allow_any_audience, Some(true));
    assert_eq!(limited.max_keys_without_kid.map(|n| n.get()), Some(3));
}

/// A value each flag accepts, by name where the key wants one of a few words.
fn sample(name: &str, kind: edge_setup::FlagKind) -> (String, toml::Value) {
    use edge_setup::FlagKind;
    let word = match name {
        "core-transport" => "tcp",
        "token-location" => "authorization",
        "auth-entity" => "header:X-Auth-Entity",
        "expiry-policy" => "reject",
        "backend" => "aws_lc",
        "auth-entity-source" => "issuer",
        "algorithms" => "ES256,RS256",
        _ => "sample-value-of-16-bytes",
    };
    match kind {
        FlagKind::Int => ("7".into(), toml::Value::Integer(7)),
        FlagKind::Bool => ("true".into(), toml::Value::Boolean(true)),
        FlagKind::List => (
            if word.contains(',') {
                word
            } else {
                "a.example,b.example"
            }
            .into(),
            toml::Value::Array(
                if word.contains(',') {
                    word
                } else {
                    "a.example,b.example"
                }
                .split(',')
                .map(|s| toml::Value::String(s.into()))
                .collect(),
            ),
        ),
        FlagKind::Text => (word.into(), toml::Value::String(word.into())),
    }
}

#[test]
fn every_flag_reaches_its_spec_key_and_is_in_the_help() {
    let help = edge_setup::usage();
    let mut seen = 0;
    for (name, key, kind) in edge_setup::spec_flags() {
        seen += 1;
        assert!(
            help.contains(&format!("--{name} ")),
            "--{name} not in --help"
        );
        assert!(help.contains(&format!("[{key}]")), "{key} not in --help");
        let (text, want) = sample(name, kind);
        // The flag under test replaces the base key source or flow key when it is one.
        let mut a: Vec<String> = Vec::new();
        if !key.starts_with("jwt.key.") {
            a.extend(["--hmac-secret".into(), SECRET.into()]);
        }
        if !key.contains("flow_key") {
            a.extend(["--flow-key".into(), "the-current-key-0123".into()]);
        }
        // The other introspection settings need the endpoint.
        if key.starts_with("introspection.") && key != "introspection.url" {
            a.extend(["--introspection-url".into(), "http://127.0.0.1:1/".into()]);
        }
        a.extend([format!("--{name}"), text]);
        let settings = Settings::parse(a, edge_setup::KNOWN, "").unwrap();
        let table = edge_setup::table(&settings, "127.0.0.1:5060").unwrap();
        assert_eq!(
            edge_setup::value_at(&table, key),
            Some(&want),
            "--{name} does not set {key}"
        );
        // The specification knows the key (it refuses unknown ones) and takes the value.
        if let Err(e) = edge_setup::spec(&settings, "127.0.0.1:5060") {
            panic!("--{name}: {e}");
        }
    }
    // Every option of the edge, the validator and introspection has its flag (the inline
    // key forms, `jwt.key.pem` and `jwt.key.jwks`, are for files and documents only).
    let keys: Vec<&str> = edge_setup::spec_flags().map(|(_, k, _)| k).collect();
    let options = [
        "edge.home_domain",
        "edge.edge_host",
        "edge.flow_key",
        "edge.previous_flow_key",
        "edge.epoch",
        "edge.realm",
        "edge.core_transport",
        "edge.token_location",
        "edge.visited_network_id",
        "edge.orig_ioi",
        "edge.auth_entity",
        "edge.challenge_scope",
        "edge.authz_server",
        "edge.expiry_policy",
        "edge.reply_to_tag",
        "edge.allow_insecure_transport",
        "edge.also_home_domains",
        "edge.min_token_lifetime_seconds",
        "edge.max_registrations",
        "edge.limits.max_message_bytes",
        "edge.limits.max_headers",
        "edge.limits.max_line_bytes",
        "jwt.key.hmac_secret",
        "jwt.key.pem_file",
        "jwt.key.der_file",
        "jwt.key.jwks_file",
        "jwt.key.jwks_url",
        "jwt.algorithms",
        "jwt.issuer",
        "jwt.audience",
        "jwt.allow_any_audience",
        "jwt.max_keys_without_kid",
        "jwt.leeway_seconds",
        "jwt.require_exp",
        "jwt.required_scopes",
        "jwt.require_at_jwt",
        "jwt.max_token_bytes",
        "jwt.backend",
        "jwt.claims.impi",
        "jwt.claims.impus",
        "jwt.claims.require_impus",
        "jwt.claims.wwsf",
        "jwt.claims.auth_entity",
        "jwt.confine.impi_realms",
        "jwt.confine.impu_domains",
        "jwt.confine.tel_prefixes",
        "introspection.url",
        "introspection.client_id",
        "introspection.client_secret",
        "introspection.timeout_ms",
        "introspection.retry_after_seconds",
        "introspection.cache",
    ];
    for option in options {
        assert!(
            keys.iter()
                .any(|k| *k == option || k.starts_with(&format!("{option}."))),
            "no flag sets {option}"
        );
    }
    assert_eq!(seen, keys.len());
    for new in [
        "--jwks-url",
        "--introspection-url",
        "--introspection-client-id",
        "--introspection-client-secret",
        "--jwks-min-interval",
    ] {
        assert!(help.contains(new), "{new}");
    }
}

#[test]
fn the_introspection_flags_reach_the_validator_and_the_client() {
    let spec = spec_with(&[
        "--introspection-url",
        "http://127.0.0.1:1/introspect",
        "--introspection-client-id",
        "epcscf",
        "--introspection-client-secret",
        "s3cret",
        "--introspection-timeout-ms",
        "250",
        "--introspection-retry-after",
        "9",
        "--audience",
        AUDIENCE,
    ]);
    let i = spec.introspection.as_ref().unwrap();
    assert_eq!(i.url, "http://127.0.0.1:1/introspect");
    assert_eq!(i.timeout(), Duration::from_millis(250));
    assert_eq!(
        i.client().unwrap(),
        Some(("epcscf".to_owned(), b"s3cret".to_vec()))
    );
    let v = i.build(&spec.jwt).unwrap();
    assert_eq!(
        v.unavailable(),
        sip_oauth::validate::ValidationError::Unavailable { retry_after: 9 }
    );
    // An id without its secret is refused, naming the key.
    let half = spec_with(&[
        "--introspection-url",
        "http://x/",
        "--introspection-client-id",
        "a",
    ]);
    let e = half.introspection.unwrap().client().unwrap_err();
    assert_eq!(e.key, "introspection.client_secret");
    // Keys at a URL are for the live set-up only.
    let a = ["--jwks-url", "http://127.0.0.1:1/jwks"].map(str::to_owned);
    let settings = Settings::parse(a, edge_setup::KNOWN, "").unwrap();
    let url = edge_setup::spec(&settings, "127.0.0.1:5060").unwrap();
    assert_eq!(url.jwt.key.url(), Some("http://127.0.0.1:1/jwks"));
    assert!(edge_setup::edge(&settings, "127.0.0.1:5060").is_err());
    // Two key sources are refused.
    let a = ["--jwks-url", "http://x/jwks", "--hmac-secret", SECRET].map(str::to_owned);
    let settings = Settings::parse(a, edge_setup::KNOWN, "").unwrap();
    let e = edge_setup::spec(&settings, "127.0.0.1:5060").unwrap_err();
    assert!(e.contains("--jwks-url"), "{e}");
}

#[test]
fn the_sample_configuration_reads_with_and_without_its_commented_introspection() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/epcscf.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let read = |text: &str| {
        let file = std::env::temp_dir().join(format!("epcscf-{}.toml", std::process::id()));
        std::fs::write(&file, text).unwrap();
        let a = ["--config".to_owned(), file.display().to_string()];
        let settings = Settings::parse(a, edge_setup::KNOWN, "").unwrap();
        let spec = edge_setup::spec(&settings, "127.0.0.1:5060");
        let _ = std::fs::remove_file(&file);
        spec.unwrap()
    };
    assert!(read(&text).introspection.is_none());
    // Uncomment the [introspection] table and the lines after it.
    let at = text.find("# [introspection]").unwrap();
    let (head, tail) = text.split_at(at);
    let tail: String = tail
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let spec = read(&format!("{head}{tail}\n"));
    let i = spec.introspection.unwrap();
    assert_eq!(i.url, "http://127.0.0.1:8081/introspect");
    assert_eq!(i.client_id.as_deref(), Some("epcscf"));
}
