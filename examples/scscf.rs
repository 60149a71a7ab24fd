//! A minimal S-CSCF stand-in. Registration: REGISTER only from trusted nodes, only with
//! `integrity-protected="auth-done"` (TS 33.203 Annex U); bindings in memory with expiry,
//! the Path of each and the peer it came from; 200 OK with Contact/expires, Path,
//! Service-Route (`<sip:orig@ADDR;lr>`, its own address) and P-Associated-URI; 403 for a
//! REGISTER outside those rules. Routing: a request arriving over its Service-Route goes
//! to the callee's contact along the callee's Path (404 for an unknown user, 480 for one
//! without a live registration), statelessly, record-routing dialogs; responses go back
//! by Via.
//!
//! ```text
//! cargo run --example scscf -- --listen 127.0.0.1:5070 --trusted 127.0.0.1
//! ```

#[path = "common/mod.rs"]
mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use common::args::Settings;
use common::log;
use common::registrar::{self, Registrar};
use tokio::task::JoinSet;

const USAGE: &str = "\
usage: scscf [--config FILE] [flags]
  --listen ADDR        UDP (and TCP, see --tcp) address (default 127.0.0.1:5070)
  --tcp on|off         also listen on TCP at the same address (default on)
  --trusted IPS        comma list of trusted edge addresses (default 127.0.0.1)
  --home-domain D      home network domain (default ims.mnc001.mcc001.3gppnetwork.org)";

async fn run() -> Result<(), String> {
    let s = Settings::from_args(&["listen", "tcp", "trusted", "home-domain"], USAGE)?;
    let listen: SocketAddr = s.parsed("listen")?.unwrap_or(([127, 0, 0, 1], 5070).into());
    let trusted = if s.get("trusted").is_some() {
        s.list("trusted")
            .iter()
            .map(|t| {
                t.parse::<IpAddr>()
                    .map_err(|e| format!("--trusted {t:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        vec![IpAddr::from([127, 0, 0, 1])]
    };
    let home = s.get_or("home-domain", "ims.mnc001.mcc001.3gppnetwork.org");
    let tcp = s.get_or("tcp", "on") == "on";
    let (udp, listener) = registrar::bind(listen, tcp)
        .await
        .map_err(|e| format!("binding {listen}: {e}"))?;
    log::line(
        "scscf",
        format_args!(
            "listening on {}{} for {home}; trusted {:?}",
            udp.local_addr().map_err(|e| e.to_string())?,
            if tcp { " (udp+tcp)" } else { " (udp)" },
            trusted
        ),
    );
    let mut tasks = JoinSet::new();
    registrar::serve(
        Arc::new(Registrar::new(home, trusted)),
        Some(udp),
        listener,
        &mut tasks,
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
    log::line("scscf", format_args!("shutting down"));
    tasks.abort_all();
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("scscf: {e}");
        std::process::exit(2);
    }
}
