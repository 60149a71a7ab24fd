//! Semantic checks on a parsed message: the request and response validation of RFC
//! 3261 section 8.2 (UAS) and section 16.3 (proxy), on top of what the framing parser
//! already enforces.
//!
//! [`Message::parse`] only indexes the header section; some malformed messages of RFC
//! 4475 section 3.1.2 and 3.3 (an out-of-range CSeq, a Request-URI with escaped
//! headers, an unquoted display name with a comma, repeated or missing mandatory
//! headers, an unknown Request-URI scheme, Max-Forwards exhausted) are only visible
//! once the header values are typed-parsed. The functions here do that and report the
//! first rule broken as a [`Violation`] that names the rule, the RFC 3261 section, the
//! status code to answer with, and the byte offset in the message.
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

use thiserror::Error;

use super::error::{ParseError, ParseErrorKind};
use super::message::Message;
use super::name::HeaderName;
use super::parse::{HeaderField, StartLine};
use crate::message::header::{
    CSeq, Contact, NameAddr, Scheme, TokenList, Uri, Via, parse_call_id, parse_expires,
    parse_max_forwards,
};

/// A rule of RFC 3261 that a message breaks, with where and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Violation {
    /// The bytes did not parse as a message at all.
    #[error("unparsable message: {0}")]
    Syntax(#[from] ParseError),
    /// A header every request or response carries is absent (RFC 3261 8.1.1).
    #[error("missing mandatory {header} header (at byte {offset})")]
    Missing {
        /// The header's canonical name.
        header: &'static str,
        /// Where the header section ends (where it would have been).
        offset: usize,
    },
    /// A header allowed once appears again (RFC 3261 7.3.1; RFC 4475 3.3.8).
    #[error("{header} appears more than once (at byte {offset})")]
    Repeated {
        /// The header's canonical name.
        header: &'static str,
        /// Start of the second occurrence.
        offset: usize,
    },
    /// A header value does not match its grammar or range.
    #[error("malformed {header} header: {error}")]
    Malformed {
        /// The header's canonical name, or `Request-URI`.
        header: &'static str,
        /// RFC 3261 section defining the element.
        section: &'static str,
        /// What was wrong; its offset is relative to the whole message.
        error: ParseError,
    },
    /// The CSeq method differs from the request method (RFC 3261 8.1.1.5).
    #[error("CSeq method does not match the request method (at byte {offset})")]
    CSeqMethodMismatch {
        /// Start of the CSeq method.
        offset: usize,
    },
    /// `Contact: *` mixed with other values, repeated, outside REGISTER or without
    /// `Expires: 0` (RFC 3261 10.2.2 and 10.3 step 6).
    #[error("misused Contact '*' (at byte {offset})")]
    ContactStar {
        /// Start of the offending Contact field.
        offset: usize,
    },
    /// The Request-URI carries `?headers`, which RFC 3261 19.1.5 forbids there.
    #[error("escaped headers in the Request-URI (at byte {offset})")]
    RequestUriHeaders {
        /// Offset of the `?`.
        offset: usize,
    },
    /// The Request-URI scheme is not sip, sips or tel (RFC 3261 8.2.2.1, 16.3 step 2).
    #[error("unsupported Request-URI scheme (at byte {offset})")]
    UnsupportedScheme {
        /// Start of the Request-URI.
        offset: usize,
    },
    /// A proxy received Max-Forwards: 0 on a request it would forward (RFC 3261 16.3
    /// step 3).
    #[error("Max-Forwards exhausted (at byte {offset})")]
    TooManyHops {
        /// Start of the Max-Forwards value.
        offset: usize,
    },
    /// Proxy-Require names an option tag the proxy does not support (RFC 3261 16.3
    /// step 5).
    #[error("unsupported Proxy-Require option tag (at byte {offset})")]
    BadExtension {
        /// Start of the first unsupported option tag.
        offset: usize,
    },
}

