//! The REGISTER the edge forwards to the S-CSCF: TS 33.203 Annex U trusted-node
//! authentication plus the P-CSCF duties of TS 24.229 5.2.2 (Via, Path, Require,
//! P-Visited-Network-ID, P-Charging-Vector) and RFC 3261 16.6.

use bytes::Bytes;

use super::config::{AuthEntityAt, Config};
use super::inbound::Inbound;
use super::register::Checked;
use crate::identity::Impi;
use crate::message::decimal::Decimal;
use crate::message::{
    AsHeaderValue, Editor, FieldName, HeaderName, HeaderValue, HostPort, Message, QuotedText,
    Token, ValueBuilder, WriteError,
};
use crate::token::Place;

/// The Annex U `Authorization` value: `Digest username="<IMPI>", realm="<realm>",
/// uri="sip:<home domain>", nonce="", response="", integrity-protected="auth-done"`,
/// with an optional extra auth-param (`name="value"`) appended.
///
/// Every part is a checked type, so the value needs no check of its own.
///
/// ```
/// use sip_oauth::edge::annex_u_authorization;
/// use sip_oauth::identity::Impi;
/// use sip_oauth::message::{HostPort, QuotedText};
///
/// let impi = Impi::try_from("bob@home.example")?;
/// let realm = QuotedText::try_from("home.example")?;
/// let home = HostPort::try_from("home.example")?;
/// let v = annex_u_authorization(&impi, &realm, &home, None);
/// assert_eq!(v.as_str(), "Digest username=\"bob@home.example\", realm=\"home.example\", \
///     uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn annex_u_authorization(
    impi: &Impi,
    realm: &QuotedText,
    home_domain: &HostPort,
    extra: Option<(&Token, &QuotedText)>,
) -> HeaderValue {
    // The fixed text is under 128 bytes: sized once, the value is never reallocated
    // unless a part needs escapes.
    let extra_len = extra.map_or(0, |(n, v)| n.as_str().len() + v.as_str().len() + 6);
    let mut out = ValueBuilder::with_capacity(
        128 + impi.as_str().len() + realm.as_str().len() + home_domain.as_str().len() + extra_len,
    );
    push_annex_u(&mut out, impi, realm, home_domain, extra);
    out.finish()
}

