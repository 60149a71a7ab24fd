//! The message parser: start line, header index and body framing over one buffer
//! (RFC 3261 sections 7 and 25). It records spans; it copies nothing.
//!
//! Lines end in CRLF. A CRLF followed by SP or HTAB folds the line (RFC 3261 7.3.1).
//! A bare CR or LF, or a NUL that is not part of a quoted-pair, is rejected: accepting
//! them would let two elements frame the same bytes differently.

use memchr::memchr3;
use nom::{
    IResult, Parser,
    bytes::complete::{tag_no_case, take_while_m_n, take_while1},
    character::complete::char as chr,
};

use super::error::{ParseError, ParseErrorKind};
use super::limits::Limits;
use super::name::HeaderName;
use super::span::Span;

/// One header field as indexed by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField {
    /// The classified name.
    pub name: HeaderName,
    /// The name as written.
    pub name_span: Span,
    /// The value, without surrounding whitespace (folds inside are kept).
    pub value_span: Span,
    /// The whole field line from the name to the end of its final CRLF.
    pub line_span: Span,
}

/// The parsed start line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine {
    /// `Method SP Request-URI SP SIP/2.0`.
    Request {
        /// The method token.
        method: Span,
        /// The Request-URI text.
        uri: Span,
    },
    /// `SIP/2.0 SP Status-Code SP Reason-Phrase`.
    Response {
        /// The status code, 100..=699.
        status: u16,
        /// The reason phrase (may be empty).
        reason: Span,
    },
}

/// What the header scan found: the index plus what framing needs.
pub(crate) struct Head {
    pub start: StartLine,
    /// End of the start line, CRLF included.
    pub start_end: usize,
    pub headers: Vec<HeaderField>,
    /// Offset of the first body byte (just past the empty line).
    pub body_start: usize,
    pub content_length: Option<usize>,
}

// RFC 3261 25.1 `token`, as one table lookup per byte: header names are scanned byte
// by byte, and the lookup is markedly cheaper than a chain of comparisons.
pub(crate) use super::header::lex::is_token_byte;

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn fail(kind: ParseErrorKind, offset: usize) -> ParseError {
    ParseError::new(kind, offset)
}

/// Offset of `rest` within `whole` (both slices of the same buffer).
fn offset_in(whole: &[u8], rest: &[u8]) -> usize {
    whole.len() - rest.len()
}

type Res<'a, T> = IResult<&'a [u8], T, ()>;

fn sip_version(i: &[u8]) -> Res<'_, (&[u8], &[u8])> {
    let digits = |i| take_while_m_n(1, 9, |b: u8| b.is_ascii_digit())(i);
    // RFC 3261 7.1: the SIP-Version text is case-insensitive.
    let (i, _) = tag_no_case(&b"SIP/"[..])(i)?;
    let (i, (major, _, minor)) = (digits, chr('.'), digits).parse(i)?;
    Ok((i, (major, minor)))
}

/// Checks `SIP/2.0` at `at` in `line`; returns the offset just past it.
fn check_version(line: &[u8], at: usize, base: usize) -> Result<usize, ParseError> {
    let rest = line.get(at..).unwrap_or_default();
    // The version as every element writes it, tested first: the same answer as the
    // grammar below, which reads the other spellings.
    if rest.starts_with(b"SIP/2.0") && !rest.get(7).is_some_and(u8::is_ascii_digit) {
        return Ok(at + 7);
    }
    match sip_version(rest) {
        Ok((left, (major, minor))) => {
            if major != b"2" || minor != b"0" {
                return Err(fail(ParseErrorKind::UnsupportedVersion, base + at));
            }
            Ok(at + (rest.len() - left.len()))
        }
        Err(_) => Err(ParseError::expected("SIP-Version", base + at)),
    }
}

