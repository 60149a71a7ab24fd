//! The floor of `tests/scale/cost.sh`: a UDP relay that does no SIP work. Datagrams
//! from clients go unchanged to the core; datagrams from the core go unchanged to the
//! client that sent the last datagram. It runs on the same runtime as `epcscf` (tokio's
//! multi-threaded runtime of `#[tokio::main]`) with the same two sockets and the same
//! receive loops (one task per socket, `recv_from` then `send_to`), so the CPU it spends
//! per message is what the edge would spend if deciding cost nothing.
//!
//! ```text
//! cargo run --release --example floor_relay -- --listen 127.0.0.1:5060 --core 127.0.0.1:5070
//! ```

// Only the flag parser of the shared code; the rest of it is unused here.
#[allow(dead_code)]
#[path = "common/args.rs"]
mod args;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use args::Settings;
use tokio::net::UdpSocket;

const USAGE: &str = "\
usage: floor_relay [flags]
  --listen ADDR      client-facing UDP address (default 127.0.0.1:5060)
  --core ADDR        where client datagrams go (default 127.0.0.1:5070)
  --core-bind ADDR   local address of the core-facing socket (default 127.0.0.1:0)";

/// The client that sent the last datagram: where the core's datagrams go.
type LastClient = Arc<Mutex<Option<SocketAddr>>>;

/// Client datagrams on to the core.
async fn from_clients(
    client: Arc<UdpSocket>,
    core: Arc<UdpSocket>,
    to: SocketAddr,
    last: LastClient,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = client.recv_from(&mut buf).await else {
            continue;
        };
        if let Ok(mut l) = last.lock() {
            *l = Some(peer);
        }
        let _ = core.send_to(&buf[..n], to).await;
    }
}

/// Core datagrams back to the last client.
async fn from_core(core: Arc<UdpSocket>, client: Arc<UdpSocket>, last: LastClient) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, _)) = core.recv_from(&mut buf).await else {
            continue;
        };
        let peer = last.lock().ok().and_then(|l| *l);
        if let Some(peer) = peer {
            let _ = client.send_to(&buf[..n], peer).await;
        }
    }
}

async fn run() -> Result<(), String> {
    let s = Settings::from_args(&["listen", "core", "core-bind"], USAGE)?;
    let listen: SocketAddr = s.parsed("listen")?.unwrap_or(([127, 0, 0, 1], 5060).into());
    let core: SocketAddr = s.parsed("core")?.unwrap_or(([127, 0, 0, 1], 5070).into());
    let core_bind: SocketAddr = s.parsed("core-bind")?.unwrap_or(([127, 0, 0, 1], 0).into());
    let bind = |a: SocketAddr| async move {
        UdpSocket::bind(a)
            .await
            .map(Arc::new)
            .map_err(|e| format!("binding {a}: {e}"))
    };
    let client = bind(listen).await?;
    let core_sock = bind(core_bind).await?;
    let last = LastClient::default();
    eprintln!(
        "floor_relay: listening on {}, core {core} from {}",
        client.local_addr().map_err(|e| e.to_string())?,
        core_sock.local_addr().map_err(|e| e.to_string())?
    );
    let up = tokio::spawn(from_clients(
        client.clone(),
        core_sock.clone(),
        core,
        last.clone(),
    ));
    let down = tokio::spawn(from_core(core_sock, client, last));
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("floor_relay: {e}");
        std::process::exit(2);
    }
}
