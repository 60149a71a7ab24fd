//! [`Message`]: a parsed SIP request or response that indexes its own buffer.

use std::sync::OnceLock;

use bytes::Bytes;
use bytestring::ByteString;

use super::error::{ParseError, ParseErrorKind};
use super::limits::Limits;
use super::name::HeaderName;
use super::parse::{self, HeaderField, StartLine};
use super::span::Span;

/// A parsed SIP message. It owns its bytes (a cheap, reference-counted [`Bytes`]) and
/// an index of spans into them; header values are parsed into typed values only when
/// asked for.
///
/// ```
/// use sip_oauth::message::{HeaderName, Message};
///
/// let msg = Message::parse(&b"OPTIONS sip:bob@example.com SIP/2.0\r\n\
///     Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
///     l: 0\r\n\r\n"[..])?;
/// assert_eq!(msg.method(), Some("OPTIONS"));
/// let cl = msg.first(HeaderName::ContentLength).map(|h| msg.value_bytes(h));
/// assert_eq!(cl, Some(&b"0"[..]));
/// # Ok::<(), sip_oauth::message::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    buf: Bytes,
    start: StartLine,
    start_end: u32,
    headers: Vec<HeaderField>,
    body: Span,
    content_length: Option<u32>,
    head_text: HeadText,
}

/// The start line and header fields as text, when they are UTF-8: checked once, at the
/// first read of a value as text, so that every later read is a slice rather than a
/// check of its own. A cache: two messages with the same bytes are equal whatever it
/// holds.
#[derive(Debug, Clone, Default)]
struct HeadText(OnceLock<Option<ByteString>>);

impl PartialEq for HeadText {
    fn eq(&self, _: &HeadText) -> bool {
        true
    }
}

impl Eq for HeadText {}

impl Message {
    /// Parses one message received as a datagram (UDP, or one WebSocket message per
    /// RFC 7118) with the default [`Limits`].
    ///
    /// Without Content-Length the body is the rest of the input (RFC 3261 18.3); with
    /// it, bytes past the announced body are not part of the message (RFC 4475 3.1.1.8).
    pub fn parse(input: impl Into<Bytes>) -> Result<Message, ParseError> {
        Message::parse_with(input.into(), &Limits::DEFAULT)
    }

    /// Like [`Message::parse`] with explicit limits.
    pub fn parse_with(input: Bytes, limits: &Limits) -> Result<Message, ParseError> {
        let max = limits.max_message_bytes.min(u32::MAX as usize);
        if input.len() > max {
            return Err(ParseError::new(
                ParseErrorKind::MessageTooLarge { limit: max },
                max,
            ));
        }
        let head = parse::head(&input, limits)?;
        let available = input.len() - head.body_start;
        let body_len = match head.content_length {
            None => available,
            Some(declared) if declared > available => {
                return Err(ParseError::new(
                    ParseErrorKind::BodyTruncated {
                        declared,
                        available,
                    },
                    input.len(),
                ));
            }
            Some(declared) => declared,
        };
        let end = head.body_start + body_len;
        let buf = if end == input.len() {
            input
        } else {
            input.slice(..end)
        };
        Ok(Message {
            buf,
            start: head.start,
            start_end: head.start_end as u32,
            headers: head.headers,
            body: Span::new(head.body_start, end),
            content_length: head.content_length.map(|n| n as u32),
            head_text: HeadText::default(),
        })
    }

    /// The bytes of `span`, a span of the start line or the header fields, as text.
    /// `None` when they are not UTF-8.
    pub(crate) fn text(&self, span: Span) -> Option<&str> {
        self.head_text()
            .and_then(|head| head.get(span.range()))
            .or_else(|| std::str::from_utf8(self.slice(span)).ok())
    }

    fn head_text(&self) -> Option<&str> {
        self.head_text
            .0
            .get_or_init(|| ByteString::try_from(self.buf.slice(..self.body.start as usize)).ok())
            .as_deref()
    }

    /// The message's bytes, exactly as received (and framed).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The shared buffer holding the message.
    pub fn bytes(&self) -> &Bytes {
        &self.buf
    }

    /// The text of `span` (a span taken from this message).
    pub fn slice(&self, span: Span) -> &[u8] {
        self.buf.get(span.range()).unwrap_or_default()
    }

    /// The start line.
    pub fn start_line(&self) -> StartLine {
        self.start
    }