/// Parses the start line (without its CRLF) found at `base` in the buffer.
fn start_line(line: &[u8], base: usize) -> Result<StartLine, ParseError> {
    if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"SIP/") {
        return status_line(line, base);
    }
    let method: Res<'_, &[u8]> = take_while1(is_token_byte)(line);
    let Ok((rest, m)) = method else {
        return Err(ParseError::expected("method token", base));
    };
    let at = offset_in(line, rest);
    if rest.first() != Some(&b' ') {
        return Err(ParseError::expected("SP after method", base + at));
    }
    let uri_start = at + 1;
    // The Request-URI runs to the next SP; RFC 3261 25.1 allows no whitespace in it.
    let uri_len = line[uri_start..]
        .iter()
        .position(|&b| b == b' ')
        .ok_or_else(|| ParseError::expected("SP after Request-URI", base + line.len()))?;
    let uri = &line[uri_start..uri_start + uri_len];
    if uri.is_empty() {
        return Err(ParseError::expected("Request-URI", base + uri_start));
    }
    if !uri[0].is_ascii_alphabetic() {
        return Err(ParseError::expected(
            "absolute Request-URI starting with a scheme",
            base + uri_start,
        ));
    }
    if let Some(p) = uri.iter().position(|&b| b <= b' ' || b == 0x7f) {
        return Err(fail(
            ParseErrorKind::ForbiddenByte(uri[p]),
            base + uri_start + p,
        ));
    }
    if !uri.contains(&b':') {
        return Err(ParseError::expected(
            "scheme ':' in Request-URI",
            base + uri_start,
        ));
    }
    let version_at = uri_start + uri_len + 1;
    let end = check_version(line, version_at, base)?;
    if end != line.len() {
        return Err(fail(ParseErrorKind::Trailing("SIP-Version"), base + end));
    }
    Ok(StartLine::Request {
        method: Span::new(base, base + m.len()),
        uri: Span::new(base + uri_start, base + uri_start + uri_len),
    })
}

