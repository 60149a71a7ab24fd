//! The RFC 3261 validator: the request checks of a UAS (section 8.2) and of a proxy
//! (section 16.3), and the response checks of section 8.1.3 and 16.7, on top of what
//! the framing parser already enforces. It is the one the edge runs.
//!
//! [`Message::parse`] only indexes the header section; some malformed messages of RFC
//! 4475 section 3.1.2 and 3.3 (an out-of-range CSeq, a Request-URI with escaped
//! headers, an unquoted display name with a comma, repeated or missing mandatory
//! headers, an unknown Request-URI scheme, Max-Forwards exhausted) are only visible
//! once the header values are typed-parsed. The functions here do that in one walk over
//! the header list and return either the [`RequestFacts`] / [`ResponseFacts`] the later
//! stages read, or the first rule broken as a [`Violation`] that names the rule, the
//! RFC 3261 section, the status code to answer with, and the byte offset in the message.
//!
//! ```
//! use sip_oauth::message::{Message, check_request};
//!
//! let msg = Message::parse(&b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
//!     To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n\
//!     Call-ID: a1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nl: 0\r\n\r\n"[..])?;
//! let v = check_request(&msg).unwrap_err();
//! assert_eq!((v.status(), v.section()), (400, "8.1.1.5"));
//! # Ok::<(), sip_oauth::message::ParseError>(())
//! ```

mod facts;
mod violation;

pub use facts::{
    ContactUris, Contacts, ExpiresParams, Fields, Located, RequestFacts, ResponseFacts, TopVia,
};
pub use violation::Violation;

use super::error::{ParseError, ParseErrorKind};
use super::message::Message;
use super::name::HeaderName;
use super::parse::{HeaderField, StartLine};
use super::span::Span;
use crate::message::header::{
    CSeq, Contact, NameAddr, Scheme, TokenList, Uri, Via, parse_call_id, parse_expires,
    parse_max_forwards, split_list,
};

/// Checks a request as a UAS would before processing it (RFC 3261 8.2.2 and the
/// "reasonable syntax" of 16.3 step 1): mandatory headers present and singletons once,
/// each typed-parsed (every Via, From, To, Call-ID, CSeq, Max-Forwards, Expires, every
/// Contact), CSeq in range with the request's method, `Contact: *` rules, and a
/// sip/sips/tel Request-URI without escaped headers (sip or sips for a REGISTER).
///
/// Max-Forwards is only checked when present (RFC 2543 elements omit it, RFC 4475
/// 3.4.1); a value of 0 is fine for an endpoint (see [`check_proxy_request`]).
#[inline]
pub fn check_request(msg: &Message) -> Result<RequestFacts<'_>, Violation> {
    let StartLine::Request { uri, .. } = msg.start_line() else {
        return Err(Violation::Syntax(ParseError::expected("request", 0)));
    };
    let method = msg.method().unwrap_or_default();
    let walk = Walk::of(msg);
    let common = common(msg, &walk, true)?;
    if common.cseq.value.method != method {
        return Err(Violation::CSeqMethodMismatch {
            offset: common.cseq_method_offset,
        });
    }
    // RFC 3261 10.2.2: `*` is only for a REGISTER removing every binding, alone, with
    // `Expires: 0`.
    if let Some(offset) = common.star_at {
        let values = common.contacts.bindings + 1;
        let expires_zero = common.expires.as_ref().is_some_and(|e| e.value == 0);
        if values != 1 || common.star_count > 1 || method != "REGISTER" || !expires_zero {
            return Err(Violation::ContactStar { offset });
        }
    }
    let uri_at = uri.start as usize;
    let text = match msg.text(uri) {
        Some(text) => text,
        None => {
            let e = std::str::from_utf8(msg.slice(uri)).err();
            return Err(Violation::Malformed {
                header: "Request-URI",
                section: "19.1",
                error: ParseError::new(
                    ParseErrorKind::InvalidUtf8,
                    uri_at + e.map_or(0, |e| e.valid_up_to()),
                ),
            });
        }
    };
    let request_uri = Uri::parse(text).map_err(|e| Violation::Malformed {
        header: "Request-URI",
        section: "19.1",
        error: e.shifted(uri_at),
    })?;
    if request_uri.has_headers() {
        let q = text.find('?').unwrap_or(0);
        return Err(Violation::RequestUriHeaders { offset: uri_at + q });
    }
    match request_uri.scheme() {
        Scheme::Other(_) => return Err(Violation::UnsupportedScheme { offset: uri_at }),
        Scheme::Tel if method == "REGISTER" => {
            return Err(Violation::RegisterUriScheme { offset: uri_at });
        }
        _ => {}
    }
    Ok(RequestFacts {
        method,
        request_uri,
        request_uri_span: uri,
        to: common.to,
        from: common.from,
        call_id: common.call_id,
        cseq: common.cseq,
        via: common.via,
        contacts: common.contacts,
        expires: common.expires,
        max_forwards: common.max_forwards,
        route: walk.route,
        proxy_require: walk.proxy_require,
        content_length: walk.content_length.first,
    })
}

