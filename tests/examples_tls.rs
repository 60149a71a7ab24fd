//! The example edge's secure listeners: REGISTER over `wss://` (RFC 7118) and over SIP
//! over TLS (RFC 3261 26.2), with a certificate made for the test, tokens accepted
//! because the transport protects them (RFC 6750 5.3) and refused on plain `ws://`; and
//! the certificate replaced without a restart, on SIGHUP and when its files change.
//! Everything runs on 127.0.0.1 and stops by itself.

#[path = "../examples/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::edge_server::EdgeServer;
use common::lab;
use common::stream;
use common::tls_certs::{self, SelfSigned};
use common::tokens::{Claims, Signer};
use common::wic_client::Wic;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const SECRET: &str = "tls-test-secret-of-32-bytes-min!";
const LIMIT: Duration = Duration::from_secs(10);

/// A fresh directory for one test's certificate files.
fn scratch_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sip-oauth-tls-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Setup {
    server: EdgeServer,
    ws: SocketAddr,
    wss: SocketAddr,
    tls: SocketAddr,
    dir: Scratch,
    _core: JoinSet<()>,
}

/// A directory removed when the test ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An edge with plain WS, WSS and TLS listeners presenting `cert` from files, polling
/// them every `poll`; tokens over insecure transports are not allowed.
async fn setup(cert: &SelfSigned, poll: Duration) -> Setup {
    let dir = scratch_dir();
    let (cert_file, key_file) = cert.write_to(&dir).unwrap();
    let core = lab::core(HOME, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let core_addr = core.addr.to_string();
    let (cert_file, key_file) = (
        cert_file.display().to_string(),
        key_file.display().to_string(),
    );
    let args = [
        "--ws-listen",
        "127.0.0.1:0",
        "--wss-listen",
        "127.0.0.1:0",
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert_file,
        "--tls-key",
        &key_file,
        "--udp-listen",
        "off",
        "--tcp-listen",
        "off",
        "--core",
        &core_addr,
        "--hmac-secret",
        SECRET,
        "--issuer",
        ISSUER,
        "--audience",
        AUDIENCE,
    ];
    let started = lab::edge(&args, Some(poll)).await.unwrap();
    Setup {
        server: started.server,
        ws: started.ws.unwrap(),
        wss: started.wss.unwrap(),
        tls: started.tls.unwrap(),
        dir: Scratch(dir),
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

fn der(cert: &SelfSigned) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).unwrap()
}

/// A TLS connection to `addr`, trusting the certificates of `trusted` (PEM).
async fn tls_connect(addr: SocketAddr, trusted: &str) -> TlsStream<TcpStream> {
    let connector = TlsConnector::from(tls_certs::trusting(trusted.as_bytes()).unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(addr.ip().into());
    tokio::time::timeout(LIMIT, connector.connect(name, tcp))
        .await
        .expect("handshake timed out")
        .unwrap()
}

/// The leaf certificate the server presented on `conn`.
fn presented(conn: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    conn.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// Reads from `conn` until `want` has been seen, within [`LIMIT`].
async fn read_until<R: AsyncRead + Unpin>(conn: &mut R, want: &str) -> String {
    let mut got = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !String::from_utf8_lossy(&got).contains(want) {
        let mut buf = [0u8; 4096];
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, conn.read(&mut buf))
            .await
            .expect("timed out")
            .unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

#[tokio::test]
async fn registers_over_wss_and_not_over_plain_ws() {
    let cert = SelfSigned::loopback().unwrap();
    let s = setup(&cert, Duration::from_secs(3600)).await;
    let trust = tls_certs::trusting(cert.cert_pem.as_bytes()).unwrap();
    let t = token("bob");

    let url = format!("wss://{}/", s.wss);
    let mut wic = Wic::connect_with(&url, "bob", HOME, None, Some(trust))
        .await
        .unwrap();
    let ok = wic.register(Some(&t), 600).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.text.contains("Via: SIP/2.0/WSS "), "{}", ok.text);
    let gone = wic.register(Some(&t), 0).await.unwrap();
    assert_eq!(gone.status, 200);
    wic.close().await;

    // The same token over ws:// is not taken: the transport does not protect it.
    let mut plain = Wic::connect(&format!("ws://{}/", s.ws), "bob", HOME, None)
        .await
        .unwrap();
    let refused = plain.register(Some(&t), 600).await.unwrap();
    assert_ne!(refused.status, 200, "{}", refused.text);
    plain.close().await;
    s.server.shutdown().await;
}

#[tokio::test]
async fn wss_client_refuses_a_certificate_it_does_not_trust() {
    let cert = SelfSigned::loopback().unwrap();
    let other = SelfSigned::loopback().unwrap();
    let s = setup(&cert, Duration::from_secs(3600)).await;
    let trust = tls_certs::trusting(other.cert_pem.as_bytes()).unwrap();
    let url = format!("wss://{}/", s.wss);
    let res = Wic::connect_with(&url, "bob", HOME, None, Some(trust)).await;
    assert!(res.is_err(), "connected to an untrusted certificate");
    s.server.shutdown().await;
}

#[tokio::test]
async fn registers_over_tls_and_answers_pings() {
    let cert = SelfSigned::loopback().unwrap();
    let s = setup(&cert, Duration::from_secs(3600)).await;
    let mut conn = tls_connect(s.tls, &cert.cert_pem).await;
    assert_eq!(presented(&conn), der(&cert));

    // RFC 5626 4.4.1: a CRLFCRLF ping is answered with a CRLF pong, over TLS too.
    conn.write_all(b"\r\n\r\n").await.unwrap();
    assert_eq!(read_until(&mut conn, "\r\n").await, "\r\n");

    let t = token("carol");
    let register = format!(
        "REGISTER sip:{HOME} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKtls1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:carol@{HOME}>;tag=a\r\nTo: <sip:carol@{HOME}>\r\n\
         Call-ID: tls-1\r\nCSeq: 1 REGISTER\r\n\
         Contact: <sip:carol@127.0.0.1:1;transport=tls>\r\n\
         Expires: 300\r\nAuthorization: Bearer {t}\r\nContent-Length: 0\r\n\r\n"
    );
    conn.write_all(register.as_bytes()).await.unwrap();
    let reply = read_until(&mut conn, "\r\n\r\n").await;
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"), "{reply}");
    assert!(reply.contains("Contact: <sip:carol@127.0.0.1:1;transport=tls>;expires=300"));
    // The reply is framed like any SIP stream.
    let mut framed = stream::SipReader::new(reply.as_bytes());
    assert!(matches!(
        framed.next().await,
        Ok(Some(stream::Item::Message(_)))
    ));
    s.server.shutdown().await;
}

/// Writes `cert` over the files in `dir`, key first (the watch may look in between;
/// a mismatched pair is refused and tried again when the files change).
fn replace_files(cert: &SelfSigned, dir: &Path) {
    std::fs::write(dir.join("key.pem"), &cert.key_pem).unwrap();
    std::fs::write(dir.join("cert.pem"), &cert.cert_pem).unwrap();
}

/// Connects until a new connection is presented `want`, within [`LIMIT`].
async fn wait_for_certificate(addr: SocketAddr, trusted: &str, want: &CertificateDer<'_>) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let conn = tls_connect(addr, trusted).await;
        if presented(&conn) == *want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never presented"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn certificate_is_reloaded_on_sighup() {
    let (a, b) = (
        SelfSigned::loopback().unwrap(),
        SelfSigned::loopback().unwrap(),
    );
    let trusted = format!("{}{}", a.cert_pem, b.cert_pem);
    // No polling within the test: only the signal can bring the new certificate in.
    let s = setup(&a, Duration::from_secs(3600)).await;
    let before = tls_connect(s.wss, &trusted).await;
    assert_eq!(presented(&before), der(&a));

    replace_files(&b, &s.dir.0);
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    wait_for_certificate(s.wss, &trusted, &der(&b)).await;
    // The TLS listener shares the certificate.
    assert_eq!(presented(&tls_connect(s.tls, &trusted).await), der(&b));
    s.server.shutdown().await;
}

#[tokio::test]
async fn certificate_is_reloaded_when_its_files_change_and_a_broken_one_is_ignored() {
    let (a, b) = (
        SelfSigned::loopback().unwrap(),
        SelfSigned::loopback().unwrap(),
    );
    let trusted = format!("{}{}", a.cert_pem, b.cert_pem);
    let s = setup(&a, Duration::from_millis(200)).await;
    assert_eq!(presented(&tls_connect(s.tls, &trusted).await), der(&a));

    replace_files(&b, &s.dir.0);
    wait_for_certificate(s.tls, &trusted, &der(&b)).await;

    // A broken file is refused and the last good certificate stays in force.
    std::fs::write(s.dir.0.join("cert.pem"), "not a certificate\n").unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(presented(&tls_connect(s.tls, &trusted).await), der(&b));
    s.server.shutdown().await;
}
