//! The eP-CSCF: SIP over WebSocket and secure WebSocket (RFC 7118), UDP, TCP and TLS
//! toward clients, UDP or TCP
//! toward the S-CSCF, with REGISTERs admitted by bearer token (RFC 8898) and forwarded
//! as TS 33.203 Annex U trusted-node registrations; the registered clients' requests
//! sent on to the core with the identity the edge asserts (TS 24.229 5.2.6), and the
//! core's requests for them delivered on the connection they registered on (RFC 5626
//! 5.3).
//!
//! ```text
//! cargo run --example epcscf -- --hmac-secret demo-secret-of-at-least-32-bytes \
//!     --issuer https://waf.example --audience epcscf.visited.example --core 127.0.0.1:5070
//! ```
//! Add `--wss-listen 127.0.0.1:8443 --tls-cert cert.pem --tls-key key.pem` for `wss://`
//! (and `--tls-listen` for SIP over TLS); `kill -HUP` reloads the certificate, as does
//! replacing its files. One log line per hop on standard error; Ctrl-C stops it.

#[path = "common/mod.rs"]
mod common;

use common::args::Settings;
use common::edge_server::{Bound, EdgeServer};
use common::{edge_setup, fd_limit, log};

async fn run() -> Result<(), String> {
    let usage = format!(
        "usage: epcscf [--config FILE] [flags]\n\n{}",
        edge_setup::usage()
    );
    let settings = Settings::from_args(edge_setup::KNOWN, &usage)?;
    let addrs = edge_setup::addrs(&settings)?;
    let secure = edge_setup::secure(&settings)?;
    let bound = Bound::bind(addrs.clone())
        .await
        .map_err(|e| format!("binding: {e}"))?;
    let bound = match secure {
        Some((a, certs)) => bound
            .bind_secure(a, certs)
            .await
            .map_err(|e| format!("binding: {e}"))?,
        None => bound,
    };
    // One connection is one descriptor: without this the soft limit (often 1024) would
    // refuse users long before memory runs out.
    match fd_limit::raise() {
        Ok(r) => log::line(
            "epcscf",
            format_args!(
                "open files: soft limit {} (was {}): room for {} client connections",
                r.now,
                r.was,
                r.connections()
            ),
        ),
        Err(e) => log::line(
            "epcscf",
            format_args!("open files: could not raise the limit: {e}"),
        ),
    }
    let edge = edge_setup::edge(&settings, &bound.default_edge_host())?;
    let show =
        |a: Option<std::net::SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
    log::line(
        "epcscf",
        format_args!(
            "listening ws={} wss={} udp={} tcp={} tls={}; core={}:{} as {}; home={}",
            show(bound.ws_addr()),
            show(bound.wss_addr()),
            show(bound.udp_addr()),
            show(bound.tcp_addr()),
            show(bound.tls_addr()),
            if addrs.core_tcp { "tcp" } else { "udp" },
            addrs.core,
            edge.config().edge_host(),
            edge.config().home_domain(),
        ),
    );
    let server = EdgeServer::start(edge, bound, None);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
    log::line("epcscf", format_args!("shutting down"));
    server.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("epcscf: {e}");
        std::process::exit(2);
    }
}