/// [`check_request`] plus what a proxy checks before forwarding (RFC 3261 16.3 steps 3
/// and 5): Max-Forwards must not be 0 (483), and every Proxy-Require option tag must
/// be in `supported` (420; compared case-sensitively, RFC 3261 19.2).
#[inline]
pub fn check_proxy_request<'m>(
    msg: &'m Message,
    supported: &[&str],
) -> Result<RequestFacts<'m>, Violation> {
    let facts = check_request(msg)?;
    if let Some(mf) = &facts.max_forwards
        && mf.value == 0
    {
        return Err(Violation::TooManyHops {
            offset: mf.span.start as usize,
        });
    }
    if !facts.proxy_require.is_empty() {
        for f in msg.find(HeaderName::ProxyRequire) {
            let v = value(msg, f, "Proxy-Require", "20.29")?;
            let tags = TokenList::parse(v, "option-tag").map_err(|e| Violation::Malformed {
                header: "Proxy-Require",
                section: "20.29",
                error: e.shifted(f.value_span.start as usize),
            })?;
            if let Some(t) = tags.iter().find(|t| !supported.contains(t)) {
                let at = (t.as_ptr() as usize).saturating_sub(v.as_ptr() as usize);
                return Err(Violation::BadExtension {
                    offset: f.value_span.start as usize + at,
                });
            }
        }
    }
    Ok(facts)
}

/// Checks a response before it is relayed or matched to a transaction (RFC 3261 8.1.3
/// and 16.7): mandatory headers present and singletons once, each typed-parsed (every
/// Via, From, To, Call-ID, CSeq, Max-Forwards, Expires), CSeq in range. Contact values
/// are the registrar's answer and are left to the reader that needs them. A response
/// that fails is discarded, never answered.
pub fn check_response(msg: &Message) -> Result<ResponseFacts<'_>, Violation> {
    let Some(status) = msg.status() else {
        return Err(Violation::Syntax(ParseError::expected("response", 0)));
    };
    let walk = Walk::of(msg);
    let common = common(msg, &walk, false)?;
    Ok(ResponseFacts {
        status,
        to: common.to,
        cseq: common.cseq,
        via: common.via,
        expires: common.expires,
    })
}

/// The fields the checks read, located in one walk over the header list.
#[derive(Debug, Default)]
struct Walk {
    to: Fields,
    from: Fields,
    call_id: Fields,
    cseq: Fields,
    via: Fields,
    max_forwards: Fields,
    expires: Fields,
    contact: Fields,
    route: Fields,
    proxy_require: Fields,
    content_length: Fields,
}

