//! Carrying out the edge's decisions: a client request or a core response goes to the
//! sans-IO [`Edge`](sip_oauth::edge::Edge), and what it decides is sent where it says and
//! logged. This is the only file that matches on [`Decision`], so a change to that type
//! is made here.

use std::net::SocketAddr;
use std::time::SystemTime;

use bytes::Bytes;
use sip_oauth::edge::{Decision, DropReason, FlowId, Inbound, Transport};
use sip_oauth::message::{Builder, Message};

use super::log_lines::{self, LazyAor};
use super::{Hop, Shared};

/// One client request: ask the edge, do what it says, log one line.
pub(super) async fn on_client_request(
    shared: &Shared,
    bytes: Bytes,
    flow: FlowId,
    peer: SocketAddr,
    transport: Transport,
    token: Option<&str>,
    label: &str,
) {
    shared.tap(Hop::FromClient, &bytes);
    let inbound = Inbound {
        flow,
        peer,
        transport,
        now: SystemTime::now(),
        transport_token: token,
    };
    // Only refusals need the AOR read back for the log; admissions report it.
    let aor = LazyAor(&bytes);
    match shared.edge.on_request(bytes.clone(), &inbound) {
        Decision::Forward { bytes, admitted } => {
            log_lines::forwarded(label, &admitted);
            if let Err(e) = shared.to_core(bytes).await {
                log_lines::core_send_failed(label, aor, &e);
            }
        }
        Decision::Reply {
            flow,
            bytes,
            outcome,
        } => {
            let sent = shared.to_client(flow, bytes).await.is_some();
            log_lines::rejected(label, aor, &outcome, sent);
        }
        Decision::NotRegister => {
            let msg = Message::parse(bytes.clone());
            let reply = msg.ok().and_then(|m| {
                Builder::response_to(&m, 501, "Not Implemented Here", Some("ep"))
                    .ok()
                    .map(Builder::finish)
            });
            if let Some(r) = reply {
                let _ = shared.to_client(flow, r).await;
            }
            log_lines::not_register(label, aor);
        }
        Decision::Drop(reason) => log_lines::client_dropped(label, aor, &reason),
    }
}

/// One response from the core: relay it to the client flow its Via names.
pub(super) async fn on_core_response(shared: &Shared, bytes: Bytes) {
    shared.tap(Hop::FromCore, &bytes);
    match shared.edge.on_response(bytes, SystemTime::now()) {
        Decision::Reply {
            flow,
            bytes,
            outcome,
        } => {
            let aor = log_lines::aor_of(&bytes);
            match shared.to_client(flow, bytes).await {
                Some(label) => log_lines::relayed(&label, &aor, &outcome),
                None => log_lines::relay_client_gone(flow, &aor, &outcome),
            }
        }
        Decision::Drop(DropReason::HopByHop) => {}
        Decision::Drop(reason) => log_lines::core_dropped(&reason),
        Decision::Forward { .. } | Decision::NotRegister => {}
    }
}
