//! The REGISTER procedure of the eP-CSCF (TS 24.371 WIC registration with web
//! credentials; TS 24.229 5.2.2; RFC 3261 10.3 and 16.3): check the request, take and
//! validate the token, apply the security policy, then hand over to [`super::forward`].

use std::time::SystemTime;

use super::aor::same_aor;
use super::config::{Config, ExpiryPolicy};
use super::decision::RejectCause;
use super::inbound::Inbound;
use crate::message::header::{
    CSeq, Contact, NameAddr, Uri, Via, parse_expires, parse_max_forwards, split_list,
};
use crate::message::{HeaderName, Message, ParseError, ParseErrorKind, Span};
use crate::token::{ExtractError, Found, extract};
use crate::validate::{Authorization, Validator};

/// What the checks learnt about a REGISTER, for building the forwarded request.
pub(crate) struct Checked<'m> {
    pub token: Found<'m>,
    pub auth: std::sync::Arc<Authorization>,
    pub aor: &'m str,
    /// Max-Forwards after decrementing; `None` when the request had none.
    pub max_forwards: Option<(usize, u8)>,
    /// The client's top Via field index, its via-parm span, and the parsed via-parm.
    pub client_via: (usize, Span),
    pub client_via_rport: Option<Option<u16>>,
    pub client_via_received: Option<Span>,
    pub client_via_rport_span: Option<Span>,
    pub outbound: bool,
    pub expiry_edits: Vec<(Span, u32)>,
    pub add_expires: Option<u32>,
    pub granted: Option<u32>,
}

fn malformed(kind: ParseErrorKind, offset: usize) -> RejectCause {
    RejectCause::Malformed(ParseError::new(kind, offset))
}

fn at(e: ParseError, base: usize) -> RejectCause {
    RejectCause::Malformed(e.shifted(base))
}

/// Parses the single header `name` with `parse`, naming it in any error.
fn single<'m, T>(
    msg: &'m Message,
    name: HeaderName,
    parse: impl FnOnce(&'m str) -> Result<T, ParseError>,
) -> Result<T, RejectCause> {
    let (text, base) = msg.required_str(name).map_err(RejectCause::Malformed)?;
    parse(text).map_err(|e| at(e, base))
}

