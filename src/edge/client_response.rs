//! A client's response to a request the edge delivered to it: back to the core through
//! the edge's own Via (RFC 3261 16.7, statelessly as in 16.11), whose branch must be
//! one the edge minted toward this very flow; the client's identity assertions are
//! replaced by the registered identity (TS 24.229 5.2.6.4, RFC 3325 9.1).

use bytes::Bytes;

use super::config::Config;
use super::decision::{DropReason, ResponseDecision};
use super::hop;
use super::inbound::Inbound;
use super::registrations::Registrations;
use crate::message::{Editor, HeaderName, Message, Violation, check_response};

pub(crate) fn relay(
    config: &Config,
    registrations: &Registrations,
    bytes: Bytes,
    inbound: &Inbound<'_>,
) -> ResponseDecision {
    let drop = ResponseDecision::Drop;
    let msg = match Message::parse_with(bytes, &config.limits) {
        Ok(m) => m,
        Err(e) => return drop(DropReason::Unparseable(e)),
    };
    if msg.is_request() {
        return drop(DropReason::WrongDirection);
    }
    let facts = match check_response(&msg) {
        Ok(f) => f,
        Err(v) => return drop(DropReason::MalformedResponse(v)),
    };
    let via = &facts.via;
    if !hop::via_is_own(config, via) {
        return drop(DropReason::NotOurs);
    }
    let branch = match via
        .via
        .branch()
        .map(|b| config.codec.verify_client_branch(b))
    {
        Some(Ok(branch)) => branch,
        Some(Err(e)) => return drop(e.into()),
        None => return drop(DropReason::NotOurs),
    };
    // A response for another client's request does not travel on this one's flow.
    if branch.flow != inbound.flow {
        return drop(DropReason::OtherFlow);
    }
    if facts.status == 100 {
        return drop(DropReason::HopByHop);
    }
    if via.total < 2 {
        return drop(DropReason::MalformedResponse(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        }));
    }
    let mut ed = Editor::new(&msg);
    let edited = hop::remove_top_via(&mut ed, &msg, via).and_then(|()| {
        for (i, h) in msg.headers().iter().enumerate() {
            let client_assertion = matches!(
                h.name,
                HeaderName::PAssertedIdentity | HeaderName::PPreferredIdentity
            );
            if client_assertion || hop::is_charging(&msg, i) {
                ed.remove(i)?;
            }
        }
        // The answering identity, as the network asserts it, on provisional and
        // success responses.
        if (101..300).contains(&facts.status) {
            let live = registrations.live(inbound.flow, inbound.now);
            let default = live
                .first()
                .and_then(|reg| reg.bound.written.identities.first());
            if let Some((_, pai, _)) = default {
                let at = msg.positions(HeaderName::ContentLength).next();
                hop::add(&mut ed, at, &HeaderName::PAssertedIdentity, pai)?;
            }
        }
        Ok(())
    });
    match edited.and_then(|()| ed.finish()) {
        Ok(bytes) => ResponseDecision::ToCore {
            bytes,
            status: facts.status,
        },
        Err(e) => drop(DropReason::Write(e)),
    }
}