fn status_line(line: &[u8], base: usize) -> Result<StartLine, ParseError> {
    let after_version = check_version(line, 0, base)?;
    if line.get(after_version) != Some(&b' ') {
        return Err(ParseError::expected(
            "SP after SIP-Version",
            base + after_version,
        ));
    }
    let code_at = after_version + 1;
    let digits = line[code_at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits != 3 {
        return Err(fail(ParseErrorKind::InvalidStatusCode, base + code_at));
    }
    let code = line[code_at..code_at + 3]
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&code) {
        return Err(fail(ParseErrorKind::InvalidStatusCode, base + code_at));
    }
    let after_code = code_at + 3;
    let reason_at = match line.get(after_code) {
        Some(b' ') => after_code + 1,
        // Tolerate a missing SP before an empty reason phrase.
        None => after_code,
        Some(_) => {
            return Err(ParseError::expected(
                "SP after Status-Code",
                base + after_code,
            ));
        }
    };
    // Reason-Phrase: any text except controls other than HTAB (UTF-8 is allowed).
    if let Some(p) = line[reason_at..]
        .iter()
        .position(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
    {
        return Err(fail(
            ParseErrorKind::ForbiddenByte(line[reason_at + p]),
            base + reason_at + p,
        ));
    }
    Ok(StartLine::Response {
        status: code,
        reason: Span::new(base + reason_at, base + line.len()),
    })
}

/// Finds the end of the line starting at `from`: returns the offset of its CR (the
/// line's content ends there) and checks that the content holds no stray CR, LF or
/// NUL. Folded continuations are part of the line when `fold` is set.
fn line_end(buf: &[u8], from: usize, fold: bool, limits: &Limits) -> Result<usize, ParseError> {
    let mut at = from;
    let mut quoting = Quoting::at(from);
    loop {
        let Some(rel) = memchr3(b'\r', b'\n', 0, &buf[at..]) else {
            check_line_len(buf.len() - from, limits, from)?;
            return Err(fail(ParseErrorKind::Incomplete("CRLF"), buf.len()));
        };
        let p = at + rel;
        check_line_len(p - from, limits, from)?;
        match buf[p] {
            0 => {
                // RFC 3261 25.1: a quoted-pair (inside a quoted-string or a comment) may
                // escape any octet but CR and LF, NUL included.
                if quoting.escapes(&buf[..p]) {
                    at = p + 1;
                    continue;
                }
                return Err(fail(ParseErrorKind::ForbiddenByte(0), p));
            }
            b'\n' => return Err(fail(ParseErrorKind::ForbiddenByte(b'\n'), p)),
            _ => {}
        }
        match buf.get(p + 1) {
            Some(b'\n') => {}
            Some(_) => return Err(fail(ParseErrorKind::ForbiddenByte(b'\r'), p)),
            None => return Err(fail(ParseErrorKind::Incomplete("CRLF"), buf.len())),
        }
        if fold {
            match buf.get(p + 2) {
                Some(&b) if is_wsp(b) => {
                    at = p + 3;
                    continue;
                }
                // Folding can only be decided once the next byte is known.
                None => return Err(fail(ParseErrorKind::Incomplete("header line"), buf.len())),
                _ => {}
            }
        }
        return Ok(p);
    }
}

/// Tracks quoted-strings, comments and quoted-pairs along one line, so that a NUL can
/// be told apart as an escaped octet. The scan resumes where it stopped, so a line full
/// of escaped NULs is still read once.
struct Quoting {
    /// Offset in the buffer up to which the line has been scanned.
    scanned: usize,
    in_quotes: bool,
    comment_depth: usize,
    escaped: bool,
}

impl Quoting {
    /// Starts scanning the line that begins at `from`.
    fn at(from: usize) -> Quoting {
        Quoting {
            scanned: from,
            in_quotes: false,
            comment_depth: 0,
            escaped: false,
        }
    }

    /// Whether the byte at `upto.len()` is the octet escaped by a quoted-pair.
    fn escapes(&mut self, upto: &[u8]) -> bool {
        for &b in upto.get(self.scanned..).unwrap_or_default() {
            if self.escaped {
                self.escaped = false;
                continue;
            }
            match b {
                b'\\' if self.in_quotes || self.comment_depth > 0 => self.escaped = true,
                b'"' if self.comment_depth == 0 => self.in_quotes = !self.in_quotes,
                b'(' if !self.in_quotes => self.comment_depth += 1,
                b')' if !self.in_quotes => {
                    self.comment_depth = self.comment_depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        // The byte asked about is consumed here: it is the escaped octet, or the
        // caller rejects the line.
        let escaped = self.escaped;
        self.escaped = false;
        self.scanned = upto.len() + 1;
        escaped
    }
}

fn check_line_len(len: usize, limits: &Limits, from: usize) -> Result<(), ParseError> {
    if len > limits.max_line_bytes {
        Err(fail(
            ParseErrorKind::LineTooLong {
                limit: limits.max_line_bytes,
            },
            from,
        ))
    } else {
        Ok(())
    }
}

fn parse_content_length(v: &[u8], at: usize) -> Result<usize, ParseError> {
    if v.is_empty() || v.len() > 10 || !v.iter().all(u8::is_ascii_digit) {
        return Err(fail(ParseErrorKind::InvalidContentLength, at));
    }
    Ok(v.iter()
        .fold(0usize, |acc, &d| acc * 10 + usize::from(d - b'0')))
}

/// Scans the start line and the header section. `buf` may hold more than one message.
pub(crate) fn head(buf: &[u8], limits: &Limits) -> Result<Head, ParseError> {
    let first = line_end(buf, 0, false, limits)?;
    let start = start_line(&buf[..first], 0)?;
    let start_end = first + 2;
    let mut headers = Vec::with_capacity(24);
    let mut content_length: Option<usize> = None;
    let mut at = start_end;
    loop {
        match buf.get(at) {
            None => return Err(fail(ParseErrorKind::Incomplete("end of headers"), at)),
            Some(b'\r') => {
                return match buf.get(at + 1) {
                    Some(b'\n') => Ok(Head {
                        start,
                        start_end,
                        headers,
                        body_start: at + 2,
                        content_length,
                    }),
                    Some(_) => Err(fail(ParseErrorKind::ForbiddenByte(b'\r'), at)),
                    None => Err(fail(ParseErrorKind::Incomplete("end of headers"), at + 1)),
                };
            }
            Some(&b) if is_wsp(b) => {
                return Err(ParseError::expected("header name (not a continuation)", at));
            }
            Some(_) => {}
        }
        if headers.len() >= limits.max_headers {
            return Err(fail(
                ParseErrorKind::TooManyHeaders {
                    limit: limits.max_headers,
                },
                at,
            ));
        }
        let end = line_end(buf, at, true, limits)?;
        let line = &buf[at..end];
        let name_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
        if name_len == 0 {
            return Err(fail(ParseErrorKind::InvalidHeaderName, at));
        }
        // HCOLON = *( SP / HTAB ) ":" SWS
        let mut colon = name_len;
        while colon < line.len() && is_wsp(line[colon]) {
            colon += 1;
        }
        if line.get(colon) != Some(&b':') {
            return Err(ParseError::expected("':' after header name", at + colon));
        }
        let mut v0 = colon + 1;
        let mut v1 = line.len();
        while v0 < v1 && matches!(line[v0], b' ' | b'\t' | b'\r' | b'\n') {
            v0 += 1;
        }
        while v1 > v0 && matches!(line[v1 - 1], b' ' | b'\t' | b'\r' | b'\n') {
            v1 -= 1;
        }
        let name = HeaderName::from_bytes(&line[..name_len]);
        if name == HeaderName::ContentLength {
            let n = parse_content_length(&line[v0..v1], at + v0)?;
            match content_length {
                Some(prev) if prev != n => {
                    return Err(fail(ParseErrorKind::ConflictingContentLength, at));
                }
                _ => content_length = Some(n),
            }
        }
        headers.push(HeaderField {
            name,
            name_span: Span::new(at, at + name_len),
            value_span: Span::new(at + v0, at + v1),
            line_span: Span::new(at, end + 2),
        });
        at = end + 2;
    }
}
