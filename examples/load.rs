//! Throughput on loopback: WebSocket clients register through the eP-CSCF to the
//! registrar as fast as they can, first with HS256 tokens, then with RS256 tokens.
//! Prints REGISTERs per second (each one a full round trip: client, edge with token
//! check, registrar, edge relay, client) and the process's peak resident memory.
//!
//! ```text
//! cargo run --release --example load -- --clients 32 --seconds 5
//! ```
//! Everything (clients, edge, registrar) shares this process and its cores, so the figure
//! is a floor for the edge alone.
//!
//! With `--hold N` it measures connections instead: it opens N WebSocket (`ws://` or
//! `wss://`) connections to an edge running in another process, registers each, and
//! prints how much the edge's resident memory grew per connection (`VmRSS` of
//! `/proc/PID/status`, before and after). `tests/scale/connections.sh` runs it.
//!
//! ```text
//! cargo run --example load -- --hold 10000 --url wss://127.0.0.1:8443/ --ca cert.pem \
//!     --edge-pid $(pgrep -n epcscf) --secret demo-secret-of-at-least-32-bytes
//! ```

#[path = "common/mod.rs"]
mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::args::Settings;
use common::edge_server::{Bound, EdgeAddrs, EdgeServer};
use common::fd_limit;
use common::registrar::{self, Registrar};
use common::tls_certs::{self, SelfSigned};
use common::tokens::{self, Claims, Signer};
use common::wic_client::{Wic, random_id};
use sip_oauth::edge::{Config, Edge};
use sip_oauth::validate::{JwtConfig, JwtValidator};
use tokio::task::JoinSet;

const HOME: &str = "ims.mnc001.mcc001.3gppnetwork.org";
const ISSUER: &str = "https://waf.example";
const AUDIENCE: &str = "epcscf.visited.example";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const USAGE: &str = "\
usage: load [flags]
  --clients N     concurrent WebSocket clients (default 32)
  --seconds S     measuring time per algorithm (default 5)
  --alg A         HS256, RS256 or both (default both)
connections held (an edge in another process):
  --hold N        open N connections, register each, report the edge's memory per one
  --url URL       the edge's ws:// or wss:// listener
  --ca FILE       certificate (PEM) to trust for wss:// (default: the web's roots)
  --secret S      HS256 secret the edge checks tokens with
                  (default demo-secret-of-at-least-32-bytes)
  --edge-pid PID  the edge's process, whose VmRSS is read
  --parallel P    connections opened at a time (default 64)
  --settle S      seconds to wait before reading VmRSS again (default 2)
  --make-cert DIR write a self-signed certificate for 127.0.0.1 to DIR/cert.pem,
                  DIR/key.pem and exit";

/// The flags of both modes.
const KNOWN: &[&str] = &[
    "clients",
    "seconds",
    "alg",
    "hold",
    "url",
    "ca",
    "secret",
    "edge-pid",
    "parallel",
    "settle",
    "make-cert",
];

/// Peak resident set size in KiB (`VmHWM` of /proc/self/status), where available.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A token for `user` of the home domain, valid for an hour from now.
fn hour_token(signer: &Signer, user: &str) -> Result<String, String> {
    let claims = Claims::for_user(
        user,
        HOME,
        ISSUER,
        AUDIENCE,
        SystemTime::now(),
        Duration::from_secs(3600),
    );
    signer.mint(&claims)
}

