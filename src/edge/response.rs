//! The response path: a response from the core comes back through the edge's Via,
//! which names the client flow (RFC 3261 16.7 steps 3 and 9, handled statelessly as
//! in 16.11).

use bytes::Bytes;

use super::config::Config;
use super::decision::{DropReason, Registered, ResponseDecision};
use crate::message::header::{Contact, NameAddr, split_list};
use crate::message::{Editor, HeaderName, Message, ResponseFacts, Violation, check_response};

pub(crate) fn relay(config: &Config, bytes: Bytes) -> ResponseDecision {
    let drop = ResponseDecision::Drop;
    let msg = match Message::parse_with(bytes, &config.limits) {
        Ok(m) => m,
        Err(e) => return drop(DropReason::Unparseable(e)),
    };
    if msg.is_request() {
        return drop(DropReason::WrongDirection);
    }
    // RFC 3261 18.1.2: a response that breaks the rules is discarded.
    let facts = match check_response(&msg) {
        Ok(f) => f,
        Err(v) => return drop(DropReason::MalformedResponse(v)),
    };
    let via = &facts.via;
    // RFC 3261 16.7 step 3: the top Via must be this edge's own sent-by.
    let ours = via.via.host().matches(&config.edge_host.host())
        && via.via.port() == config.edge_host.port();
    if !ours {
        return drop(DropReason::NotOurs);
    }
    let branch = match via.via.branch().map(|b| config.codec.verify_branch(b)) {
        Some(Ok(branch)) => branch,
        Some(Err(e)) => return drop(e.into()),
        None => return drop(DropReason::NotOurs),
    };
    // RFC 3261 16.7 step 3: a 100 Trying is not forwarded.
    if facts.status == 100 {
        return drop(DropReason::HopByHop);
    }
    // There must be a Via left for the client (the request had one).
    if via.total < 2 {
        return drop(DropReason::MalformedResponse(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        }));
    }
    let mut ed = Editor::new(&msg);
    let removed = if via.more_in_field {
        let base = msg.header(via.index).map_or(0, |f| f.value_span.start);
        let start = via.span.start.saturating_sub(base) as usize;
        ed.remove_list_item(via.index, start..start + via.span.len())
    } else {
        ed.remove(via.index)
    };
    let bytes = match removed.and_then(|()| ed.finish()) {
        Ok(b) => b,
        Err(e) => return drop(DropReason::Write(e)),
    };
    let registered = if (200..300).contains(&facts.status) {
        registered(&msg, &facts)
    } else {
        None
    };
    ResponseDecision::Relay {
        flow: branch.flow,
        bytes,
        status: facts.status,
        registered,
    }
}

/// What a 2xx to REGISTER tells the edge to keep (TS 24.229 5.2.2.2).
fn registered(msg: &Message, facts: &ResponseFacts<'_>) -> Option<Registered> {
    if facts.cseq.value.method != "REGISTER" {
        return None;
    }
    let aor = facts.to.value.uri().as_str().to_owned();
    let expires = facts.expires.as_ref().map(|e| e.value);
    let mut out = Registered {
        aor,
        ..Registered::default()
    };
    let uris = |name: HeaderName, into: &mut Vec<String>| {
        for field in msg.find(name) {
            let Ok(text) = msg.value_str(field) else {
                continue;
            };
            for (_, item) in split_list(text) {
                if let Ok(addr) = NameAddr::parse(item) {
                    into.push(addr.uri().as_str().to_owned());
                }
            }
        }
    };
    uris(HeaderName::ServiceRoute, &mut out.service_route);
    uris(HeaderName::PAssociatedUri, &mut out.associated_uris);
    for field in msg.find(HeaderName::Contact) {
        let Ok(text) = msg.value_str(field) else {
            continue;
        };
        for (_, item) in split_list(text) {
            if let Ok(Contact::Addr(addr)) = Contact::parse(item) {
                let granted = addr.expires().or(expires).unwrap_or(3600);
                out.contacts.push((addr.uri().as_str().to_owned(), granted));
            }
        }
    }
    Some(out)
}
