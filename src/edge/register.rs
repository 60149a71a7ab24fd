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
use crate::message::{HeaderField, HeaderName, Message, ParseError, ParseErrorKind, Span};
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

/// Where a header the checks read sits: its first field and how many there are.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    first: Option<usize>,
    count: u8,
}

impl Slot {
    fn note(&mut self, index: usize) {
        self.first = self.first.or(Some(index));
        self.count = self.count.saturating_add(1);
    }
}

/// The headers the checks read, located in one walk over the header list instead of
/// one walk per header.
#[derive(Debug, Default)]
struct Fields {
    call_id: Slot,
    from: Slot,
    to: Slot,
    cseq: Slot,
    via: Slot,
    max_forwards: Slot,
    expires: Slot,
    proxy_require: Slot,
}

impl Fields {
    fn of(msg: &Message) -> Self {
        let mut f = Self::default();
        for (i, h) in msg.headers().iter().enumerate() {
            let slot = match h.name {
                HeaderName::CallId => &mut f.call_id,
                HeaderName::From => &mut f.from,
                HeaderName::To => &mut f.to,
                HeaderName::CSeq => &mut f.cseq,
                HeaderName::Via => &mut f.via,
                HeaderName::MaxForwards => &mut f.max_forwards,
                HeaderName::Expires => &mut f.expires,
                HeaderName::ProxyRequire => &mut f.proxy_require,
                _ => continue,
            };
            slot.note(i);
        }
        f
    }
}

/// The field of a header that may appear at most once: `None` when absent; when
/// repeated, the message's own error naming it.
fn at_most_once(
    msg: &Message,
    slot: Slot,
    name: HeaderName,
) -> Result<Option<&HeaderField>, RejectCause> {
    match slot.count {
        0 => Ok(None),
        1 => Ok(slot.first.and_then(|i| msg.header(i))),
        _ => msg.single(name).map_err(RejectCause::Malformed),
    }
}

/// The value text and offset of the required single header `name`.
fn required(msg: &Message, slot: Slot, name: HeaderName) -> Result<(&str, usize), RejectCause> {
    match slot
        .first
        .and_then(|i| msg.header(i))
        .filter(|_| slot.count == 1)
    {
        Some(field) => Ok((
            msg.value_str(field).map_err(RejectCause::Malformed)?,
            field.value_span.start as usize,
        )),
        // Absent or repeated: the message's own lookup names the error.
        None => msg.required_str(name).map_err(RejectCause::Malformed),
    }
}

/// Parses the single header `name` with `parse`, naming it in any error.
fn single<'m, T>(
    msg: &'m Message,
    slot: Slot,
    name: HeaderName,
    parse: impl FnOnce(&'m str) -> Result<T, ParseError>,
) -> Result<T, RejectCause> {
    let (text, base) = required(msg, slot, name)?;
    parse(text).map_err(|e| at(e, base))
}

