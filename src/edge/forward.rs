//! The REGISTER the edge forwards to the S-CSCF: TS 33.203 Annex U trusted-node
//! authentication plus the P-CSCF duties of TS 24.229 5.2.2 (Via, Path, Require,
//! P-Visited-Network-ID, P-Charging-Vector) and RFC 3261 16.6.

use std::net::IpAddr;

use bytes::Bytes;

use super::config::{AuthEntityPlacement, Config};
use super::inbound::Inbound;
use super::register::Checked;
use crate::identity::Impi;
use crate::message::header::{is_token, push_quoted};
use crate::message::{Editor, HeaderName, Message, WriteError};
use crate::token::Place;

/// The Annex U `Authorization` value: `Digest username="<IMPI>", realm="<realm>",
/// uri="sip:<home domain>", nonce="", response="", integrity-protected="auth-done"`,
/// with an optional extra auth-param (`name="value"`) appended.
///
/// Every value is written as a quoted-string; CR, LF and NUL are refused even though
/// the identity types already exclude them.
///
/// ```
/// use sip_oauth::edge::annex_u_authorization;
/// use sip_oauth::identity::Impi;
///
/// let impi = Impi::try_from("bob@home.example")?;
/// let v = annex_u_authorization(&impi, "home.example", "home.example", None)?;
/// assert_eq!(v, "Digest username=\"bob@home.example\", realm=\"home.example\", \
///     uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn annex_u_authorization(
    impi: &Impi,
    realm: &str,
    home_domain: &str,
    extra: Option<(&str, &str)>,
) -> Result<String, WriteError> {
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(b"Digest username=");
    push_quoted(&mut out, "username", impi.as_str())?;
    out.extend_from_slice(b", realm=");
    push_quoted(&mut out, "realm", realm)?;
    out.extend_from_slice(b", uri=\"sip:");
    // The domain is checked on configuration; quoting it with the prefix keeps one string.
    let mut uri = Vec::with_capacity(home_domain.len() + 2);
    push_quoted(&mut uri, "uri", home_domain)?;
    out.extend_from_slice(&uri[1..]);
    out.extend_from_slice(b", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
    if let Some((name, value)) = extra {
        if !is_token(name) {
            return Err(WriteError::Invalid {
                what: "auth-param name",
                expected: "token",
            });
        }
        out.extend_from_slice(b", ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        push_quoted(&mut out, "auth-param", value)?;
    }
    String::from_utf8(out).map_err(|_| WriteError::Invalid {
        what: "Authorization",
        expected: "UTF-8 text",
    })
}

/// The `received` value for a peer address (RFC 3261 18.2.1; IPv6 without brackets).
fn received_text(ip: IpAddr) -> String {
    ip.to_string()
}

/// Builds the forwarded REGISTER.
pub(crate) fn build(
    config: &Config,
    msg: &Message,
    checked: &Checked<'_>,
    inbound: &Inbound<'_>,
) -> Result<Bytes, WriteError> {
    let mut ed = Editor::new(msg);

    // The client's credentials never reach the core: every Authorization and
    // Proxy-Authorization field goes (the token, any client `integrity-protected`,
    // and anything else the client asserted), replaced by the edge's own below.
    let mut removed = Vec::with_capacity(4);
    for (i, h) in msg.headers().iter().enumerate() {
        if matches!(
            h.name,
            HeaderName::Authorization
                | HeaderName::ProxyAuthorization
                | HeaderName::PAssertedIdentity
                | HeaderName::PPreferredIdentity
                | HeaderName::PChargingVector
                | HeaderName::PVisitedNetworkId
                | HeaderName::Path
        ) {
            ed.remove(i)?;
            removed.push(i);
        }
    }
    match &checked.token.place {
        Place::Header { index } if !removed.contains(index) => ed.remove(*index)?,
        Place::RequestUri { span } | Place::Contact { span, .. } => {
            ed.replace_span(*span, "")?;
        }
        _ => {}
    }

    // RFC 3261 16.6 step 8: the edge's Via on top, its branch carrying the flow.
    let call_id = msg
        .first(HeaderName::CallId)
        .map(|h| msg.value_bytes(h))
        .unwrap_or_default();
    let cseq = msg
        .first(HeaderName::CSeq)
        .map(|h| msg.value_bytes(h))
        .unwrap_or_default();
    let (via_index, via_span) = checked.client_via;
    let client_via = msg.slice(via_span);
    let branch = config
        .codec
        .branch(inbound.flow, &[client_via, call_id, cseq]);
    let via = format!(
        "SIP/2.0/{} {};branch={}",
        config.core_transport, config.edge_host, branch
    );
    ed.insert_top("Via", &via)?;

    // RFC 3261 18.2.1 and RFC 3581: record where the request really came from.
    let received = received_text(inbound.peer.ip());
    match checked.client_via_received {
        Some(span) => ed.replace_span(span, &format!("received={received}"))?,
        None => ed.insert_text(via_span.end as usize, &format!(";received={received}"))?,
    }
    if let (Some(None), Some(span)) = (checked.client_via_rport, checked.client_via_rport_span) {
        ed.replace_span(span, &format!("rport={}", inbound.peer.port()))?;
    }

    // RFC 3261 16.6 step 3.
    match checked.max_forwards {
        Some((index, n)) => ed.replace_value(index, itoa(u32::from(n)).as_str())?,
        None => ed.insert_after(via_index, "Max-Forwards", "70")?,
    }

    for &(span, limit) in &checked.expiry_edits {
        ed.replace_span(span, &itoa(limit))?;
    }

    // The edge's own headers go before Content-Length (or at the end).
    let anchor = msg.positions(HeaderName::ContentLength).next();
    let add = |ed: &mut Editor<'_>, name: &str, value: &str| match anchor {
        Some(i) => ed.insert_before(i, name, value),
        None => ed.append(name, value),
    };
    if let Some(n) = checked.add_expires {
        add(&mut ed, "Expires", &itoa(n))?;
    }
    let auth = &checked.auth;
    let entity = auth.auth_entity.as_ref().map(|e| e.as_str());
    let extra = match (&config.auth_entity, entity) {
        (AuthEntityPlacement::AuthParam(name), Some(e)) => Some((name.as_str(), e)),
        _ => None,
    };
    let authorization =
        annex_u_authorization(&auth.impi, &config.realm, &config.home_domain, extra)?;
    add(&mut ed, "Authorization", &authorization)?;
    if let (AuthEntityPlacement::Header(name), Some(e)) = (&config.auth_entity, entity) {
        crate::message::check_header_value("authorisation entity", e)?;
        add(&mut ed, name, e)?;
    }
    // RFC 3327 / RFC 5626 5.2: Path with the flow token, `ob` when the client uses outbound.
    let path = format!(
        "<sip:{}@{};lr{}>",
        config.codec.path_token(inbound.flow),
        config.edge_host,
        if checked.outbound { ";ob" } else { "" }
    );
    add(&mut ed, "Path", &path)?;
    add(&mut ed, "Require", "path")?;
    if let Some(id) = &config.visited_network_id {
        if is_token(id) {
            add(&mut ed, "P-Visited-Network-ID", id)?;
        } else {
            let mut q = Vec::with_capacity(id.len() + 2);
            push_quoted(&mut q, "P-Visited-Network-ID", id)?;
            add(
                &mut ed,
                "P-Visited-Network-ID",
                &String::from_utf8_lossy(&q),
            )?;
        }
    }
    let icid = config.codec.icid(&[client_via, call_id, cseq]);
    let pcv = match &config.orig_ioi {
        Some(ioi) => format!("icid-value={icid};orig-ioi={ioi}"),
        None => format!("icid-value={icid}"),
    };
    add(&mut ed, "P-Charging-Vector", &pcv)?;
    ed.finish()
}

fn itoa(n: u32) -> String {
    n.to_string()
}
