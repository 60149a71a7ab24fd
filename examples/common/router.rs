//! The stand-in S-CSCF's proxy: it routes requests between registered users and relays
//! the responses, statelessly (RFC 3261 16.11), so it keeps no transaction.
//!
//! - A request whose top Route is this S-CSCF (its Service-Route or Record-Route URI)
//!   has that entry removed (RFC 3261 16.4). If another Route follows, the request goes
//!   there (loose routing, an in-dialog request on its route set). Otherwise an
//!   in-dialog request goes to the registered contact its Request-URI names, and an
//!   initial one is looked up by the Request-URI's address of record (RFC 3261 16.5;
//!   TS 24.229 5.4.3.3): sent to the most recent live contact with Request-URI set to
//!   it and Route set to that registration's Path (RFC 3327 5.3); 404 when the user is
//!   not known, 480 when known without a live contact.
//! - The S-CSCF adds its Via with a branch derived from the incoming one, so a CANCEL or
//!   a non-2xx ACK gets the branch of its INVITE (RFC 3261 16.11), decrements
//!   Max-Forwards (16.6 step 3; 483 at zero, 16.3 step 3) and records the route on
//!   dialog-creating requests (16.6 step 4) so in-dialog requests pass it again.
//! - A response whose top Via is this S-CSCF loses it and goes to the next Via's
//!   sender (RFC 3261 16.7 step 9, 18.2.2), over the connection that edge uses.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use sip_oauth::message::header::parse_max_forwards;
use sip_oauth::message::{Editor, HeaderName, HeaderValue, Message, WriteError};

use super::bindings::Lookup;
use super::core_peer::Peer;
use super::log;
use super::registrar::{Answer, Registrar, reply};
use super::route_set::{self, Entry, ViaEntry, aor_key, header_tag, header_uri};

const ROLE: &str = "scscf";

/// Where a request goes and what is written for it.
struct Target {
    /// The new Request-URI (the contact), when it changes.
    request_uri: Option<String>,
    /// Route entries to add on top (the callee's Path).
    routes: Vec<String>,
    /// The next hop.
    peer: Peer,
    /// For the log.
    what: String,
}

/// Routes one request (other than REGISTER) from `from`.
pub fn route_request(reg: &Registrar, msg: &Message, from: Peer, now: Instant) -> Option<Answer> {
    let method = msg.method()?;
    let aor = header_uri(msg, HeaderName::To).unwrap_or_else(|| "-".to_owned());
    // An ACK is never answered (RFC 3261 17.1.1.3); one that cannot go on is dropped.
    let refuse = |status: u16, reason: &str, why: &str| {
        if method == "ACK" {
            log::line(
                ROLE,
                format_args!("client={from} msg=ACK aor={aor} outcome=dropped reason={why}"),
            );
            None
        } else {
            reply(msg, status, reason, from, &aor, why)
        }
    };
    // TS 33.203 Annex U: only the edge, inside the trust domain, sends requests in.
    if !reg.is_trusted(from) {
        return refuse(403, "Forbidden", "not from a trusted node");
    }
    let Ok(vias) = route_set::top_vias(msg) else {
        return refuse(400, "Bad Via", "Via does not parse");
    };
    let Some(top_via) = vias.first() else {
        return refuse(400, "Missing Via", "no Via");
    };
    reg.bindings().learn_edge(&top_via.sent_by, from);
    let Ok(routes) = route_set::entries(msg, HeaderName::Route) else {
        return refuse(400, "Bad Route", "Route does not parse");
    };
    let own = routes.first().filter(|r| reg.is_me(&r.uri));
    if !routes.is_empty() && own.is_none() {
        return refuse(403, "Forbidden", "top Route does not name this S-CSCF");
    }
    let rest = &routes[usize::from(own.is_some())..];
    let in_dialog = header_tag(msg, HeaderName::To).is_some();
    let target = match choose(reg, msg, rest, in_dialog, now) {
        Ok(t) => t,
        Err((status, reason, why)) => return refuse(status, reason, &why),
    };
    // RFC 3261 16.3 step 3 and 16.6 step 3.
    let max_forwards = match msg.required_str(HeaderName::MaxForwards) {
        Ok((v, _)) => match parse_max_forwards(v) {
            Ok(0) => return refuse(483, "Too Many Hops", "Max-Forwards is 0"),
            Ok(n) => Some(n - 1),
            Err(_) => return refuse(400, "Bad Max-Forwards", "Max-Forwards does not parse"),
        },
        Err(_) => None,
    };
    let record_route = !in_dialog && matches!(method, "INVITE" | "SUBSCRIBE" | "REFER");
    let bytes = match forward(reg, msg, own, &target, top_via, max_forwards, record_route) {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                500,
                "Server Internal Error",
                "request could not be rewritten",
            );
        }
    };
    Some(Answer {
        to: target.peer,
        bytes,
        log: format!(
            "client={from} msg={method} aor={aor} outcome=routed reason={} over {}",
            target.what, target.peer
        ),
    })
}

