//! Requests from the core toward a registered client (RFC 5626 5.3: the edge proxy
//! forwards a request whose Route names its flow token onto that flow, and answers 430
//! Flow Failed when the flow is gone; TS 24.229 5.2.6.4 for the terminating P-CSCF:
//! Record-Route on dialog-creating requests, charging headers removed toward the UE).
//!
//! The flow is found from the edge's own URI at the top of Route (its Path, for an
//! initial request, or its Record-Route, inside a dialog) or, from a core that routes
//! to the Path URI itself, in the Request-URI. Its token must verify; the flow must
//! still hold a live registration of the address of record the token was minted for.

use bytes::Bytes;

use super::config::Config;
use super::decision::{DropReason, RejectCause};
use super::flow_token::{FlowTokenCodec, FlowTokenError, RouteKind};
use super::hop;
use super::inbound::FlowId;
use super::register::Stop;
use super::registrations::Registrations;
use crate::message::{Editor, HeaderName, Message, RequestFacts, WriteError};

/// A request for a client flow.
pub(crate) struct Delivered {
    pub flow: FlowId,
    pub bytes: Bytes,
}

fn write(e: WriteError) -> Stop {
    Stop::Drop(DropReason::Write(e))
}

/// Runs the terminating procedure on a request from the core that passed the proxy
/// checks.
pub(crate) fn run(
    config: &Config,
    registrations: &Registrations,
    msg: &Message,
    facts: &RequestFacts<'_>,
    now: std::time::SystemTime,
) -> Result<Delivered, Stop> {
    let route = hop::top_route(msg, facts);
    let by_route = route
        .as_ref()
        .and_then(|r| hop::own_user(config, &r.addr.uri()).map(|user| (r, user)));
    let (user, route) = match by_route {
        Some((route, user)) => (user, Some(route)),
        None => match hop::own_user(config, &facts.request_uri) {
            Some(user) => (user, None),
            None => return Err(Stop::Drop(DropReason::NotRoutedHere)),
        },
    };
    let opened = match config.codec.open_route(user) {
        Ok(o) => o,
        // The flow named was one of an earlier start: it is gone (RFC 5626 5.3).
        Err(FlowTokenError::EarlierEpoch { .. }) => return Err(RejectCause::FlowFailed.into()),
        Err(e) => return Err(Stop::Drop(e.into())),
    };
    let Some(reg) = registrations.live(opened.flow, now).into_iter().find(|r| {
        config
            .codec
            .route_bound_to_registration(&opened, &r.routes, &r.bound.aor_key)
    }) else {
        return Err(RejectCause::FlowFailed.into());
    };
    let mut ed = Editor::new(msg);
    match route {
        Some(route) => hop::remove_route(&mut ed, route).map_err(write)?,
        // Routed to the Path URI itself: the request is for the binding on that flow.
        None => {
            let contact = match (opened.kind, reg.bound.contacts.first()) {
                (RouteKind::Path, Some(uri)) => uri,
                _ => return Err(RejectCause::FlowFailed.into()),
            };
            ed.set_request_uri(contact).map_err(write)?;
        }
    }
    let transaction = hop::transaction(msg, facts);
    ed.insert_top_with(HeaderName::Via, |v| {
        hop::push_via_head(v, config, &reg.bound.transport.token());
        config
            .codec
            .push_client_branch(v, opened.flow, &transaction);
    })
    .map_err(write)?;
    hop::decrement_max_forwards(&mut ed, facts).map_err(write)?;
    let initial = facts.to.value.tag().is_none();
    if initial && matches!(facts.method, "INVITE" | "SUBSCRIBE" | "REFER") {
        hop::insert_record_route(&mut ed, msg, |v| {
            hop::push_own_uri(v, config, |v| {
                FlowTokenCodec::push_record_route_token(v, &reg.routes)
            })
        })
        .map_err(write)?;
    }
    for i in 0..msg.headers().len() {
        if hop::is_charging(msg, i) {
            ed.remove(i).map_err(write)?;
        }
    }
    Ok(Delivered {
        flow: opened.flow,
        bytes: ed.finish().map_err(write)?,
    })
}