impl Walk {
    fn of(msg: &Message) -> Walk {
        let mut w = Walk::default();
        for (i, h) in msg.headers().iter().enumerate() {
            let slot = match h.name {
                HeaderName::To => &mut w.to,
                HeaderName::From => &mut w.from,
                HeaderName::CallId => &mut w.call_id,
                HeaderName::CSeq => &mut w.cseq,
                HeaderName::Via => &mut w.via,
                HeaderName::MaxForwards => &mut w.max_forwards,
                HeaderName::Expires => &mut w.expires,
                HeaderName::Contact => &mut w.contact,
                HeaderName::Route => &mut w.route,
                HeaderName::ProxyRequire => &mut w.proxy_require,
                HeaderName::ContentLength => &mut w.content_length,
                _ => continue,
            };
            slot.note(i);
        }
        w
    }
}

/// What requests and responses share.
struct Common<'m> {
    to: Located<NameAddr<'m>>,
    from: Located<NameAddr<'m>>,
    call_id: Located<&'m str>,
    cseq: Located<CSeq<'m>>,
    cseq_method_offset: usize,
    via: TopVia<'m>,
    contacts: Contacts,
    star_at: Option<usize>,
    star_count: usize,
    expires: Option<Located<u32>>,
    max_forwards: Option<Located<u8>>,
}

fn value<'m>(
    msg: &'m Message,
    f: &HeaderField,
    header: &'static str,
    section: &'static str,
) -> Result<&'m str, Violation> {
    msg.value_str(f).map_err(|error| Violation::Malformed {
        header,
        section,
        error,
    })
}

fn malformed(header: &'static str, section: &'static str, e: ParseError, base: usize) -> Violation {
    Violation::Malformed {
        header,
        section,
        error: e.shifted(base),
    }
}

/// The field `name` located by the walk, if it appears at most once.
fn single(
    msg: &Message,
    fields: Fields,
    name: HeaderName,
) -> Result<Option<(usize, &HeaderField)>, Violation> {
    if fields.count > 1 {
        let dup = msg
            .find(name)
            .nth(1)
            .map_or(0, |f| f.line_span.start as usize);
        return Err(Violation::Repeated {
            header: name.canonical().unwrap_or("header"),
            offset: dup,
        });
    }
    Ok(fields.first.and_then(|i| Some((i, msg.header(i)?))))
}

fn required(
    msg: &Message,
    fields: Fields,
    name: HeaderName,
) -> Result<(usize, &HeaderField), Violation> {
    single(msg, fields, name)?.ok_or_else(|| Violation::Missing {
        header: name.canonical().unwrap_or("header"),
        offset: msg.head_end(),
    })
}

/// Parses the single field at `at` with `parse`, reporting failures against the message.
fn typed<'m, T>(
    msg: &'m Message,
    (index, f): (usize, &HeaderField),
    header: &'static str,
    section: &'static str,
    parse: impl FnOnce(&'m str) -> Result<T, ParseError>,
) -> Result<Located<T>, Violation> {
    let v = value(msg, f, header, section)?;
    let value = parse(v).map_err(|e| malformed(header, section, e, f.value_span.start as usize))?;
    Ok(Located {
        index,
        span: f.value_span,
        value,
    })
}