/// Appends the value of [`annex_u_authorization`].
fn push_annex_u(
    out: &mut ValueBuilder,
    impi: &Impi,
    realm: &QuotedText,
    home_domain: &HostPort,
    extra: Option<(&Token, &QuotedText)>,
) {
    const USERNAME: HeaderValue = HeaderValue::from_static("Digest username=");
    const REALM: HeaderValue = HeaderValue::from_static(", realm=");
    const URI: HeaderValue = HeaderValue::from_static(", uri=\"sip:");
    const REST: HeaderValue = HeaderValue::from_static(
        "\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"",
    );
    const COMMA: HeaderValue = HeaderValue::from_static(", ");
    const EQUALS: HeaderValue = HeaderValue::from_static("=");
    out.push(&USERNAME).push_quoted(impi.as_quoted());
    out.push(&REALM).push_quoted(realm);
    // A host holds no quote or backslash: it is written inside the quotes as it stands.
    out.push(&URI).push(home_domain).push(&REST);
    if let Some((name, value)) = extra {
        out.push(&COMMA).push(name).push(&EQUALS).push_quoted(value);
    }
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
    // The same walk finds what the rest needs: the transaction's Call-ID and CSeq and
    // where Content-Length is.
    let (mut call_id, mut cseq, mut anchor) = (None, None, None);
    for (i, h) in msg.headers().iter().enumerate() {
        match h.name {
            HeaderName::CallId => call_id = call_id.or(Some(h)),
            HeaderName::CSeq => cseq = cseq.or(Some(h)),
            HeaderName::ContentLength => anchor = anchor.or(Some(i)),
            name if dropped(name) => ed.remove(i)?,
            _ => {}
        }
    }
    match &checked.token.place {
        // A field removed above is not removed twice (the edits would overlap).
        Place::Header { index } if !msg.header(*index).is_some_and(|h| dropped(h.name)) => {
            ed.remove(*index)?
        }
        Place::RequestUri { span } => {
            // The start line has its own writer: rebuild the URI without the parameter.
            if let crate::message::StartLine::Request { uri, .. } = msg.start_line() {
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
        }
        Place::Contact { span, .. } => ed.replace_span(*span, HeaderValue::EMPTY)?,
        _ => {}
    }

    // RFC 3261 16.6 step 8: the edge's Via on top, its branch carrying the flow.
    let call_id = call_id.map(|h| msg.value_bytes(h)).unwrap_or_default();
    let cseq = cseq.map(|h| msg.value_bytes(h)).unwrap_or_default();
    let (via_index, via_span) = checked.client_via;
    let client_via = msg.slice(via_span);
    let transaction: [&[u8]; 3] = [client_via, call_id, cseq];
    let flow = config.codec.flow_mac(inbound.flow);
    // One buffer for every value the edge writes, each copied into the editor before
    // the next is built. Every part is checked text, so no value is scanned again.
    const SIP_2_0: HeaderValue = HeaderValue::from_static("SIP/2.0/");
    const SPACE: HeaderValue = HeaderValue::from_static(" ");
    const BRANCH: HeaderValue = HeaderValue::from_static(";branch=");
    let mut v = ValueBuilder::with_capacity(128);
    v.push(&SIP_2_0)
        .push(&config.core_transport.token())
        .push(&SPACE)
        .push(&config.edge_host)
        .push(&BRANCH);
    config.codec.push_branch(&mut v, &flow, &transaction);
    ed.insert_top(HeaderName::Via, &v)?;

    // RFC 3261 18.2.1 and RFC 3581: record where the request really came from.
    const RECEIVED: HeaderValue = HeaderValue::from_static("received=");
    const SEMI_RECEIVED: HeaderValue = HeaderValue::from_static(";received=");
    v.clear();
    match checked.client_via_received {
        Some(span) => {
            v.push(&RECEIVED).push_ip(inbound.peer.ip());
            ed.replace_span(span, &v)?;
        }
        None => {
            v.push(&SEMI_RECEIVED).push_ip(inbound.peer.ip());
            ed.insert_text(via_span.end as usize, &v)?;
        }
    }
    if let (Some(None), Some(span)) = (checked.client_via_rport, checked.client_via_rport_span) {
        const RPORT: HeaderValue = HeaderValue::from_static("rport=");
        v.clear();
        v.push(&RPORT).push_decimal(inbound.peer.port());
        ed.replace_span(span, &v)?;
    }

    // RFC 3261 16.6 step 3.
    match checked.max_forwards {
        Some((index, n)) => ed.replace_value(index, Decimal::new(u32::from(n)))?,
        None => ed.insert_after(
            via_index,
            HeaderName::MaxForwards,
            HeaderValue::from_static("70"),
        )?,
    }

    for &(span, limit) in &checked.expiry_edits {
        ed.replace_span(span, Decimal::new(limit))?;
    }

    // The edge's own headers go before Content-Length (or at the end).
    let add = |ed: &mut Editor<'_>, name: &dyn FieldName, value: &dyn AsHeaderValue| match anchor {
        Some(i) => ed.insert_before(i, name, value),
        None => ed.append(name, value),
    };
    if let Some(n) = checked.add_expires {
        add(&mut ed, &HeaderName::Expires, &Decimal::new(n))?;
    }
    let auth = &checked.auth;
    let entity = auth.auth_entity.as_ref();
    let extra = match (&config.auth_entity, entity) {
        (AuthEntityAt::AuthParam(name), Some(e)) => Some((name, e.as_quoted())),
        _ => None,
    };
    let (realm, home) = (&config.realm, &config.home_domain);
    v.clear();
    push_annex_u(&mut v, &auth.impi, realm, home, extra);
    add(&mut ed, &HeaderName::Authorization, &v)?;
    if let (AuthEntityAt::Header(name), Some(e)) = (&config.auth_entity, entity) {
        add(&mut ed, name, &e.to_value())?;
    }
    // RFC 3327 / RFC 5626 5.2: Path with the flow token, `ob` when the client uses outbound.
    const SIP: HeaderValue = HeaderValue::from_static("<sip:");
    const AT: HeaderValue = HeaderValue::from_static("@");
    const LR_OB: HeaderValue = HeaderValue::from_static(";lr;ob>");
    const LR: HeaderValue = HeaderValue::from_static(";lr>");
    v.clear();
    v.push(&SIP);
    config.codec.push_path_token(&mut v, &flow);
    v.push(&AT)
        .push(&config.edge_host)
        .push(&if checked.outbound { LR_OB } else { LR });
    add(&mut ed, &HeaderName::Path, &v)?;
    add(
        &mut ed,
        &HeaderName::Require,
        &HeaderValue::from_static("path"),
    )?;
    if let Some(id) = &config.visited_network_id {
        add(&mut ed, &HeaderName::PVisitedNetworkId, id)?;
    }
    const ICID: HeaderValue = HeaderValue::from_static("icid-value=");
    const ORIG_IOI: HeaderValue = HeaderValue::from_static(";orig-ioi=");
    v.clear();
    v.push(&ICID);
    config.codec.push_icid(&mut v, &flow, &transaction);
    if let Some(ioi) = &config.orig_ioi {
        v.push(&ORIG_IOI).push(ioi);
    }
    add(&mut ed, &HeaderName::PChargingVector, &v)?;
    ed.finish()
}