impl Violation {
    /// The RFC 3261 section whose rule is broken.
    pub fn section(&self) -> &'static str {
        match self {
            Violation::Syntax(e) => match e.kind {
                ParseErrorKind::UnsupportedVersion => "21.5.7",
                ParseErrorKind::MessageTooLarge { .. } => "21.5.13",
                ParseErrorKind::InvalidContentLength
                | ParseErrorKind::ConflictingContentLength
                | ParseErrorKind::BodyTruncated { .. } => "18.3",
                _ => "25.1",
            },
            Violation::Missing { .. } => "8.1.1",
            Violation::Repeated { .. } => "7.3.1",
            Violation::Malformed { section, .. } => section,
            Violation::CSeqMethodMismatch { .. } => "8.1.1.5",
            Violation::ContactStar { .. } => "10.2.2",
            Violation::RequestUriHeaders { .. } => "19.1.5",
            Violation::UnsupportedScheme { .. } => "8.2.2.1",
            Violation::TooManyHops { .. } => "16.3",
            Violation::BadExtension { .. } => "16.3",
        }
    }

    /// The status code a UAS or proxy answers with (responses that break a rule are
    /// dropped instead, RFC 3261 18.1.2).
    pub fn status(&self) -> u16 {
        match self {
            Violation::Syntax(e) => match e.kind {
                ParseErrorKind::UnsupportedVersion => 505,
                ParseErrorKind::MessageTooLarge { .. } => 513,
                _ => 400,
            },
            Violation::UnsupportedScheme { .. } => 416,
            Violation::TooManyHops { .. } => 483,
            Violation::BadExtension { .. } => 420,
            _ => 400,
        }
    }

    /// Byte offset of the problem within the message.
    pub fn offset(&self) -> usize {
        match self {
            Violation::Syntax(e) | Violation::Malformed { error: e, .. } => e.offset,
            Violation::Missing { offset, .. }
            | Violation::Repeated { offset, .. }
            | Violation::CSeqMethodMismatch { offset }
            | Violation::ContactStar { offset }
            | Violation::RequestUriHeaders { offset }
            | Violation::UnsupportedScheme { offset }
            | Violation::TooManyHops { offset }
            | Violation::BadExtension { offset } => *offset,
        }
    }
}

/// Checks a request as a UAS would before processing it (RFC 3261 8.2.2 and the
/// "reasonable syntax" of 16.3 step 1): mandatory headers present and singletons once,
/// each typed-parsed, CSeq in range with the request's method, `Contact: *` rules, and
/// a sip/sips/tel Request-URI without escaped headers.
///
/// Max-Forwards is only checked when present (RFC 2543 elements omit it, RFC 4475
/// 3.4.1); a value of 0 is fine for an endpoint (see [`check_proxy_request`]).
pub fn check_request(msg: &Message) -> Result<(), Violation> {
    let StartLine::Request { uri, .. } = msg.start_line() else {
        return Err(Violation::Syntax(ParseError::expected("request", 0)));
    };
    let cseq = check_common(msg)?;
    if Some(cseq.method) != msg.method() {
        return Err(Violation::CSeqMethodMismatch {
            offset: cseq.method_offset,
        });
    }
    check_contact_star(msg)?;
    let uri_at = uri.start as usize;
    let text = std::str::from_utf8(msg.slice(uri)).map_err(|e| Violation::Malformed {
        header: "Request-URI",
        section: "19.1",
        error: ParseError::new(ParseErrorKind::InvalidUtf8, uri_at + e.valid_up_to()),
    })?;
    let parsed = Uri::parse(text).map_err(|e| Violation::Malformed {
        header: "Request-URI",
        section: "19.1",
        error: e.shifted(uri_at),
    })?;
    if parsed.has_headers() {
        let q = text.find('?').unwrap_or(0);
        return Err(Violation::RequestUriHeaders { offset: uri_at + q });
    }
    if matches!(parsed.scheme(), Scheme::Other(_)) {
        return Err(Violation::UnsupportedScheme { offset: uri_at });
    }
    Ok(())
}

/// [`check_request`] plus what a proxy checks before forwarding (RFC 3261 16.3 steps 3
/// and 5): Max-Forwards must not be 0 (483), and every Proxy-Require option tag must
/// be in `supported` (420; compared case-sensitively, RFC 3261 19.2).
pub fn check_proxy_request(msg: &Message, supported: &[&str]) -> Result<(), Violation> {
    check_request(msg)?;
    if let Some(f) = msg.first(HeaderName::MaxForwards) {
        // check_request parsed it already; a failure here cannot happen.
        if parse_max_forwards(value(msg, f, "Max-Forwards", "20.22")?) == Ok(0) {
            return Err(Violation::TooManyHops {
                offset: f.value_span.start as usize,
            });
        }
    }
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
    Ok(())
}

/// Checks a response before it is relayed or matched to a transaction (RFC 3261 8.1.3
/// and 16.7): mandatory headers present and singletons once, each typed-parsed, CSeq
/// in range. A response that fails is discarded, never answered.
pub fn check_response(msg: &Message) -> Result<(), Violation> {
    if msg.is_request() {
        return Err(Violation::Syntax(ParseError::expected("response", 0)));
    }
    check_common(msg).map(|_| ())
}

/// The CSeq method and where it is, for the request-line comparison.
struct CSeqAt<'a> {
    method: &'a str,
    method_offset: usize,
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