/// The next hop of a request whose own Route (if any) is gone and `rest` is left.
fn choose(
    reg: &Registrar,
    msg: &Message,
    rest: &[Entry],
    in_dialog: bool,
    now: Instant,
) -> Result<Target, (u16, &'static str, String)> {
    let not_found = |why: String| (404, "Not Found", why);
    if let Some(next) = rest.first() {
        let peer =
            hop(reg, &next.uri).ok_or_else(|| not_found(format!("no way to {}", next.uri)))?;
        return Ok(Target {
            request_uri: None,
            routes: Vec::new(),
            peer,
            what: format!("next Route {}", next.uri),
        });
    }
    let ruri = msg.request_uri().unwrap_or_default();
    if in_dialog {
        let b = reg
            .bindings()
            .by_contact(ruri, now)
            .ok_or_else(|| not_found(format!("no registered contact {ruri}")))?;
        return Ok(Target {
            request_uri: None,
            what: format!("contact {}", b.uri),
            routes: b.path,
            peer: b.peer,
        });
    }
    let key = aor_key(ruri).ok_or_else(|| not_found("Request-URI is not a SIP AOR".to_owned()))?;
    match reg.bindings().lookup(&key, now) {
        Lookup::Unknown => Err(not_found(format!("{key} is not a user here"))),
        Lookup::Offline => Err((
            480,
            "Temporarily Unavailable",
            format!("{key} has no live registration"),
        )),
        Lookup::Live(b) => Ok(Target {
            what: format!("contact {} along Path {}", b.uri, b.path.join(",")),
            request_uri: Some(b.uri),
            routes: b.path,
            peer: b.peer,
        }),
    }
}

/// The peer to send to for a Route URI: the edge known by that host and port, else
/// UDP to it when the host is an address.
fn hop(reg: &Registrar, uri: &str) -> Option<Peer> {
    let hp = route_set::uri_host_port(uri)?;
    reg.bindings()
        .edge(&hp)
        .or_else(|| hp.parse().ok().map(Peer::Udp))
}

/// The request as forwarded to `target` (RFC 3261 16.6).
fn forward(
    reg: &Registrar,
    msg: &Message,
    own: Option<&Entry>,
    target: &Target,
    top_via: &ViaEntry,
    max_forwards: Option<u8>,
    record_route: bool,
) -> Result<bytes::Bytes, WriteError> {
    let me = reg.me();
    let mut ed = Editor::new(msg);
    if let Some(own) = own {
        route_set::remove(&mut ed, own)?;
    }
    if let Some(uri) = &target.request_uri {
        ed.set_request_uri(uri)?;
    }
    let via = format!(
        "SIP/2.0/{} {me};branch={}",
        target.peer.via_transport(),
        branch_for(top_via)
    );
    ed.insert_top(HeaderName::Via, HeaderValue::try_from(via)?)?;
    for r in &target.routes {
        ed.insert_top(HeaderName::Route, HeaderValue::try_from(r.as_str())?)?;
    }
    if record_route {
        let rr = HeaderValue::try_from(format!("<sip:rr@{me};lr>"))?;
        ed.insert_top(HeaderName::RecordRoute, rr)?;
    }
    match (max_forwards, msg.positions(HeaderName::MaxForwards).next()) {
        (Some(n), Some(at)) => ed.replace_value(at, HeaderValue::try_from(n.to_string())?)?,
        _ => ed.append(HeaderName::MaxForwards, HeaderValue::from_static("70"))?,
    }
    ed.finish()
}

/// A branch that is the same for every request carrying the same incoming top Via
/// (RFC 3261 16.11: a stateless proxy computes it from the request, so a CANCEL and a
/// non-2xx ACK, which carry their INVITE's branch, get the INVITE's outgoing branch).
fn branch_for(via: &ViaEntry) -> String {
    let mut h = DefaultHasher::new();
    match &via.branch {
        Some(b) => b.hash(&mut h),
        None => via.at.text.hash(&mut h),
    }
    via.sent_by.hash(&mut h);
    format!("z9hG4bKsc{:016x}", h.finish())
}

/// Relays a response whose top Via is this S-CSCF's to the next Via's sender.
pub fn relay_response(reg: &Registrar, msg: &Message, from: Peer) -> Option<Answer> {
    let status = msg.status()?;
    let aor = header_uri(msg, HeaderName::To).unwrap_or_else(|| "-".to_owned());
    let drop = |why: &str| {
        log::line(
            ROLE,
            format_args!("client={from} msg={status} aor={aor} outcome=dropped reason={why}"),
        );
        None
    };
    let Ok(vias) = route_set::top_vias(msg) else {
        return drop("Via does not parse");
    };
    let (Some(top), next) = (vias.first(), vias.get(1)) else {
        return drop("no Via");
    };
    if top.sent_by != reg.me().to_ascii_lowercase() {
        return drop("top Via is not this S-CSCF");
    }
    let Some(next) = next else {
        return drop("no Via below this S-CSCF's");
    };
    let Some(to) = reg
        .bindings()
        .edge(&next.sent_by)
        .or_else(|| next.reply_to.map(Peer::Udp))
    else {
        return drop("next Via names no reachable address");
    };
    let mut ed = Editor::new(msg);
    if route_set::remove(&mut ed, &top.at).is_err() {
        return drop("Via could not be removed");
    }
    let Ok(bytes) = ed.finish() else {
        return drop("Via could not be removed");
    };
    Some(Answer {
        to,
        bytes,
        log: format!("client={from} msg={status} aor={aor} outcome=relayed reason=to {to}"),
    })
}
