//! Carrying out the edge's decisions: every message from a client or from the core goes
//! to the sans-IO [`Edge`](sip_oauth::edge::Edge), and what it decides is sent where it
//! says and logged, one event per decision, and counted. This is the only file that matches on the edge's
//! decisions ([`RequestDecision`], [`ResponseDecision`], [`CoreRequestDecision`]), so a
//! change to them is made here.
//!
//! - From a client: a request goes to [`Edge::on_request`](sip_oauth::edge::Edge::on_request)
//!   (REGISTER and the originating procedure, TS 24.229 5.2.6), a response (to a request
//!   the core sent the client) to `on_client_response`.
//! - From the core: a response goes to `on_response` (relayed to the client flow its Via
//!   names), a request to `on_core_request` (delivered on the flow its Route names,
//!   RFC 5626 5.3, or answered, such as 430 Flow Failed).

use std::fmt::Display;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use sip_oauth::edge::{
    CoreRequestDecision, DropReason, FlowId, Inbound, RequestDecision, ResponseDecision, Transport,
};

use super::core_link::Outbound;
use super::log_lines::{self, Dir, LazyAor, LazyWhat, ResponseWhat, Who};
use super::metrics::variant;
use super::unavailable::{self, Awaiting};
use super::{Hop, Shared};

/// Where a client message came from.
pub(super) struct ClientSide<'a> {
    /// Its flow.
    pub(super) flow: FlowId,
    /// The remote address.
    pub(super) peer: SocketAddr,
    /// The transport.
    pub(super) transport: Transport,
    /// A token the transport carried (the WebSocket handshake's).
    pub(super) token: Option<&'a str>,
    /// The connection's name in the log.
    pub(super) label: &'a str,
}

impl ClientSide<'_> {
    /// The client, for the log.
    pub(super) fn who(&self) -> Who<'_> {
        Who::new(Some(self.flow), self.label)
    }
}

/// One message from a client: ask the edge, do what it says, log one event.
pub(super) async fn on_client_message(shared: &Shared, bytes: Bytes, from: &ClientSide<'_>) {
    shared.tap(Hop::FromClient, &bytes);
    let inbound = Inbound {
        flow: from.flow,
        peer: from.peer,
        transport: from.transport,
        now: SystemTime::now(),
        secure_flow: false,
        transport_token: from.token,
    };
    if is_response(&bytes) {
        on_client_response(shared, bytes, &inbound, from.who()).await;
    } else {
        on_client_request(shared, bytes, &inbound, from.who()).await;
    }
}

async fn on_client_request(shared: &Shared, bytes: Bytes, inbound: &Inbound<'_>, label: Who<'_>) {
    let started = Instant::now();
    let decision = shared.edge.on_request(bytes.clone(), inbound);
    shared.metrics.decided(started.elapsed());
    carry_out_request(shared, decision, &bytes, inbound.flow, label).await;
}

/// Carries out what the edge decided about the client request `bytes` of `flow` (at once,
/// or once a pending verdict completed it).
pub(super) async fn carry_out_request(
    shared: &Shared,
    decision: RequestDecision,
    bytes: &Bytes,
    flow: FlowId,
    label: Who<'_>,
) {
    // The log reads the method and AOR back from the client's bytes only when written.
    let what = LazyWhat(bytes);
    let aor = LazyAor(bytes);
    // Kept so the edge can answer 503 itself if the core cannot take the request.
    let awaiting = || Awaiting::new(flow, bytes, label.peer());
    match decision {
        RequestDecision::Forward {
            bytes: out,
            admitted,
        } => {
            shared.metrics.admitted();
            log_lines::forwarded(label, &admitted);
            let out = Outbound {
                bytes: out,
                awaiting: awaiting(),
            };
            if let Err(unsent) = shared.to_core(out).await
                && let Some(a) = unsent.out.awaiting
            {
                unavailable::answer(shared, a, unsent.why).await;
            }
        }
        RequestDecision::Originate {
            bytes: out,
            asserted,
        } => {
            let out = Outbound {
                bytes: out,
                awaiting: awaiting(),
            };
            match shared.to_core(out).await {
                Ok(()) => {
                    shared.metrics.forwarded("originating");
                    log_lines::originated(label, &what, &aor, asserted.as_deref());
                }
                Err(unsent) => match unsent.out.awaiting {
                    Some(a) => unavailable::answer(shared, a, unsent.why).await,
                    None => log_lines::dropped(label, Dir::FromClient, &what, &aor, unsent.why),
                },
            }
        }
        RequestDecision::Reply {
            flow,
            bytes,
            rejection,
            request,
        } => {
            shared.metrics.refused(&variant(&rejection.cause));
            let sent = shared.to_client(flow, bytes).await.is_some();
            log_lines::rejected(label, &what, log_lines::aor_of(&request), &rejection, sent);
        }
        // Introspection or a key fetch: the verdict is obtained on a task of its own.
        RequestDecision::Pending(pending) => {
            log_lines::pending(label, log_lines::aor_of(pending.request()));
            Box::pin(super::deferred::defer(shared, *pending, flow, label)).await;
        }
        RequestDecision::Drop(reason) => {
            shared.metrics.dropped(&variant(&reason));
            log_lines::dropped(label, Dir::FromClient, &what, &aor, &reason);
        }
    }
}