    /// The span of the start line including its CRLF.
    pub fn start_line_span(&self) -> Span {
        Span {
            start: 0,
            end: self.start_end,
        }
    }

    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { method, .. } => self.text(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The method of a request as received (a `token`, so ASCII when it parsed).
    pub(crate) fn method_bytes(&self) -> Option<&[u8]> {
        match self.start {
            StartLine::Request { method, .. } => Some(self.slice(method)),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI of a request, as text (`None` for responses, or when it is not UTF-8).
    pub fn request_uri(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { uri, .. } => self.text(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { status, .. } => Some(status),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response, as bytes (it may be any UTF-8 text).
    pub fn reason(&self) -> Option<&[u8]> {
        match self.start {
            StartLine::Response { reason, .. } => Some(self.slice(reason)),
            StartLine::Request { .. } => None,
        }
    }

    /// Every header field, in order, duplicates included.
    pub fn headers(&self) -> &[HeaderField] {
        &self.headers
    }

    /// The header field at `index` in [`Message::headers`].
    pub fn header(&self, index: usize) -> Option<&HeaderField> {
        self.headers.get(index)
    }

    /// The name of `field` as written.
    pub fn name_bytes(&self, field: &HeaderField) -> &[u8] {
        self.slice(field.name_span)
    }

    /// The value of `field` as written (folds included, surrounding whitespace excluded).
    pub fn value_bytes(&self, field: &HeaderField) -> &[u8] {
        self.slice(field.value_span)
    }

    /// The value of `field` as UTF-8 text.
    pub fn value_str(&self, field: &HeaderField) -> Result<&str, ParseError> {
        if let Some(text) = self
            .head_text()
            .and_then(|head| head.get(field.value_span.range()))
        {
            return Ok(text);
        }
        std::str::from_utf8(self.value_bytes(field)).map_err(|e| {
            ParseError::new(
                ParseErrorKind::InvalidUtf8,
                field.value_span.start as usize + e.valid_up_to(),
            )
        })
    }

    /// The fields with a known `name`, in order (compact forms included).
    pub fn find(&self, name: HeaderName) -> impl Iterator<Item = &HeaderField> + '_ {
        self.headers.iter().filter(move |h| h.name == name)
    }

    /// The indices of the fields with a known `name`, in order.
    pub fn positions(&self, name: HeaderName) -> impl Iterator<Item = usize> + '_ {
        self.headers
            .iter()
            .enumerate()
            .filter(move |(_, h)| h.name == name)
            .map(|(i, _)| i)
    }

    /// The fields whose name equals `name` ignoring case (works for extension headers too;
    /// a known header's compact form matches its long name).
    pub fn find_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a HeaderField> + 'a {
        let known = HeaderName::from_bytes(name.as_bytes());
        self.headers.iter().filter(move |h| {
            if known == HeaderName::Other {
                h.name == HeaderName::Other
                    && self.name_bytes(h).eq_ignore_ascii_case(name.as_bytes())
            } else {
                h.name == known
            }
        })
    }

    /// The first field with a known `name`.
    pub fn first(&self, name: HeaderName) -> Option<&HeaderField> {
        self.headers.iter().find(|h| h.name == name)
    }

    /// The field with a known `name` that may appear at most once: `Ok(None)` when absent,
    /// an error when repeated (RFC 4475 3.3.8).
    pub fn single(&self, name: HeaderName) -> Result<Option<&HeaderField>, ParseError> {
        let mut it = self.find(name);
        let first = it.next();
        if let Some(dup) = it.next() {
            return Err(ParseError::new(
                ParseErrorKind::Duplicate(name.canonical().unwrap_or("header")),
                dup.line_span.start as usize,
            ));
        }
        Ok(first)
    }

    /// The value text of the single field `name`, or an error naming it when absent,
    /// repeated or not UTF-8.
    pub fn required_str(&self, name: HeaderName) -> Result<(&str, usize), ParseError> {
        let field = self.single(name)?.ok_or_else(|| {
            ParseError::new(
                ParseErrorKind::Missing(name.canonical().unwrap_or("header")),
                self.body.start as usize,
            )
        })?;
        Ok((self.value_str(field)?, field.value_span.start as usize))
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        self.slice(self.body)
    }

    /// The span of the body.
    pub fn body_span(&self) -> Span {
        self.body
    }

    /// The Content-Length the message announced, if any.
    pub fn content_length(&self) -> Option<usize> {
        self.content_length.map(|n| n as usize)
    }

    /// Where the header section ends: the offset of the empty line's CRLF.
    pub fn head_end(&self) -> usize {
        self.body.start as usize - 2
    }
}