/// The checks requests and responses share. A request's Contact values are checked too
/// (a registrar, and the edge's admission, act on them); a response's are the
/// registrar's answer, read by whoever needs them.
#[inline(always)]
fn common<'m>(msg: &'m Message, walk: &Walk, request: bool) -> Result<Common<'m>, Violation> {
    // Presence and multiplicity first: a repeated To or CSeq makes the transaction
    // ambiguous whatever the values say (RFC 4475 3.3.8).
    let to = required(msg, walk.to, HeaderName::To)?;
    let from = required(msg, walk.from, HeaderName::From)?;
    let call_id = required(msg, walk.call_id, HeaderName::CallId)?;
    let cseq = required(msg, walk.cseq, HeaderName::CSeq)?;
    let max_forwards = single(msg, walk.max_forwards, HeaderName::MaxForwards)?;
    let expires = single(msg, walk.expires, HeaderName::Expires)?;
    if walk.via.is_empty() {
        return Err(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        });
    }
    let via = vias(msg, walk.via)?;
    let from = typed(msg, from, "From", "20.20", NameAddr::parse)?;
    // The To of a REGISTER is usually its From: the URI checked once.
    let to = typed(msg, to, "To", "20.39", |v| {
        NameAddr::parse_like(v, &from.value)
    })?;
    let call_id = typed(msg, call_id, "Call-ID", "20.8", parse_call_id)?;
    let cseq = typed(msg, cseq, "CSeq", "8.1.1.5", CSeq::parse)?;
    let cseq_text = msg.slice(cseq.span);
    let cseq_method_offset = cseq.span.start as usize
        + (cseq.value.method.as_ptr() as usize).saturating_sub(cseq_text.as_ptr() as usize);
    let max_forwards = max_forwards
        .map(|f| typed(msg, f, "Max-Forwards", "20.22", parse_max_forwards))
        .transpose()?;
    let expires = expires
        .map(|f| typed(msg, f, "Expires", "20.19", parse_expires))
        .transpose()?;
    let (contacts, star_at, star_count) = if request {
        contacts(msg, walk.contact)?
    } else {
        (Contacts::default(), None, 0)
    };
    Ok(Common {
        to,
        from,
        call_id,
        cseq,
        cseq_method_offset,
        via,
        contacts,
        star_at,
        star_count,
        expires,
        max_forwards,
    })
}

/// Parses every via-parm of every Via field, keeping the topmost with the spans of
/// the two parameters a proxy rewrites on it (noted in the validating pass).
fn vias<'m>(msg: &'m Message, fields: Fields) -> Result<TopVia<'m>, Violation> {
    let first = fields.first.unwrap_or_default();
    let mut top: Option<TopVia<'m>> = None;
    let mut total = 0usize;
    for (index, f) in msg.headers().iter().enumerate().skip(first) {
        if f.name != HeaderName::Via {
            continue;
        }
        let text = value(msg, f, "Via", "20.42")?;
        let base = f.value_span.start as usize;
        let mut items = split_list(text).peekable();
        if items.peek().is_none() {
            return Err(malformed(
                "Via",
                "20.42",
                ParseError::expected("via-parm", 0),
                base,
            ));
        }
        while let Some((off, item)) = items.next() {
            total += 1;
            let at = base + off;
            if top.is_some() {
                Via::parse(item).map_err(|e| malformed("Via", "20.42", e, at))?;
                continue;
            }
            let (mut received, mut rport) = (None, None);
            let via = Via::parse_visiting(item, |p| {
                let span = Span::new(at + p.range.start, at + p.range.end);
                if p.is("received") {
                    received = Some(span);
                } else if p.is("rport") {
                    rport = Some(span);
                }
            })
            .map_err(|e| malformed("Via", "20.42", e, at))?;
            top = Some(TopVia {
                index,
                span: Span::new(at, at + item.len()),
                via,
                received,
                rport,
                more_in_field: items.peek().is_some(),
                total: 0,
            });
        }
    }
    match top {
        Some(mut top) => {
            top.total = total;
            Ok(top)
        }
        None => Err(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        }),
    }
}