async fn on_client_response(shared: &Shared, bytes: Bytes, inbound: &Inbound<'_>, label: Who<'_>) {
    let what = LazyWhat(&bytes);
    let aor = LazyAor(&bytes);
    match shared.edge.on_client_response(bytes.clone(), inbound) {
        ResponseDecision::ToCore { bytes, status } => {
            let out = Outbound {
                bytes,
                awaiting: None,
            };
            let outcome = shared.to_core(out).await.map_err(|u| u.why);
            log_lines::answered(label, status, &what, &aor, outcome);
        }
        ResponseDecision::Drop(DropReason::HopByHop) => {}
        ResponseDecision::Drop(reason) => {
            shared.metrics.dropped(&variant(&reason));
            log_lines::dropped(label, Dir::FromClient, &what, &aor, &reason);
        }
        // A client's response is never relayed to another client.
        ResponseDecision::Relay { .. } => {
            shared.metrics.dropped("RelayToClient");
            log_lines::dropped(label, Dir::FromClient, &what, &aor, "relay to a client");
        }
    }
}

/// One message from the core: a response to relay or a request to deliver.
pub(super) async fn on_core_message(shared: &Shared, bytes: Bytes) {
    shared.tap(Hop::FromCore, &bytes);
    if is_response(&bytes) {
        on_core_response(shared, bytes).await;
    } else {
        on_core_request(shared, bytes).await;
    }
}

/// A response from the core: relay it to the client flow its Via names.
async fn on_core_response(shared: &Shared, bytes: Bytes) {
    let what = LazyWhat(&bytes);
    // The core answered: the edge need not answer this request itself any more.
    shared.in_flight.settle(&bytes);
    match shared.edge.on_response(bytes.clone(), SystemTime::now()) {
        ResponseDecision::Relay {
            flow,
            bytes,
            status,
            registered,
        } => {
            // Read from the response only when the line is written (a REGISTER's is known).
            let from_response = LazyAor(what.0);
            let registered_aor = registered.as_ref().map(|r| r.aor());
            let aor: &(dyn Display + Sync) = match &registered_aor {
                Some(a) => a,
                None => &from_response,
            };
            match shared.to_client(flow, bytes).await {
                Some(label) => {
                    shared.metrics.relayed();
                    let who = Who::new(Some(flow), &label);
                    // The edge parsed this response: its CSeq is read without a second parse.
                    let what = ResponseWhat {
                        status,
                        bytes: what.0,
                    };
                    log_lines::relayed(who, &what, aor, status, registered.as_ref());
                }
                None => {
                    shared.metrics.dropped("ClientGone");
                    log_lines::client_gone(flow, &what, aor);
                }
            }
        }
        ResponseDecision::Drop(DropReason::HopByHop) => {}
        ResponseDecision::Drop(reason) => {
            shared.metrics.dropped(&variant(&reason));
            log_lines::dropped(Who::core(), Dir::FromCore, &what, LazyAor(&bytes), &reason);
        }
        // A core response never goes back to the core.
        ResponseDecision::ToCore { .. } => {
            shared.metrics.dropped("Loop");
            log_lines::dropped(Who::core(), Dir::FromCore, &what, LazyAor(&bytes), "loop");
        }
    }
}

/// A request from the core (terminating, RFC 5626 5.3): deliver it on the flow its
/// Route names, or send the edge's answer back.
async fn on_core_request(shared: &Shared, bytes: Bytes) {
    let what = LazyWhat(&bytes);
    let aor = LazyAor(&bytes);
    match shared
        .edge
        .on_core_request(bytes.clone(), SystemTime::now())
    {
        CoreRequestDecision::Deliver { flow, bytes } => match shared.to_client(flow, bytes).await {
            Some(label) => {
                shared.metrics.forwarded("terminating");
                log_lines::delivered(Who::new(Some(flow), &label), &what, &aor);
            }
            None => {
                shared.metrics.dropped("ClientGone");
                log_lines::client_gone(flow, &what, &aor);
            }
        },
        CoreRequestDecision::Reply { bytes, rejection } => {
            shared.metrics.refused(&variant(&rejection.cause));
            let out = Outbound {
                bytes,
                awaiting: None,
            };
            let outcome = shared.to_core(out).await.map_err(|u| u.why);
            log_lines::refused_for_core(&what, &aor, &rejection, outcome);
        }
        CoreRequestDecision::Drop(reason) => {
            shared.metrics.dropped(&variant(&reason));
            log_lines::dropped(Who::core(), Dir::FromCore, &what, &aor, &reason);
        }
    }
}

/// Whether `bytes` hold a response: its start line is a Status-Line, which begins with
/// the SIP version (RFC 3261 7.2), where a Request-Line begins with a method.
fn is_response(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SIP/")
}
