//! The REGISTER the edge forwards to the S-CSCF: TS 33.203 Annex U trusted-node
//! authentication plus the P-CSCF duties of TS 24.229 5.2.2 (Via, Path, Require,
//! P-Visited-Network-ID, P-Charging-Vector) and RFC 3261 16.6.

use std::net::IpAddr;

use bytes::Bytes;

use super::Stop;
use super::admission::Admission;
use super::annex_u::annex_u_authorization;
use crate::edge::config::{AuthEntityPlacement, Config};
use crate::edge::decision::DropReason;
use crate::edge::inbound::Inbound;
use crate::message::decimal::Decimal;
use crate::message::header::{is_token, push_quoted};
use crate::message::{Editor, HeaderName, Message, RequestFacts, WriteError};
use crate::token::{Found, Place};
use crate::validate::Authorization;

/// Appends the `received` value for a peer address (RFC 3261 18.2.1; IPv6 without
/// brackets).
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, octet);
            }
        }
        IpAddr::V6(v6) => {
            use std::fmt::Write;
            // Display of Ipv6Addr is the RFC 5952 text form; it cannot fail on a String.
            let _ = write!(out, "{v6}");
        }
    }
}

/// Appends `n` in decimal, one char per digit (no UTF-8 check of a digit buffer).
fn push_decimal(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

/// Builds the forwarded REGISTER.
pub(crate) fn build(
    config: &Config,
    msg: &Message,
    facts: &RequestFacts<'_>,
    token: &Found<'_>,
    auth: &Authorization,
    admission: &Admission<'_>,
    inbound: &Inbound<'_>,
) -> Result<Bytes, WriteError> {
    let mut ed = Editor::new(msg);

    // The client's credentials never reach the core: every Authorization and
    // Proxy-Authorization field goes (the token, any client `integrity-protected`,
    // and anything else the client asserted), replaced by the edge's own below.
    let dropped = |name: HeaderName| {
        matches!(
            name,
            HeaderName::Authorization
                | HeaderName::ProxyAuthorization
                | HeaderName::PAssertedIdentity
                | HeaderName::PPreferredIdentity
                | HeaderName::PChargingVector
                | HeaderName::PVisitedNetworkId
                | HeaderName::Path
        )
    };
    for (i, h) in msg.headers().iter().enumerate() {
        if dropped(h.name) {
            ed.remove(i)?;
        }
    }
    match &token.place {
        // A field removed above is not removed twice (the edits would overlap).
        Place::Header { index } if !msg.header(*index).is_some_and(|h| dropped(h.name)) => {
            ed.remove(*index)?
        }
        Place::RequestUri { span } => {
            // The start line has its own writer: rebuild the URI without the parameter.
            let uri = facts.request_uri_span;
            let text = msg.slice(uri);
            let (from, to) = (
                span.start.saturating_sub(uri.start) as usize,
                span.end.saturating_sub(uri.start) as usize,
            );
            let mut kept = Vec::with_capacity(text.len());
            kept.extend_from_slice(text.get(..from).unwrap_or_default());
            kept.extend_from_slice(text.get(to..).unwrap_or_default());
            let kept = String::from_utf8(kept).map_err(|_| WriteError::Invalid {
                what: "Request-URI",
                expected: "UTF-8 text",
            })?;
            ed.set_request_uri(&kept)?;
        }
        Place::Contact { span, .. } => ed.replace_span(*span, "")?,
        _ => {}
    }

    // RFC 3261 16.6 step 8: the edge's Via on top, its branch carrying the flow.
    let call_id = msg.slice(facts.call_id.span);
    let cseq = msg.slice(facts.cseq.span);
    let (via_index, via_span) = (facts.via.index, facts.via.span);
    let client_via = msg.slice(via_span);
    let transaction: [&[u8]; 3] = [client_via, call_id, cseq];
    let flow = config.codec.flow_mac(inbound.flow);
    // One buffer for every value the edge writes, each copied into the editor before
    // the next is built.
    let mut via = String::with_capacity(128);
    via.push_str("SIP/2.0/");
    via.push_str(config.core_transport);
    via.push(' ');
    via.push_str(&config.edge_host);
    via.push_str(";branch=");
    via.push_str(&config.codec.branch(&flow, &transaction));
    ed.insert_top_trusted(HeaderName::Via, &via)?;

    // RFC 3261 18.2.1 and RFC 3581: record where the request really came from.
    let mut param = via;
    param.clear();
    match facts.via.received {
        Some(span) => {
            param.push_str("received=");
            push_ip(&mut param, inbound.peer.ip());
            ed.replace_span(span, &param)?;
        }
        None => {
            param.push_str(";received=");
            push_ip(&mut param, inbound.peer.ip());
            ed.insert_text(via_span.end as usize, &param)?;
        }
    }
    if let (Some(None), Some(span)) = (facts.via.via.rport(), facts.via.rport) {
        param.clear();
        param.push_str("rport=");
        param.push_str(Decimal::new(inbound.peer.port()).as_str());
        ed.replace_span(span, &param)?;
    }

    // RFC 3261 16.6 step 3.
    match &facts.max_forwards {
        // Not 0: the proxy checks answered 483 (RFC 3261 16.3 step 3).
        Some(mf) => ed.replace_value(
            mf.index,
            Decimal::new(u32::from(mf.value.saturating_sub(1))).as_str(),
        )?,
        None => ed.insert_after_trusted(via_index, HeaderName::MaxForwards, "70")?,
    }

    for &(span, limit) in &admission.lowered {
        ed.replace_span(span, Decimal::new(limit).as_str())?;
    }

    // The edge's own headers go before Content-Length (or at the end).
    // Every value added through `add` (and the Via and Max-Forwards above) is built
    // from checked parts: configuration text checked when set, codec output in
    // base64url or hex, digits, and quoted-strings written by the checking quoters.
    let anchor = facts.content_length;
    let add = |ed: &mut Editor<'_>, name: HeaderName, value: &str| match anchor {
        Some(i) => ed.insert_before_trusted(i, name, value),
        None => ed.append_trusted(name, value),
    };
    if let Some(n) = admission.added_expires {
        add(&mut ed, HeaderName::Expires, Decimal::new(n).as_str())?;
    }
    let entity = auth.auth_entity.as_ref().map(|e| e.as_str());
    let extra = match (&config.auth_entity, entity) {
        (AuthEntityPlacement::AuthParam(name), Some(e)) => Some((name.as_str(), e)),
        _ => None,
    };
    let authorization =
        annex_u_authorization(&auth.impi, &config.realm, &config.home_domain, extra)?;
    add(&mut ed, HeaderName::Authorization, &authorization)?;
    if let (AuthEntityPlacement::Header(name), Some(e)) = (&config.auth_entity, entity) {
        crate::message::check_header_value("authorisation entity", e)?;
        // A configured name: the editor checks it as any caller's.
        match anchor {
            Some(i) => ed.insert_before(i, name, e)?,
            None => ed.append(name, e)?,
        }
    }
    // RFC 3327 / RFC 5626 5.2: Path with the flow token, `ob` when the client uses outbound.
    let mut path = param;
    path.clear();
    path.push_str("<sip:");
    path.push_str(&config.codec.path_token(&flow));
    path.push('@');
    path.push_str(&config.edge_host);
    path.push_str(if facts.contacts.outbound {
        ";lr;ob>"
    } else {
        ";lr>"
    });
    add(&mut ed, HeaderName::Path, &path)?;
    add(&mut ed, HeaderName::Require, "path")?;
    if let Some(id) = &config.visited_network_id {
        if is_token(id) {
            add(&mut ed, HeaderName::PVisitedNetworkId, id)?;
        } else {
            let mut q = Vec::with_capacity(id.len() + 2);
            push_quoted(&mut q, "P-Visited-Network-ID", id)?;
            add(
                &mut ed,
                HeaderName::PVisitedNetworkId,
                &String::from_utf8_lossy(&q),
            )?;
        }
    }
    let mut pcv = path;
    pcv.clear();
    pcv.push_str("icid-value=");
    pcv.push_str(&config.codec.icid(&flow, &transaction));
    if let Some(ioi) = &config.orig_ioi {
        pcv.push_str(";orig-ioi=");
        pcv.push_str(ioi);
    }
    add(&mut ed, HeaderName::PChargingVector, &pcv)?;
    ed.finish()
}

/// Defence in depth: whatever the client did, its token does not leave. A JWT's tail is
/// its signature, so its last bytes are as telling as the whole token and far cheaper
/// to search for.
pub(crate) fn refuse_leak(bytes: &[u8], token: &Found<'_>) -> Result<(), Stop> {
    let token = token.token.expose().as_bytes();
    let tail = &token[token.len().saturating_sub(24)..];
    if contains(bytes, tail) {
        return Err(Stop::Drop(DropReason::TokenLeak));
    }
    Ok(())
}

/// Whether `needle` occurs in `haystack`. For a needle of a few dozen bytes searched
/// once, jumping between occurrences of its first byte is cheaper than building a
/// substring searcher.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr_iter(first, haystack)
        .any(|at| haystack.get(at..at + needle.len()) == Some(needle))
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn substring_search() {
        assert!(contains(b"abcabd", b"abd"));
        assert!(contains(b"abd", b"abd"));
        assert!(!contains(b"abcab", b"abd"));
        assert!(!contains(b"", b"a"));
        assert!(contains(b"x", b""));
    }
}