/// Runs `parse` on the value of `f`, reporting failures against the message.
fn typed<'m, T>(
    msg: &'m Message,
    f: &HeaderField,
    header: &'static str,
    section: &'static str,
    parse: impl FnOnce(&'m str) -> Result<T, ParseError>,
) -> Result<T, Violation> {
    let v = value(msg, f, header, section)?;
    parse(v).map_err(|e| Violation::Malformed {
        header,
        section,
        error: e.shifted(f.value_span.start as usize),
    })
}

fn single(msg: &Message, name: HeaderName) -> Result<Option<&HeaderField>, Violation> {
    let header = name.canonical().unwrap_or("header");
    let mut it = msg.find(name);
    let first = it.next();
    match it.next() {
        Some(dup) => Err(Violation::Repeated {
            header,
            offset: dup.line_span.start as usize,
        }),
        None => Ok(first),
    }
}

fn required(msg: &Message, name: HeaderName) -> Result<&HeaderField, Violation> {
    single(msg, name)?.ok_or(Violation::Missing {
        header: name.canonical().unwrap_or("header"),
        offset: msg.head_end(),
    })
}

fn check_common(msg: &Message) -> Result<CSeqAt<'_>, Violation> {
    // Presence and multiplicity first: a repeated To or CSeq makes the transaction
    // ambiguous whatever the values say (RFC 4475 3.3.8).
    let to = required(msg, HeaderName::To)?;
    let from = required(msg, HeaderName::From)?;
    let call_id = required(msg, HeaderName::CallId)?;
    let cseq = required(msg, HeaderName::CSeq)?;
    let max_forwards = single(msg, HeaderName::MaxForwards)?;
    let expires = single(msg, HeaderName::Expires)?;
    if msg.first(HeaderName::Via).is_none() {
        return Err(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        });
    }

    for f in msg.find(HeaderName::Via) {
        typed(msg, f, "Via", "20.42", |v| {
            Via::parse_list(v).try_for_each(|r| r.map(|_| ()))
        })?;
    }
    typed(msg, from, "From", "20.20", NameAddr::parse)?;
    typed(msg, to, "To", "20.39", NameAddr::parse)?;
    typed(msg, call_id, "Call-ID", "20.8", parse_call_id)?;
    let parsed = typed(msg, cseq, "CSeq", "8.1.1.5", CSeq::parse)?;
    if let Some(f) = max_forwards {
        typed(msg, f, "Max-Forwards", "20.22", parse_max_forwards)?;
    }
    if let Some(f) = expires {
        typed(msg, f, "Expires", "20.19", parse_expires)?;
    }
    for f in msg.find(HeaderName::Contact) {
        typed(msg, f, "Contact", "20.10", |v| {
            Contact::parse_list(v).try_for_each(|r| r.map(|_| ()))
        })?;
    }
    let cseq_text = msg.value_str(cseq).unwrap_or_default();
    let method_offset = cseq.value_span.start as usize
        + (parsed.method.as_ptr() as usize).saturating_sub(cseq_text.as_ptr() as usize);
    Ok(CSeqAt {
        method: parsed.method,
        method_offset,
    })
}

/// RFC 3261 10.2.2: `*` is only for a REGISTER removing every binding, alone, with
/// `Expires: 0`.
fn check_contact_star(msg: &Message) -> Result<(), Violation> {
    let mut star_at = None;
    let mut values = 0usize;
    for f in msg.find(HeaderName::Contact) {
        let v = msg.value_str(f).unwrap_or_default();
        for r in Contact::parse_list(v) {
            values += 1;
            if matches!(r, Ok((_, Contact::Star))) {
                star_at.get_or_insert(f.line_span.start as usize);
            }
        }
    }
    let Some(offset) = star_at else {
        return Ok(());
    };
    let expires_zero = msg
        .first(HeaderName::Expires)
        .and_then(|f| msg.value_str(f).ok())
        .is_some_and(|v| parse_expires(v) == Ok(0));
    if values != 1 || msg.method() != Some("REGISTER") || !expires_zero {
        return Err(Violation::ContactStar { offset });
    }
    Ok(())
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
        assert_eq!(check_request(&req("Max-Forwards: 70\r\n")), Ok(()));
        assert_eq!(check_proxy_request(&req(""), &[]), Ok(()));
    }

    #[test]
    fn contact_star_rules() {
        assert_eq!(check_request(&req("Contact: *\r\nExpires: 0\r\n")), Ok(()));
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
        assert_eq!(check_proxy_request(&m, &["sec-agree", "foo"]), Ok(()));
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
        assert_eq!(check_response(&m), Ok(()));
        assert!(check_request(&m).is_err());
        assert!(check_response(&req("")).is_err());
    }
}
