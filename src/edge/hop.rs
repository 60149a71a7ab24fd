//! What the edge does to every request it forwards, whichever way (RFC 3261 16.6: its
//! own Via, Max-Forwards; 18.2.1 and RFC 3581: where the request really came from;
//! 16.4: its own Route entry), and how it recognises its own URIs.

use std::net::SocketAddr;

use super::config::Config;
use super::flow_token::TransactionHash;
use super::inbound::Inbound;
use crate::message::check::TopVia;
use crate::message::decimal::Decimal;
use crate::message::header::{NameAddr, Uri, split_list};
use crate::message::{
    AsHeaderValue, Editor, FieldName, HeaderName, HeaderValue, Message, RequestFacts, Span, Token,
    ValueBuilder, WriteError,
};

/// The start of the edge's own Via value: `SIP/2.0/<transport> <edge host>;branch=`.
pub(crate) fn push_via_head(v: &mut ValueBuilder, config: &Config, transport: &Token) {
    const SIP_2_0: HeaderValue = HeaderValue::from_static("SIP/2.0/");
    const SPACE: HeaderValue = HeaderValue::from_static(" ");
    const BRANCH: HeaderValue = HeaderValue::from_static(";branch=");
    v.push(&SIP_2_0)
        .push(transport)
        .push(&SPACE)
        .push(&config.edge_host)
        .push(&BRANCH);
}

/// A client's request one hop on toward the core (RFC 3261 16.6): the edge's Via on
/// top, its branch carrying the flow, the transaction and (for a REGISTER) the token's
/// expiry (step 8); `received`/`rport` on the client's Via (18.2.1); one hop fewer
/// (step 3).
pub(crate) fn toward_core(
    ed: &mut Editor<'_>,
    config: &Config,
    inbound: &Inbound<'_>,
    facts: &RequestFacts<'_>,
    transaction: TransactionHash,
    token_expires: Option<u64>,
) -> Result<(), WriteError> {
    ed.insert_top_with(HeaderName::Via, |v| {
        push_via_head(v, config, &config.core_transport.token());
        config
            .codec
            .push_branch_of(v, inbound.flow, transaction, token_expires);
    })?;
    record_received(ed, &facts.via, inbound.peer)?;
    decrement_max_forwards(ed, facts)
}

/// RFC 3261 18.2.1 and RFC 3581: `received` (and `rport` when asked for) on the
/// sender's Via, from the address the transport saw.
pub(crate) fn record_received(
    ed: &mut Editor<'_>,
    via: &TopVia<'_>,
    peer: SocketAddr,
) -> Result<(), WriteError> {
    const RECEIVED: HeaderValue = HeaderValue::from_static("received=");
    const SEMI_RECEIVED: HeaderValue = HeaderValue::from_static(";received=");
    match via.received {
        Some(span) => ed.replace_span_with(span, |v| {
            v.push(&RECEIVED).push_ip(peer.ip());
        })?,
        None => ed.insert_text_with(via.span.end as usize, |v| {
            v.push(&SEMI_RECEIVED).push_ip(peer.ip());
        })?,
    }
    if let (Some(None), Some(span)) = (via.via.rport(), via.rport) {
        const RPORT: HeaderValue = HeaderValue::from_static("rport=");
        ed.replace_span_with(span, |v| {
            v.push(&RPORT).push_decimal(peer.port());
        })?;
    }
    Ok(())
}

/// RFC 3261 16.6 step 3: one hop fewer, or 70 when the request named none. A 0 was
/// answered with 483 by the proxy checks (16.3 step 3).
pub(crate) fn decrement_max_forwards(
    ed: &mut Editor<'_>,
    facts: &RequestFacts<'_>,
) -> Result<(), WriteError> {
    match &facts.max_forwards {
        Some(mf) => ed.replace_value(
            mf.index,
            Decimal::new(u32::from(mf.value.saturating_sub(1))),
        ),
        None => ed.insert_after(
            facts.via.index,
            HeaderName::MaxForwards,
            HeaderValue::from_static("70"),
        ),
    }
}

/// Adds a field before Content-Length (or at the end), where the edge's own headers go.
pub(crate) fn add(
    ed: &mut Editor<'_>,
    content_length: Option<usize>,
    name: &dyn FieldName,
    value: &dyn AsHeaderValue,
) -> Result<(), WriteError> {
    match content_length {
        Some(i) => ed.insert_before(i, name, value),
        None => ed.append(name, value),
    }
}

/// As [`add`], with the value written by `build` straight into the editor.
pub(crate) fn add_with(
    ed: &mut Editor<'_>,
    content_length: Option<usize>,
    name: &dyn FieldName,
    build: impl FnOnce(&mut ValueBuilder),
) -> Result<(), WriteError> {
    match content_length {
        Some(i) => ed.insert_before_with(i, name, build),
        None => ed.append_with(name, build),
    }
}