/// Parses every Contact value, noting the outbound markers and the lifetimes asked for
/// in the validating pass; also where a `*` is and how often it appears.
fn contacts(msg: &Message, fields: Fields) -> Result<(Contacts, Option<usize>, usize), Violation> {
    let mut out = Contacts::default();
    let (mut star_at, mut stars) = (None, 0usize);
    if fields.is_empty() {
        return Ok((out, star_at, stars));
    }
    let first = fields.first.unwrap_or_default();
    for f in msg.headers().iter().skip(first) {
        if f.name != HeaderName::Contact {
            continue;
        }
        let text = value(msg, f, "Contact", "20.10")?;
        let base = f.value_span.start as usize;
        for (off, item) in split_list(text) {
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
            .map_err(|e| malformed("Contact", "20.10", e, base + off))?;
            match contact {
                Contact::Star => {
                    stars += 1;
                    star_at.get_or_insert(f.line_span.start as usize);
                }
                Contact::Addr(addr) => {
                    out.bindings += 1;
                    // The URI is a sub-slice of the item: where it starts in the message.
                    let uri = addr.uri().as_str();
                    let at = (uri.as_ptr() as usize).wrapping_sub(item.as_ptr() as usize);
                    if at <= item.len() {
                        let start = base + off + at;
                        out.uris.push(Span::new(start, start + uri.len()));
                    }
                    out.outbound |= reg_id && instance;
                    match expires {
                        Some(p) => {
                            let v = p.value.unwrap_or_default();
                            let end = base + off + p.range.end;
                            let n = parse_expires(v)
                                .map_err(|e| malformed("Contact", "20.10", e, end - v.len()))?;
                            out.expires_params.push((Span::new(end - v.len(), end), n));
                        }
                        None => out.without_expires = true,
                    }
                }
            }
        }
    }
    Ok((out, star_at, stars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(extra: &str) -> Message {
        let text = format!(
            "REGISTER sip:ims.example SIP/2.0\r\n\
             Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKx\r\n\
             To: <sip:a@ims.example>\r\nFrom: <sip:a@ims.example>;tag=1\r\n\
             Call-ID: c1\r\nCSeq: 1 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes()).expect("parses")
    }

    #[test]
    fn accepts_a_plain_register() {
        assert!(check_request(&req("Max-Forwards: 70\r\n")).is_ok());
        assert!(check_proxy_request(&req(""), &[]).is_ok());
    }

    #[test]
    fn contact_star_rules() {
        assert!(check_request(&req("Contact: *\r\nExpires: 0\r\n")).is_ok());
        for bad in [
            "Contact: *\r\n",
            "Contact: *\r\nExpires: 10\r\n",
            "Contact: *, <sip:a@b>\r\nExpires: 0\r\n",
            "Contact: *\r\nContact: *\r\nExpires: 0\r\n",
        ] {
            let v = check_request(&req(bad)).expect_err(bad);
            assert!(matches!(v, Violation::ContactStar { .. }), "{bad:?}: {v:?}");
            assert_eq!((v.status(), v.section()), (400, "10.2.2"));
        }
    }

    #[test]
    fn proxy_checks() {
        let v = check_proxy_request(&req("Max-Forwards: 0\r\n"), &[]).expect_err("483");
        assert_eq!(v.status(), 483);
        let m = req("Proxy-Require: sec-agree, foo\r\n");
        assert!(check_proxy_request(&m, &["sec-agree", "foo"]).is_ok());
        let v = check_proxy_request(&m, &["sec-agree"]).expect_err("420");
        assert_eq!(v.status(), 420);
        assert_eq!(&m.as_bytes()[v.offset()..v.offset() + 3], b"foo");
    }

    #[test]
    fn offsets_point_into_the_message() {
        let m = req("Expires: 99999999999\r\n");
        let v = check_request(&m).expect_err("range");
        assert!(matches!(
            v,
            Violation::Malformed {
                header: "Expires",
                ..
            }
        ));
        assert_eq!(&m.as_bytes()[v.offset()..v.offset() + 2], b"99");
        let m = req("Max-Forwards: 1\r\nmax-forwards: 2\r\n");
        let v = check_request(&m).expect_err("dup");
        assert_eq!(&m.as_bytes()[v.offset()..v.offset() + 3], b"max");
    }

    #[test]
    fn responses() {
        let m = Message::parse(
            &b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
               To: <sip:a@b>;tag=2\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: c\r\n\
               CSeq: 1 REGISTER\r\nl: 0\r\n\r\n"[..],
        )
        .expect("parses");
        assert!(check_response(&m).is_ok());
        assert!(check_request(&m).is_err());
        assert!(check_response(&req("")).is_err());
    }
}
