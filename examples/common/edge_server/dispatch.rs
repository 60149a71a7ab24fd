//! Carrying out the edge's decisions: a client request or a core response goes to the
//! sans-IO [`Edge`](sip_oauth::edge::Edge), and what it decides is sent where it says and
//! logged. This is the only file that matches on the edge's decisions
//! ([`RequestDecision`], [`ResponseDecision`]), so a change to them is made here.

use std::net::SocketAddr;
use std::time::SystemTime;

use bytes::Bytes;
use sip_oauth::edge::{DropReason, FlowId, Inbound, RequestDecision, ResponseDecision, Transport};

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
        secure_flow: false,
        transport_token: token,
    };
    // Only drops need the AOR read back for the log; the other decisions carry it.
    let aor = LazyAor(&bytes);
    match shared.edge.on_request(bytes.clone(), &inbound) {
        RequestDecision::Forward { bytes, admitted } => {
            log_lines::forwarded(label, &admitted);
            if let Err(e) = shared.to_core(bytes).await {
                log_lines::core_send_failed(label, &admitted.aor, &e);
            }
        }
        RequestDecision::Reply {
            flow,
            bytes,
            rejection,
            request,
        } => {
            let sent = shared.to_client(flow, bytes).await.is_some();
            log_lines::rejected(label, log_lines::aor_of(&request), &rejection, sent);
        }
        RequestDecision::Originate { bytes, asserted } => {
            let aor = asserted.unwrap_or_default();
            if let Err(e) = shared.to_core(bytes).await {
                log_lines::core_send_failed(label, &aor, &e);
            }
        }
        // The example's validators always answer at once.
        RequestDecision::Pending(pending) => {
            log_lines::not_register(label, log_lines::aor_of(pending.request()));
        }
        RequestDecision::Drop(reason) => log_lines::client_dropped(label, aor, &reason),
    }
}

/// One response from the core: relay it to the client flow its Via names.
pub(super) async fn on_core_response(shared: &Shared, bytes: Bytes) {
    shared.tap(Hop::FromCore, &bytes);
    match shared.edge.on_response(bytes, std::time::SystemTime::now()) {
        ResponseDecision::Relay {
            flow,
            bytes,
            status,
            registered,
        } => {
            let aor = match &registered {
                Some(r) => r.aor.clone(),
                None => LazyAor(&bytes).to_string(),
            };
            match shared.to_client(flow, bytes).await {
                Some(label) => log_lines::relayed(&label, &aor, status, registered.as_ref()),
                None => log_lines::relay_client_gone(flow, &aor, status),
            }
        }
        ResponseDecision::ToCore { .. } | ResponseDecision::Drop(DropReason::HopByHop) => {}
        ResponseDecision::Drop(reason) => log_lines::core_dropped(&reason),
    }
}