pub(crate) fn check<'m>(
    config: &Config,
    validator: &dyn Validator,
    msg: &'m Message,
    inbound: &Inbound<'m>,
) -> Result<Checked<'m>, RejectCause> {
    let fields = Fields::of(msg);
    // RFC 3261 8.2 / 16.3: the mandatory headers, each once and well formed.
    single(
        msg,
        fields.call_id,
        HeaderName::CallId,
        crate::message::header::parse_call_id,
    )?;
    // From is only checked for presence: the edge neither reads nor rewrites it, and
    // the registrar judges its syntax.
    required(msg, fields.from, HeaderName::From)?;
    let to = single(msg, fields.to, HeaderName::To, NameAddr::parse)?;
    let cseq = single(msg, fields.cseq, HeaderName::CSeq, CSeq::parse)?;
    if cseq.method != "REGISTER" {
        let (_, base) = msg
            .required_str(HeaderName::CSeq)
            .map_err(RejectCause::Malformed)?;
        return Err(malformed(
            ParseErrorKind::Expected("CSeq method equal to the request method"),
            base,
        ));
    }
    let (via_index, via_field) = fields
        .via
        .first
        .and_then(|i| Some((i, msg.header(i)?)))
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

    let max_forwards = match at_most_once(msg, fields.max_forwards, HeaderName::MaxForwards)? {
        None => None,
        Some(field) => {
            let text = msg.value_str(field).map_err(RejectCause::Malformed)?;
            let n = parse_max_forwards(text).map_err(|e| at(e, field.value_span.start as usize))?;
            // RFC 3261 16.3 step 3 / 16.6 step 3.
            if n == 0 {
                return Err(RejectCause::TooManyHops);
            }
            Some((fields.max_forwards.first.unwrap_or_default(), n - 1))
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
    if fields.proxy_require.count > 0 {
        return Err(RejectCause::BadExtension);
    }

    // RFC 3261 10.3 step 5: the AOR is the To URI.
    let aor_uri = to.uri();
    let aor = aor_uri.as_str();

    // Contacts: parse every value; note outbound and the lifetimes asked for.
    let expires_header = match at_most_once(msg, fields.expires, HeaderName::Expires)? {
        None => None,
        Some(field) => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::{Config, FlowId, Transport};
    use crate::identity::{Impi, Impu};
    use crate::validate::FixedValidator;
    use std::time::Duration;

    const HOME: &str = "home.example";

    fn run(raw: &str) -> Result<(), RejectCause> {
        let config = Config::new(
            HOME,
            "edge.example:5060",
            b"0123456789abcdef0123456789abcdef",
        )
        .expect("config");
        let mut auth = Authorization::new(Impi::try_from("bob@home.example").expect("impi"));
        auth.impus
            .push(Impu::try_from("sip:bob@home.example").expect("impu"));
        let validator = FixedValidator::any(auth);
        let msg = Message::parse(raw.as_bytes().to_vec()).expect("parses");
        let inbound = Inbound {
            flow: FlowId(1),
            peer: "192.0.2.1:5000".parse().expect("addr"),
            transport: Transport::Wss,
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_000),
            transport_token: None,
        };
        check(&config, &validator, &msg, &inbound).map(|_| ())
    }

    fn register(extra: &str) -> String {
        format!(
            "REGISTER sip:home.example SIP/2.0\r\nVia: SIP/2.0/WSS c.invalid;branch=z9hG4bK1\r\n\
             {extra}CSeq: 1 REGISTER\r\nAuthorization: Bearer abc\r\n\
             Contact: <sip:c@c.invalid;transport=ws>\r\nContent-Length: 0\r\n\r\n"
        )
    }

    fn duplicate(name: &'static str, raw: &str, second: &str) -> RejectCause {
        let at = raw.find(second).expect("second field");
        RejectCause::Malformed(ParseError::new(ParseErrorKind::Duplicate(name), at))
    }

    #[test]
    fn header_located_once_still_refuses_absent_and_repeated_fields() {
        let ok =
            "Call-ID: a\r\nFrom: <sip:bob@home.example>;tag=1\r\nTo: <sip:bob@home.example>\r\n";
        assert!(run(&register(ok)).is_ok());

        let raw = register("Call-ID: a\r\nTo: <sip:bob@home.example>\r\n");
        let body = raw.len();
        assert_eq!(
            run(&raw).err(),
            Some(RejectCause::Malformed(ParseError::new(
                ParseErrorKind::Missing("From"),
                body
            )))
        );

        let raw = register(&format!("{ok}To: <sip:bob@home.example>\r\n"));
        let second = raw.rfind("To: ").expect("to");
        assert_eq!(run(&raw).err(), Some(duplicate("To", &raw, &raw[second..])));

        let raw = register(&format!("{ok}Expires: 60\r\nExpires: 70\r\n"));
        assert_eq!(
            run(&raw).err(),
            Some(duplicate("Expires", &raw, "Expires: 70"))
        );

        let raw = register(&format!("{ok}Max-Forwards: 5\r\nMax-Forwards: 6\r\n"));
        assert_eq!(
            run(&raw).err(),
            Some(duplicate("Max-Forwards", &raw, "Max-Forwards: 6"))
        );

        let raw = register(&format!("{ok}Proxy-Require: x\r\n"));
        assert_eq!(run(&raw).err(), Some(RejectCause::BadExtension));
    }
}