async fn measure(signer: &Signer, clients: usize, seconds: u64) -> Result<(u64, u64), String> {
    let err = |e: std::io::Error| e.to_string();
    let registrar = Arc::new(Registrar::new(HOME, vec![LOOPBACK]));
    let (udp, _) = registrar::bind(SocketAddr::new(LOOPBACK, 0), false)
        .await
        .map_err(err)?;
    let core = udp.local_addr().map_err(err)?;
    let mut core_tasks = JoinSet::new();
    registrar::serve(registrar, Some(udp), None, &mut core_tasks);
    let bound = Bound::bind(EdgeAddrs {
        ws: Some(SocketAddr::new(LOOPBACK, 0)),
        udp: None,
        tcp: None,
        core,
        core_tcp: false,
        core_bind: SocketAddr::new(LOOPBACK, 0),
    })
    .await
    .map_err(err)?;
    let url = format!("ws://{}/", bound.ws_addr().ok_or("no listener")?);
    let validator = JwtValidator::new(
        JwtConfig::new(signer.verification_source())
            .issuer(ISSUER)
            .audience(AUDIENCE),
    )
    .map_err(|e| e.to_string())?;
    // Plain ws:// on loopback, so tokens over an insecure transport are allowed.
    let config = Config::new(HOME, &bound.default_edge_host(), random_id(32).as_bytes())
        .map_err(|e| e.to_string())?
        .allow_insecure_transport(true)
        .epoch(common::edge_setup::start_epoch() as u64);
    let server = EdgeServer::start(Edge::new(config, validator), bound, None);

    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = JoinSet::new();
    for i in 0..clients {
        let user = format!("user{i}");
        let token = hour_token(signer, &user)?;
        let (url, ok, failed) = (url.clone(), ok.clone(), failed.clone());
        tasks.spawn(async move {
            let Ok(mut wic) = Wic::connect(&url, &user, HOME, None).await else {
                failed.fetch_add(1, Ordering::Relaxed);
                return;
            };
            while Instant::now() < stop {
                match wic.register(Some(&token), 600).await {
                    Ok(f) if f.status == 200 => ok.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
            wic.close().await;
        });
    }
    let started = Instant::now();
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    server.shutdown().await;
    core_tasks.abort_all();
    let done = ok.load(Ordering::Relaxed);
    Ok((
        (done as f64 / elapsed) as u64,
        failed.load(Ordering::Relaxed),
    ))
}

/// A `kB` field of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path}: no {field}"))
}

/// `--hold N`: N registered connections held open, and the edge's memory per one.
async fn hold(s: &Settings, n: usize) -> Result<(), String> {
    let url = s.get("url").ok_or("--hold needs --url")?.to_owned();
    let pid: u32 = s.parsed("edge-pid")?.ok_or("--hold needs --edge-pid")?;
    let parallel: usize = s.parsed("parallel")?.unwrap_or(64).max(1);
    let settle: u64 = s.parsed("settle")?.unwrap_or(2);
    let secret = s.get_or("secret", "demo-secret-of-at-least-32-bytes");
    let tls = match s.get("ca") {
        Some(f) => {
            let pem = std::fs::read(f).map_err(|e| format!("--ca {f}: {e}"))?;
            Some(tls_certs::trusting(&pem)?)
        }
        None => None,
    };
    // This side holds one descriptor per connection too.
    let limit = fd_limit::raise().map_err(|e| format!("raising the open-files limit: {e}"))?;
    if (n as u64) > limit.connections() {
        return Err(format!(
            "--hold {n}: this process may open about {} connections (open-files limit {})",
            limit.connections(),
            limit.now
        ));
    }
    let signer = Signer::hs256(secret.as_bytes(), "hold-1");
    let before = status_kib(pid, "VmRSS:")?;
    let started = Instant::now();
    let mut held = Vec::with_capacity(n);
    let mut failures: Vec<String> = Vec::new();
    let mut next = 0;
    while next < n {
        let mut batch = JoinSet::new();
        for i in next..(next + parallel).min(n) {
            let user = format!("hold{i}");
            let token = hour_token(&signer, &user)?;
            let (url, tls) = (url.clone(), tls.clone());
            batch.spawn(async move {
                let mut wic = Wic::connect_with(&url, &user, HOME, None, tls).await?;
                match wic.register(Some(&token), 3600).await {
                    Ok(f) if f.status == 200 => Ok(wic),
                    Ok(f) => Err(f.first_line().to_owned()),
                    Err(e) => Err(e),
                }
            });
        }
        next = (next + parallel).min(n);
        while let Some(r) = batch.join_next().await {
            match r {
                Ok(Ok(wic)) => held.push(wic),
                Ok(Err(e)) => failures.push(e),
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(settle)).await;
    let after = status_kib(pid, "VmRSS:")?;
    let per = (after.saturating_sub(before)) as f64 / held.len().max(1) as f64;
    println!(
        "{} of {n} connections registered to {url} in {:.1} s ({} failed{})",
        held.len(),
        opened.as_secs_f64(),
        failures.len(),
        failures
            .first()
            .map_or_else(String::new, |e| format!(", first: {e}"))
    );
    println!("edge VmRSS: {before} KiB before, {after} KiB after: {per:.1} KiB per connection");
    // The connections end with the process; closing 10,000 one by one adds nothing.
    drop(held);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} connections failed", failures.len()))
    }
}

async fn run() -> Result<(), String> {
    let s = Settings::from_args(KNOWN, USAGE)?;
    common::log::quiet();
    if let Some(dir) = s.get("make-cert") {
        let cert = SelfSigned::loopback()?;
        let (c, k) = cert
            .write_to(std::path::Path::new(dir))
            .map_err(|e| format!("--make-cert {dir}: {e}"))?;
        println!("{} {}", c.display(), k.display());
        return Ok(());
    }
    if let Some(n) = s.parsed::<usize>("hold")? {
        return hold(&s, n).await;
    }
    let clients: usize = s.parsed("clients")?.unwrap_or(32);
    let seconds: u64 = s.parsed("seconds")?.unwrap_or(5);
    let algs: Vec<&str> = match s.get_or("alg", "both") {
        "both" => vec!["HS256", "RS256"],
        "HS256" => vec!["HS256"],
        "RS256" => vec!["RS256"],
        other => return Err(format!("--alg {other:?}: HS256, RS256 or both")),
    };
    println!(
        "{clients} WebSocket clients, {seconds} s per algorithm, {} worker threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for alg in algs {
        let signer = if alg == "HS256" {
            Signer::hs256(tokens::DEMO_SECRET, "load-1")
        } else {
            Signer::rs256(tokens::RS256_PRIVATE, tokens::RS256_PUBLIC, "load-1")?
        };
        let (rate, failed) = measure(&signer, clients, seconds).await?;
        println!("{alg}: {rate} REGISTER/s (200 OK round trips), {failed} failed");
    }
    match peak_rss_kib() {
        Some(k) => println!("peak RSS (VmHWM): {:.1} MiB", k as f64 / 1024.0),
        None => println!("peak RSS: not available on this system"),
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("load: {e}");
        std::process::exit(2);
    }
}
