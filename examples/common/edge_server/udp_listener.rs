//! The UDP listener for SIP clients other than browsers: each datagram is one message,
//! each source address one flow; bare CRLF keep-alives are ignored.

use std::sync::Arc;

use bytes::Bytes;
use sip_oauth::edge::Transport;
use tokio::net::UdpSocket;

use super::Shared;
use super::dispatch::{ClientSide, on_client_message};

/// Serves UDP clients on `sock`.
pub(super) async fn client_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        // Keep-alives (RFC 5626 section 4.4.1 uses STUN on UDP; bare CRLFs are ignored).
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        let (flow, label) = shared.flows.udp(peer);
        let from = ClientSide {
            flow,
            peer,
            transport: Transport::Udp,
            token: None,
            label: &label,
        };
        on_client_message(&shared, bytes, &from).await;
    }
}
