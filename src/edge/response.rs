//! The response path: a response from the core comes back through the edge's Via,
//! which names the client flow (RFC 3261 16.7 steps 3 and 9, handled statelessly as
//! in 16.11).

use bytes::Bytes;

use super::config::Config;
use super::decision::{Decision, DropReason, Outcome, Registered};
use crate::message::header::{CSeq, Contact, NameAddr, Via, split_list};
use crate::message::{Editor, HeaderName, Message, ParseErrorKind};

pub(crate) fn relay(config: &Config, bytes: Bytes) -> Decision {
    let msg = match Message::parse_with(bytes, &config.limits) {
        Ok(m) => m,
        Err(e) => return Decision::Drop(DropReason::Unparseable(e)),
    };
    let Some(status) = msg.status() else {
        return Decision::Drop(DropReason::WrongDirection);
    };
    let Some((index, field)) = msg
        .headers()
        .iter()
        .enumerate()
        .find(|(_, h)| h.name == HeaderName::Via)
    else {
        return missing_via(&msg);
    };
    let Ok(text) = msg.value_str(field) else {
        return Decision::Drop(DropReason::NotOurs);
    };
    let mut items = split_list(text);
    let Some((offset, item)) = items.next() else {
        return Decision::Drop(DropReason::NotOurs);
    };
    let Ok(via) = Via::parse(item) else {
        return Decision::Drop(DropReason::NotOurs);
    };
    let sent_by = match via.port() {
        Some(p) => format!("{}:{p}", via.host_str()),
        None => via.host_str().to_owned(),
    };
    if !sent_by.eq_ignore_ascii_case(config.edge_host.as_str()) {
        return Decision::Drop(DropReason::NotOurs);
    }
    let flow = match via.branch().map(|b| config.codec.flow_from_branch(b)) {
        Some(Ok(flow)) => flow,
        Some(Err(e)) => return Decision::Drop(DropReason::Tampered(e)),
        None => return Decision::Drop(DropReason::NotOurs),
    };
    // RFC 3261 16.7 step 3: a 100 Trying is not forwarded.
    if status == 100 {
        return Decision::Drop(DropReason::HopByHop);
    }
    // There must be a Via left for the client (the request had one).
    let more_in_field = items.next().is_some();
    if !more_in_field && msg.find(HeaderName::Via).nth(1).is_none() {
        return missing_via(&msg);
    }
    let mut ed = Editor::new(&msg);
    let removed = if more_in_field {
        ed.remove_list_item(index, offset..offset + item.len())
    } else {
        ed.remove(index)
    };
    let bytes = match removed.and_then(|()| ed.finish()) {
        Ok(b) => b,
        Err(e) => return Decision::Drop(DropReason::Write(e)),
    };
    let registered = if (200..300).contains(&status) {
        registered(&msg)
    } else {
        None
    };
    Decision::Reply {
        flow,
        bytes,
        outcome: Outcome::Relayed { status, registered },
    }
}

fn missing_via(msg: &Message) -> Decision {
    Decision::Drop(DropReason::Unparseable(crate::message::ParseError::new(
        ParseErrorKind::Missing("Via"),
        msg.head_end(),
    )))
}

/// What a 2xx to REGISTER tells the edge to keep (TS 24.229 5.2.2.2).
fn registered(msg: &Message) -> Option<Registered> {
    let (cseq, _) = msg.required_str(HeaderName::CSeq).ok()?;
    if CSeq::parse(cseq).ok()?.method != "REGISTER" {
        return None;
    }
    let (to, _) = msg.required_str(HeaderName::To).ok()?;
    let aor = NameAddr::parse(to).ok()?.uri().as_str().to_owned();
    let expires = msg
        .required_str(HeaderName::Expires)
        .ok()
        .and_then(|(t, _)| crate::message::header::parse_expires(t).ok());
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
