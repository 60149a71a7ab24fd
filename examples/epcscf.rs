//! The eP-CSCF: SIP over WebSocket (RFC 7118), UDP and TCP toward clients, UDP or TCP
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
//! replacing its files. One `tracing` event per decision on standard error
//! (`--log-format text|json`); metrics on `--metrics-listen ADDR`; Ctrl-C or SIGTERM
//! stops it gracefully.

#[path = "common/mod.rs"]
mod common;

use common::args::Settings;
use common::edge_server::{Bound, EdgeServer};
use common::server_flags::{self, ServerFlags};
use common::{edge_setup, fd_limit, log};

async fn run() -> Result<(), String> {
    let mut stop = StopSignal::install()?;
    let usage = format!(
        "usage: epcscf [--config FILE] [flags]\n\n{}{}",
        edge_setup::usage(),
        server_flags::usage()
    );
    let known: Vec<&str> = edge_setup::KNOWN
        .iter()
        .chain(server_flags::KNOWN)
        .copied()
        .collect();
    let settings = Settings::from_args(&known, &usage)?;
    let flags = ServerFlags::from(&settings)?;
    // Kept to the end of `run`: dropping it flushes the buffered log.
    let _log = log::init_tracing(flags.log_format, flags.log_level.as_deref())?;
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
        Ok(r) => tracing::info!(
            target: "epcscf",
            soft_limit = r.now,
            was = r.was,
            connections = r.connections(),
            "open files: room for the client connections"
        ),
        Err(e) => tracing::warn!(target: "epcscf", "open files: could not raise the limit: {e}"),
    }
    let metrics = match flags.metrics {
        Some(a) => Some(
            tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| format!("binding --metrics-listen {a}: {e}"))?,
        ),
        None => None,
    };
    let live = edge_setup::edge_live(&settings, &bound.default_edge_host()).await?;
    let edge = live.edge;
    // Keys of --jwks-url: refreshed on their max-age for as long as the server runs.
    let _refresher = live
        .fetcher
        .as_ref()
        .map(|f| f.spawn_refresher(|m| tracing::info!(target: "epcscf", "{m}")));
    let show =
        |a: Option<std::net::SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
    tracing::info!(
        target: "epcscf",
        ws = %show(bound.ws_addr()),
        wss = %show(bound.wss_addr()),
        udp = %show(bound.udp_addr()),
        tcp = %show(bound.tcp_addr()),
        tls = %show(bound.tls_addr()),
        core = %format_args!("{}:{}", if addrs.core_tcp { "tcp" } else { "udp" }, addrs.core),
        edge_host = %edge.config().edge_host(),
        home = %edge.config().home_domain(),
        metrics = %show(metrics.as_ref().and_then(|l| l.local_addr().ok())),
        "listening"
    );
    let mut server = EdgeServer::start_with(edge, bound, None, live.resolver);
    if let Some(l) = metrics {
        server.serve_metrics(l);
    }
    stop.wait().await?;
    server.shutdown().await;
    tracing::info!(target: "epcscf", "stopped");
    Ok(())
}

/// Ctrl-C, or SIGTERM where there are signals (what a service manager sends).
#[cfg(unix)]
struct StopSignal {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

/// Ctrl-C.
#[cfg(not(unix))]
struct StopSignal;

impl StopSignal {
    /// Installs the handlers now, so a signal sent while the server starts is not lost.
    fn install() -> Result<StopSignal, String> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let int =
                signal(SignalKind::interrupt()).map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
            let term =
                signal(SignalKind::terminate()).map_err(|e| format!("waiting for SIGTERM: {e}"))?;
            Ok(StopSignal { int, term })
        }
        #[cfg(not(unix))]
        Ok(StopSignal)
    }

    /// Waits for one.
    async fn wait(&mut self) -> Result<(), String> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => {}
                _ = self.term.recv() => {}
            }
            Ok(())
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("waiting for Ctrl-C: {e}"))
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("epcscf: {e}");
        std::process::exit(2);
    }
}