/// The parts of a client transaction's identity that a CANCEL, and the ACK of a
/// non-2xx answer, share with the INVITE (RFC 3261 9.1, 17.1.1.3): the client's Via,
/// the Call-ID and the CSeq number. The stateless edge derives its branch from them,
/// so those requests get the INVITE's branch (RFC 3261 16.11).
pub(crate) fn transaction<'m>(msg: &'m Message, facts: &RequestFacts<'_>) -> [&'m [u8]; 3] {
    let cseq = msg.slice(facts.cseq.span);
    let number = cseq
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(cseq, |end| &cseq[..end]);
    [
        msg.slice(facts.via.span),
        msg.slice(facts.call_id.span),
        number,
    ]
}

/// The user part of `uri` when it is one of the edge's own URIs (its host and port),
/// which is where its route tokens are.
pub(crate) fn own_user<'u>(config: &Config, uri: &Uri<'u>) -> Option<&'u str> {
    let ours = uri
        .host()
        .is_some_and(|h| h.matches(&config.edge_host.host()))
        && uri.port() == config.edge_host.port();
    ours.then(|| uri.user()).flatten()
}

/// The first Route entry: the field it is in, its bytes and whether more entries share
/// the field.
pub(crate) struct TopRoute<'m> {
    pub index: usize,
    pub span: Span,
    pub alone: bool,
    pub addr: NameAddr<'m>,
}

/// The top Route entry of `msg`, if it parses.
pub(crate) fn top_route<'m>(msg: &'m Message, facts: &RequestFacts<'_>) -> Option<TopRoute<'m>> {
    let index = facts.route.first?;
    let field = msg.header(index)?;
    let text = msg.value_str(field).ok()?;
    let mut items = split_list(text);
    let (start, item) = items.next()?;
    let addr = NameAddr::parse(item).ok()?;
    let base = field.value_span.start as usize + start;
    Some(TopRoute {
        index,
        span: Span::new(base, base + item.len()),
        alone: items.next().is_none(),
        addr,
    })
}

/// Removes the edge's own top Route entry (RFC 3261 16.4).
pub(crate) fn remove_route(ed: &mut Editor<'_>, route: &TopRoute<'_>) -> Result<(), WriteError> {
    if route.alone {
        ed.remove(route.index)
    } else {
        let base = ed
            .message()
            .header(route.index)
            .map_or(0, |f| f.value_span.start);
        let start = route.span.start.saturating_sub(base) as usize;
        ed.remove_list_item(route.index, start..start + route.span.len())
    }
}

/// Where the edge's Record-Route goes: before every existing Record-Route value
/// (RFC 3261 16.6 step 4), or on top when there is none.
pub(crate) fn insert_record_route(
    ed: &mut Editor<'_>,
    msg: &Message,
    build: impl FnOnce(&mut ValueBuilder),
) -> Result<(), WriteError> {
    match msg.positions(HeaderName::RecordRoute).next() {
        Some(i) => ed.insert_before_with(i, HeaderName::RecordRoute, build),
        None => ed.insert_top_with(HeaderName::RecordRoute, build),
    }
}

/// `<sip:TOKEN@edge;lr>`: the edge's Record-Route value, its user part written by `token`.
pub(crate) fn push_own_uri(
    v: &mut ValueBuilder,
    config: &Config,
    token: impl FnOnce(&mut ValueBuilder),
) {
    const SIP: HeaderValue = HeaderValue::from_static("<sip:");
    const AT: HeaderValue = HeaderValue::from_static("@");
    const LR: HeaderValue = HeaderValue::from_static(";lr>");
    v.push(&SIP);
    token(v);
    v.push(&AT).push(&config.edge_host).push(&LR);
}

/// Whether a field is one of the charging headers that stay inside the network
/// (TS 24.229 5.2.2, 5.2.6.3: P-Charging-Vector, P-Charging-Function-Addresses).
pub(crate) fn is_charging(msg: &Message, index: usize) -> bool {
    msg.header(index).is_some_and(|h| match h.name {
        HeaderName::PChargingVector => true,
        HeaderName::Other => msg
            .name_bytes(h)
            .eq_ignore_ascii_case(b"P-Charging-Function-Addresses"),
        _ => false,
    })
}

/// Whether a Via is the edge's own sent-by (RFC 3261 16.7 step 3).
pub(crate) fn via_is_own(config: &Config, via: &TopVia<'_>) -> bool {
    via.via.host().matches(&config.edge_host.host()) && via.via.port() == config.edge_host.port()
}

/// Removes the edge's own Via from a response (RFC 3261 16.7 step 3), alone in its
/// field or one via-parm of a list.
pub(crate) fn remove_top_via(
    ed: &mut Editor<'_>,
    msg: &Message,
    via: &TopVia<'_>,
) -> Result<(), WriteError> {
    if via.more_in_field {
        let base = msg.header(via.index).map_or(0, |f| f.value_span.start);
        let start = via.span.start.saturating_sub(base) as usize;
        ed.remove_list_item(via.index, start..start + via.span.len())
    } else {
        ed.remove(via.index)
    }
}