pub(crate) fn check<'m>(
    config: &Config,
    validator: &dyn Validator,
    msg: &'m Message,
    inbound: &Inbound<'m>,
) -> Result<Checked<'m>, RejectCause> {
    // RFC 3261 8.2 / 16.3: the mandatory headers, each once and well formed.
    single(
        msg,
        HeaderName::CallId,
        crate::message::header::parse_call_id,
    )?;
    // From is only checked for presence: the edge neither reads nor rewrites it, and
    // the registrar judges its syntax.
    msg.required_str(HeaderName::From)
        .map_err(RejectCause::Malformed)?;
    let to = single(msg, HeaderName::To, NameAddr::parse)?;
    let cseq = single(msg, HeaderName::CSeq, CSeq::parse)?;
    if cseq.method != "REGISTER" {
        let (_, base) = msg
            .required_str(HeaderName::CSeq)
            .map_err(RejectCause::Malformed)?;
        return Err(malformed(
            ParseErrorKind::Expected("CSeq method equal to the request method"),
            base,
        ));
    }
    let (via_index, via_field) = msg
        .headers()
        .iter()
        .enumerate()
        .find(|(_, h)| h.name == HeaderName::Via)
        .ok_or_else(|| malformed(ParseErrorKind::Missing("Via"), msg.head_end()))?;
    let via_text = msg.value_str(via_field).map_err(RejectCause::Malformed)?;
    let via_base = via_field.value_span.start as usize;
    let (via_off, via_item) = split_list(via_text)
        .next()
        .ok_or_else(|| malformed(ParseErrorKind::Expected("via-parm"), via_base))?;
    let via_abs = via_base + via_off;
    // The spans of the two parameters the edge rewrites, noted in the validating pass.
    let (mut via_received, mut via_rport) = (None, None);
    let via = Via::parse_visiting(via_item, |p| {
        let span = Span::new(via_abs + p.range.start, via_abs + p.range.end);
        if p.is("received") {
            via_received = Some(span);
        } else if p.is("rport") {
            via_rport = Some(span);
        }
    })
    .map_err(|e| at(e, via_abs))?;

    let max_forwards = match msg.single(HeaderName::MaxForwards) {
        Err(e) => return Err(RejectCause::Malformed(e)),
        Ok(None) => None,
        Ok(Some(field)) => {
            let text = msg.value_str(field).map_err(RejectCause::Malformed)?;
            let n = parse_max_forwards(text).map_err(|e| at(e, field.value_span.start as usize))?;
            // RFC 3261 16.3 step 3 / 16.6 step 3.
            if n == 0 {
                return Err(RejectCause::TooManyHops);
            }
            let index = msg
                .positions(HeaderName::MaxForwards)
                .next()
                .unwrap_or_default();
            Some((index, n - 1))
        }
    };

    // RFC 3261 10.3 step 1 (registrar) and RFC 4475 3.3.2: the Request-URI is a SIP
    // URI. The parser already refused whitespace and controls in it; the scheme is all
    // the edge needs to know (the registrar judges the rest).
    // A Request-URI that is not UTF-8 text counts as no SIP URI; ASCII (the usual
    // case) is checked without a UTF-8 pass.
    let ruri = match msg.start_line() {
        crate::message::StartLine::Request { uri, .. } => msg.slice(uri),
        crate::message::StartLine::Response { .. } => &[],
    };
    let scheme = ruri.split(|&b| b == b':').next().unwrap_or_default();
    let text = ruri.is_ascii() || std::str::from_utf8(ruri).is_ok();
    if !text || !(scheme.eq_ignore_ascii_case(b"sip") || scheme.eq_ignore_ascii_case(b"sips")) {
        return Err(RejectCause::UnsupportedUriScheme);
    }
    if msg.find(HeaderName::ProxyRequire).next().is_some() {
        return Err(RejectCause::BadExtension);
    }

    // RFC 3261 10.3 step 5: the AOR is the To URI.
    let aor_uri = to.uri();
    let aor = aor_uri.as_str();

    // Contacts: parse every value; note outbound and the lifetimes asked for.
    let expires_header = match msg.single(HeaderName::Expires) {
        Err(e) => return Err(RejectCause::Malformed(e)),
        Ok(None) => None,
        Ok(Some(field)) => {
            let text = msg.value_str(field).map_err(RejectCause::Malformed)?;
            let n = parse_expires(text).map_err(|e| at(e, field.value_span.start as usize))?;
            Some((field.value_span, n))
        }
    };
    let mut star = false;
    let mut contacts = 0usize;
    let mut outbound = false;
    let mut contact_expires: Vec<(Span, u32)> = Vec::new();
    let mut implicit = false;
    for field in msg.find(HeaderName::Contact) {
        let text = msg.value_str(field).map_err(RejectCause::Malformed)?;
        let base = field.value_span.start as usize;
        for (off, item) in split_list(text) {
            // The outbound markers and the lifetime, noted in the validating pass.
            let (mut reg_id, mut instance, mut expires) = (false, false, None);
            let contact = Contact::parse_visiting(item, |p| {
                if p.is("expires") {
                    expires = Some(p.clone());
                } else if p.is("reg-id") {
                    reg_id = true;
                } else if p.is("+sip.instance") {
                    instance = true;
                }
            })
            .map_err(|e| at(e, base + off))?;
            match contact {
                Contact::Star => star = true,
                Contact::Addr(_) => {
                    contacts += 1;
                    // RFC 5626 5.2: the client uses outbound.
                    outbound |= reg_id && instance;
                    match expires {
                        Some(p) => {
                            let v = p.value.unwrap_or_default();
                            let n = parse_expires(v).map_err(|e| at(e, base + off))?;
                            // Just the value, to rewrite it when capping.
                            let end = base + off + p.range.end;
                            let s = Span::new(end - v.len(), end);
                            contact_expires.push((s, n));
                        }
                        None => implicit = true,
                    }
                }
            }
        }
    }
    // RFC 3261 10.3 step 6: `*` only alone and with Expires: 0.
    if star && (contacts > 0 || expires_header.map(|(_, n)| n) != Some(0)) {
        return Err(malformed(
            ParseErrorKind::Expected("Contact: * alone with Expires: 0"),
            msg.head_end(),
        ));
    }

    // The token: where the configured strategy says, then the validator.
    let token = match extract(msg, &config.token_location, inbound.transport_token) {
        Ok(found) => found,
        Err(ExtractError::Absent) => return Err(RejectCause::NoToken),
        Err(e) => return Err(RejectCause::BadToken(e)),
    };
    let auth = validator
        .validate(token.token.expose(), inbound.now)
        .map_err(RejectCause::Invalid)?;

    // The AOR must be one of the token's public identities.
    // An IMPU written exactly as the AOR parses to the same URI, so it needs no parse
    // of its own (the usual case: the client registers one of its identities as is).
    let owned = auth.impus.iter().any(|impu| {
        if impu.as_str() == aor {
            same_aor(&aor_uri, &aor_uri)
        } else {
            Uri::parse(impu.as_str()).is_ok_and(|u| same_aor(&u, &aor_uri))
        }
    });
    if !owned {
        return Err(RejectCause::IdentityMismatch);
    }

    // Registration lifetime against the token's (by default capped).
    let remaining = auth.expires_at.map(|exp| remaining_secs(exp, inbound.now));
    let mut expiry_edits = Vec::new();
    let mut add_expires = None;
    let mut granted = None;
    if contacts > 0 || star {
        let asked_header = expires_header.map(|(_, n)| n);
        let mut longest = contact_expires
            .iter()
            .map(|&(_, n)| n)
            .chain(asked_header.filter(|_| implicit || star))
            .max();
        if let (Some(limit), false) = (remaining, config.expiry == ExpiryPolicy::Ignore) {
            let too_long = contact_expires.iter().any(|&(_, n)| n > limit)
                || asked_header.is_some_and(|n| n > limit);
            if too_long && config.expiry == ExpiryPolicy::Reject {
                return Err(RejectCause::OutlivesToken);
            }
            for &(span, n) in &contact_expires {
                if n > limit {
                    expiry_edits.push((span, limit));
                }
            }
            if let Some((span, n)) = expires_header
                && n > limit
            {
                expiry_edits.push((span, limit));
            }
            if implicit && asked_header.is_none() {
                add_expires = Some(limit);
            }
            longest = longest.map(|n| n.min(limit)).or(add_expires);
        }
        granted = longest;
    }

    Ok(Checked {
        token,
        auth,
        aor,
        max_forwards,
        client_via: (via_index, Span::new(via_abs, via_abs + via_item.len())),
        client_via_rport: via.rport(),
        client_via_received: via_received,
        client_via_rport_span: via_rport,
        outbound,
        expiry_edits,
        add_expires,
        granted,
    })
}

/// Whole seconds from `now` to `exp`, zero when already past.
pub(crate) fn remaining_secs(exp: SystemTime, now: SystemTime) -> u32 {
    exp.duration_since(now)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}
