//! Checked values: text that may be written into a message, checked once when the value
//! is made (after the `http` crate's `HeaderValue`).
//!
//! The [`Editor`](crate::message::Editor) and the [`Builder`](crate::message::Builder)
//! take only these types, so no text reaches the wire without having been checked, and
//! text checked once (configuration, identities from a token) is not scanned again on
//! every message. Each type keeps its text behind a reference count: cloning is cheap.
//!
//! - [`HeaderValue`]: a header field value. No CR, LF, NUL, other C0 control but HTAB,
//!   or DEL, so it cannot end the field or the message early.
//! - [`Token`]: an RFC 3261 `token` (header names, methods, tags, parameter names).
//! - [`QuotedText`]: the content of a `quoted-string`, written with `"` and `\` escaped.
//! - [`HostPort`]: a `host [":" port]` (RFC 3261 25.1).
//!
//! A [`ValueBuilder`] composes a header value from parts that are already checked
//! (these types, digits, IP addresses, base64url and hex of raw bytes), so no part is
//! scanned twice.
//!
//! ```
//! use sip_oauth::message::{HeaderValue, QuotedText, Token, ValueBuilder};
//!
//! let realm = QuotedText::try_from("home \"net\"")?;
//! let mut v = ValueBuilder::with_capacity(64);
//! v.push(&HeaderValue::from_static("Bearer realm="));
//! v.push_quoted(&realm);
//! v.push(&HeaderValue::from_static(";n="));
//! v.push_decimal(42u32);
//! assert_eq!(v.as_str(), "Bearer realm=\"home \\\"net\\\"\";n=42");
//! assert!(HeaderValue::try_from("x\r\nVia: evil").is_err());
//! assert!(Token::try_from("a b").is_err());
//! # Ok::<(), sip_oauth::message::WriteError>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::decimal::Decimal;
use super::error::WriteError;
use super::header::host::{Host, parse_hostport};
use super::header::lex::is_token_byte;
use super::name::HeaderName;

/// A byte that may never be written into a header: it could end the line (CR, LF),
/// truncate it for C-based peers (NUL), or is another control (HTAB is white space).
const fn is_forbidden(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

/// The one check of everything written: finds the first forbidden byte of `s`.
fn check(what: &'static str, s: &str) -> Result<(), WriteError> {
    // A branch-free pass first (it vectorises); the position only when something is wrong.
    if !s.bytes().fold(false, |bad, c| bad | is_forbidden(c)) {
        return Ok(());
    }
    match s.bytes().enumerate().find(|&(_, c)| is_forbidden(c)) {
        Some((offset, byte)) => Err(WriteError::ForbiddenByte { what, byte, offset }),
        None => Ok(()),
    }
}

/// [`check`] for a `const` context: `true` when `s` holds no forbidden byte.
const fn is_clean(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if is_forbidden(b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Checked text, shared: static text is borrowed, the rest reference-counted.
#[derive(Clone)]
enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }

    fn new(s: &str) -> Text {
        Text::Shared(Arc::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::Shared(Arc::from(s))
    }
}

/// Implements the traits every checked type shares, all through its text.
macro_rules! text_type {
    ($t:ident) => {
        impl $t {
            /// The text as written.
            pub fn as_str(&self) -> &str {
                self.text.as_str()
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $t {}

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl TryFrom<&str> for $t {
            type Error = WriteError;

            fn try_from(s: &str) -> Result<Self, WriteError> {
                $t::new(Self::WHAT, s)
            }
        }

        impl TryFrom<String> for $t {
            type Error = WriteError;

            fn try_from(s: String) -> Result<Self, WriteError> {
                $t::new_owned(Self::WHAT, s)
            }
        }

        impl std::str::FromStr for $t {
            type Err = WriteError;

            fn from_str(s: &str) -> Result<Self, WriteError> {
                $t::new(Self::WHAT, s)
            }
        }
    };
}

/// A header field value: no CR, LF, NUL, DEL or other C0 control but HTAB.
///
/// ```
/// use sip_oauth::message::{HeaderValue, WriteError};
///
/// let v = HeaderValue::try_from("<sip:orig@scscf.example;lr>")?;
/// assert_eq!(v.as_str(), "<sip:orig@scscf.example;lr>");
/// assert_eq!(
///     HeaderValue::try_from("a\nVia: x"),
///     Err(WriteError::ForbiddenByte { what: "header value", byte: b'\n', offset: 1 })
/// );
/// # Ok::<(), WriteError>(())
/// ```
#[derive(Clone)]
pub struct HeaderValue {
    text: Text,
}

text_type!(HeaderValue);

impl HeaderValue {
    const WHAT: &'static str = "header value";

    /// The empty value.
    pub const EMPTY: HeaderValue = HeaderValue::from_static("");

    /// Checks `s`; `what` names it in the error.
    pub fn new(what: &'static str, s: &str) -> Result<HeaderValue, WriteError> {
        check(what, s)?;
        Ok(HeaderValue { text: Text::new(s) })
    }

    fn new_owned(what: &'static str, s: String) -> Result<HeaderValue, WriteError> {
        check(what, &s)?;
        Ok(HeaderValue { text: s.into() })
    }

    /// A value for fixed text, checked at compile time when used in a `const`.
    ///
    /// # Panics
    ///
    /// When `s` holds a forbidden byte (a compile error in a `const` context).
    pub const fn from_static(s: &'static str) -> HeaderValue {
        assert!(is_clean(s), "forbidden byte in a static header value");
        HeaderValue {
            text: Text::Static(s),
        }
    }
}

impl From<Token> for HeaderValue {
    fn from(t: Token) -> HeaderValue {
        HeaderValue { text: t.text }
    }
}

impl From<HostPort> for HeaderValue {
    fn from(h: HostPort) -> HeaderValue {
        HeaderValue { text: h.text }
    }
}

/// An RFC 3261 `token`: one or more of letters, digits and `-.!%*_+`'~`.
///
/// ```
/// use sip_oauth::message::Token;
///
/// assert_eq!(Token::try_from("z9hG4bK.1")?.as_str(), "z9hG4bK.1");
/// assert!(Token::try_from("").is_err());
/// assert!(Token::try_from("a;b").is_err());
/// # Ok::<(), sip_oauth::message::WriteError>(())
/// ```
#[derive(Clone)]
pub struct Token {
    text: Text,
}

text_type!(Token);

impl Token {
    const WHAT: &'static str = "token";

    /// Checks `s`; `what` names it in the error.
    pub fn new(what: &'static str, s: &str) -> Result<Token, WriteError> {
        Self::check(what, s)?;
        Ok(Token { text: Text::new(s) })
    }

    fn new_owned(what: &'static str, s: String) -> Result<Token, WriteError> {
        Self::check(what, &s)?;
        Ok(Token { text: s.into() })
    }

    fn check(what: &'static str, s: &str) -> Result<(), WriteError> {
        check(what, s)?;
        if s.is_empty() || !s.bytes().all(is_token_byte) {
            return Err(WriteError::Invalid {
                what,
                expected: "token",
            });
        }
        Ok(())
    }

    /// A token for fixed text, checked at compile time when used in a `const`.
    ///
    /// # Panics
    ///
    /// When `s` is not a token (a compile error in a `const` context).
    pub const fn from_static(s: &'static str) -> Token {
        let b = s.as_bytes();
        assert!(!b.is_empty(), "empty static token");
        let mut i = 0;
        while i < b.len() {
            assert!(is_token_byte(b[i]), "static token holds a non-token byte");
            i += 1;
        }
        Token {
            text: Text::Static(s),
        }
    }

    /// The same text as a header value (no copy).
    pub fn to_value(&self) -> HeaderValue {
        HeaderValue {
            text: self.text.clone(),
        }
    }
}

/// Text that may be written inside a `quoted-string` (RFC 3261 25.1): no CR, LF, NUL,
/// DEL or other C0 control but HTAB. `"` and `\` are allowed; the writers escape them.
///
/// ```
/// use sip_oauth::message::{QuotedText, ValueBuilder};
///
/// let t = QuotedText::try_from("say \"hi\"")?;
/// let mut v = ValueBuilder::with_capacity(16);
/// v.push_quoted(&t);
/// assert_eq!(v.as_str(), r#""say \"hi\"""#);
/// assert!(QuotedText::try_from("a\rb").is_err());
/// # Ok::<(), sip_oauth::message::WriteError>(())
/// ```
#[derive(Clone)]
pub struct QuotedText {
    text: Text,
    /// No `"` or `\`: written as is, without an escaping pass.
    plain: bool,
}

text_type!(QuotedText);

impl QuotedText {
    const WHAT: &'static str = "quoted text";

    /// Checks `s`; `what` names it in the error.
    pub fn new(what: &'static str, s: &str) -> Result<QuotedText, WriteError> {
        check(what, s)?;
        Ok(QuotedText {
            text: Text::new(s),
            plain: Self::is_plain(s),
        })
    }

    fn new_owned(what: &'static str, s: String) -> Result<QuotedText, WriteError> {
        check(what, &s)?;
        let plain = Self::is_plain(&s);
        Ok(QuotedText {
            text: s.into(),
            plain,
        })
    }

    fn is_plain(s: &str) -> bool {
        memchr::memchr2(b'"', b'\\', s.as_bytes()).is_none()
    }

    /// Quoted text for fixed text, checked at compile time when used in a `const`.
    ///
    /// # Panics
    ///
    /// When `s` holds a forbidden byte (a compile error in a `const` context).
    pub const fn from_static(s: &'static str) -> QuotedText {
        assert!(is_clean(s), "forbidden byte in static quoted text");
        let b = s.as_bytes();
        let mut plain = true;
        let mut i = 0;
        while i < b.len() {
            plain &= b[i] != b'"' && b[i] != b'\\';
            i += 1;
        }
        QuotedText {
            text: Text::Static(s),
            plain,
        }
    }

    /// The text as a header value (no copy), when it needs no escapes.
    pub fn to_value(&self) -> Option<HeaderValue> {
        self.plain.then(|| HeaderValue {
            text: self.text.clone(),
        })
    }

    /// Appends the text with `"` and `\` escaped, without the surrounding quotes.
    fn push_escaped(&self, out: &mut String) {
        let s = self.as_str();
        if self.plain {
            out.push_str(s);
            return;
        }
        out.reserve(s.len() + 2);
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
}

impl From<Token> for QuotedText {
    fn from(t: Token) -> QuotedText {
        // Token bytes include neither `"` nor `\`.
        QuotedText {
            text: t.text,
            plain: true,
        }
    }
}

impl From<HostPort> for QuotedText {
    fn from(h: HostPort) -> QuotedText {
        // The host grammar includes neither `"` nor `\`.
        QuotedText {
            text: h.text,
            plain: true,
        }
    }
}

/// Where the host of a [`HostPort`] is, parsed once.
#[derive(Debug, Clone, Copy)]
enum HostKind {
    Domain(usize),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// A `host [":" port]` (RFC 3261 25.1): a domain name, an IPv4 address or a bracketed
/// IPv6 reference, parsed with the grammar of [`crate::message::header::parse_hostport`].
///
/// ```
/// use sip_oauth::message::HostPort;
/// use sip_oauth::message::header::Host;
///
/// let h = HostPort::try_from("pcscf.example:5060")?;
/// assert_eq!((h.host(), h.port()), (Host::Domain("pcscf.example"), Some(5060)));
/// assert!(HostPort::try_from("a..b").is_err());
/// # Ok::<(), sip_oauth::message::WriteError>(())
/// ```
#[derive(Clone)]
pub struct HostPort {
    text: Text,
    host: HostKind,
    port: Option<u16>,
}

text_type!(HostPort);

impl HostPort {
    const WHAT: &'static str = "host";

    /// Checks and parses `s`; `what` names it in the error.
    pub fn new(what: &'static str, s: &str) -> Result<HostPort, WriteError> {
        let (host, port) = Self::parse(what, s)?;
        Ok(HostPort {
            text: Text::new(s),
            host,
            port,
        })
    }

    fn new_owned(what: &'static str, s: String) -> Result<HostPort, WriteError> {
        let (host, port) = Self::parse(what, &s)?;
        Ok(HostPort {
            text: s.into(),
            host,
            port,
        })
    }

    fn parse(what: &'static str, s: &str) -> Result<(HostKind, Option<u16>), WriteError> {
        check(what, s)?;
        let (host, port) = parse_hostport(s).map_err(|_| WriteError::Invalid {
            what,
            expected: "host or host:port",
        })?;
        let kind = match host {
            Host::Domain(d) => HostKind::Domain(d.len()),
            Host::Ipv4(a) => HostKind::Ipv4(a),
            Host::Ipv6(a) => HostKind::Ipv6(a),
        };
        Ok((kind, port))
    }

    /// The host.
    pub fn host(&self) -> Host<'_> {
        match self.host {
            HostKind::Domain(len) => Host::Domain(self.as_str().get(..len).unwrap_or_default()),
            HostKind::Ipv4(a) => Host::Ipv4(a),
            HostKind::Ipv6(a) => Host::Ipv6(a),
        }
    }

    /// The port, when one is written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The same text as a header value (no copy).
    pub fn to_value(&self) -> HeaderValue {
        HeaderValue {
            text: self.text.clone(),
        }
    }
}

mod sealed {
    /// Keeps the value traits closed: only checked types may claim to be writable.
    pub trait Sealed {}
}

/// Checked text that may be written as (part of) a header value: [`HeaderValue`],
/// [`Token`], [`HostPort`] and [`ValueBuilder`]. Sealed, so every implementation is
/// checked on construction.
pub trait AsHeaderValue: sealed::Sealed {
    /// The checked text.
    fn value_str(&self) -> &str;
}

/// A header field name for the writers: a known [`HeaderName`] (written in its
/// canonical spelling) or a [`Token`]. Sealed.
pub trait FieldName: sealed::Sealed {
    /// The name as written; Content-Length and [`HeaderName::Other`] are refused
    /// (Content-Length is written from the body, `Other` has no spelling).
    fn name_str(&self) -> Result<&str, WriteError>;
}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {}

impl<T: AsHeaderValue + ?Sized> AsHeaderValue for &T {
    fn value_str(&self) -> &str {
        (**self).value_str()
    }
}

impl<T: FieldName + ?Sized> FieldName for &T {
    fn name_str(&self) -> Result<&str, WriteError> {
        (**self).name_str()
    }
}

macro_rules! as_value {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl AsHeaderValue for $t {
            fn value_str(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}

as_value!(HeaderValue, Token, HostPort, ValueBuilder, Decimal);

/// `N` characters of unpadded base64url (RFC 4648 section 5), held inline: letters,
/// digits, `-` and `_`, all `token` characters. Made only by encoding, so a value
/// encoded once (a flow token kept with a registration) is written again as it stands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Base64UrlText<const N: usize>([u8; N]);

impl<const N: usize> Base64UrlText<N> {
    /// The encoding of `bytes`: whole base64 groups, `N` characters (checked when the
    /// crate is built).
    pub(crate) fn of<const M: usize>(bytes: &[u8; M]) -> Self {
        const { assert!(M % 3 == 0 && N == M / 3 * 4) };
        use base64::Engine;
        let mut text = [b'A'; N];
        // Cannot fail: the buffer holds exactly the encoding.
        let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(bytes, &mut text);
        Base64UrlText(text)
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Debug for Base64UrlText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> sealed::Sealed for Base64UrlText<N> {}

impl<const N: usize> AsHeaderValue for Base64UrlText<N> {
    fn value_str(&self) -> &str {
        self.as_str()
    }
}

fn not_content_length() -> WriteError {
    WriteError::Invalid {
        what: "header name",
        expected: "a name other than Content-Length (it is written from the body)",
    }
}

impl sealed::Sealed for HeaderName {}

impl FieldName for HeaderName {
    fn name_str(&self) -> Result<&str, WriteError> {
        match (self, self.canonical()) {
            (HeaderName::ContentLength, _) => Err(not_content_length()),
            (_, Some(name)) => Ok(name),
            (_, None) => Err(WriteError::Invalid {
                what: "header name",
                expected: "a known name (other names are written as a Token)",
            }),
        }
    }
}

impl FieldName for Token {
    fn name_str(&self) -> Result<&str, WriteError> {
        // Builders and editors write Content-Length themselves: a second, possibly
        // different value could make parsers frame the body differently.
        if HeaderName::from_bytes(self.as_str().as_bytes()) == HeaderName::ContentLength {
            return Err(not_content_length());
        }
        Ok(self.as_str())
    }
}

/// Builds a header value from checked parts, with no check of its own: every part is
/// either one of the checked types or text whose alphabet cannot hold a forbidden byte
/// (digits, IP addresses, base64url, hex). Reusable: [`ValueBuilder::clear`] keeps the
/// buffer, so a writer of several values allocates once.
///
/// ```
/// use std::net::IpAddr;
/// use sip_oauth::message::{HeaderValue, HostPort, ValueBuilder};
///
/// let host = HostPort::try_from("edge.example:5060")?;
/// let mut v = ValueBuilder::with_capacity(64);
/// v.push(&HeaderValue::from_static("SIP/2.0/TCP "));
/// v.push(&host);
/// v.push(&HeaderValue::from_static(";received="));
/// v.push_ip("192.0.2.7".parse::<IpAddr>().unwrap());
/// assert_eq!(v.finish().as_str(), "SIP/2.0/TCP edge.example:5060;received=192.0.2.7");
/// # Ok::<(), sip_oauth::message::WriteError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ValueBuilder {
    out: String,
    // Where this value starts in `out`: a builder lent by the editor writes after the
    // text of the edits before it.
    base: usize,
}

impl ValueBuilder {
    /// An empty builder with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> ValueBuilder {
        ValueBuilder {
            out: String::with_capacity(capacity),
            base: 0,
        }
    }

    /// A builder writing after the checked text `text` already holds, which it keeps.
    pub(crate) fn after(text: String) -> ValueBuilder {
        ValueBuilder {
            base: text.len(),
            out: text,
        }
    }

    /// The text before the value and the value, as one buffer.
    pub(crate) fn into_text(self) -> String {
        self.out
    }

    /// Appends a checked part as is.
    pub fn push(&mut self, part: &impl AsHeaderValue) -> &mut Self {
        self.out.push_str(part.value_str());
        self
    }

    /// Appends `text` as a `quoted-string`: surrounding quotes, `"` and `\` escaped.
    pub fn push_quoted(&mut self, text: &QuotedText) -> &mut Self {
        self.out.push('"');
        text.push_escaped(&mut self.out);
        self.out.push('"');
        self
    }

    /// Appends `n` in decimal.
    pub fn push_decimal(&mut self, n: impl Into<u64>) -> &mut Self {
        // ASCII digits, pushed as characters: no UTF-8 check of text known to be ASCII.
        for &d in Decimal::new(n).as_bytes() {
            self.out.push(char::from(d));
        }
        self
    }

    /// Appends an IP address: dotted quad, or the RFC 5952 text of an IPv6 address
    /// without brackets (the form of Via `received`, RFC 3261 18.2.1).
    pub fn push_ip(&mut self, ip: IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(v4) => {
                // Into a stack buffer, then one append: at most 15 ASCII bytes.
                let mut buf = [0u8; 15];
                let mut n = 0;
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        buf[n] = b'.';
                        n += 1;
                    }
                    if octet >= 100 {
                        buf[n] = b'0' + octet / 100;
                        n += 1;
                    }
                    if octet >= 10 {
                        buf[n] = b'0' + octet / 10 % 10;
                        n += 1;
                    }
                    buf[n] = b'0' + octet % 10;
                    n += 1;
                }
                self.out
                    .push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            }
            IpAddr::V6(v6) => {
                use std::fmt::Write;
                // Writing to a String cannot fail; the text is hex digits and colons.
                let _ = write!(self.out, "{v6}");
            }
        }
        self
    }

    /// Appends `bytes` in unpadded base64url (RFC 4648 section 5): letters, digits,
    /// `-` and `_`, all `token` characters.
    pub fn push_base64url(&mut self, bytes: &[u8]) -> &mut Self {
        use base64::Engine;
        // Through a stack buffer, 48 bytes (64 characters) at a time: the tokens
        // written are a few dozen bytes, where the engine's chunked string writer
        // costs more than the encoding.
        let mut buf = [0u8; 64];
        self.out.reserve(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(48) {
            let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode_slice(chunk, &mut buf)
                .unwrap_or(0);
            self.out.push_str(
                std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default(),
            );
        }
        self
    }

    /// Appends `bytes` in upper-case hex.
    pub fn push_hex(&mut self, bytes: &[u8]) -> &mut Self {
        // Both digits of a byte with one lookup.
        const PAIRS: [[u8; 2]; 256] = {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            let mut t = [[0u8; 2]; 256];
            let mut i = 0;
            while i < 256 {
                t[i] = [HEX[i >> 4], HEX[i & 15]];
                i += 1;
            }
            t
        };
        let mut buf = [[0u8; 2]; 32];
        self.out.reserve(bytes.len() * 2);
        for chunk in bytes.chunks(32) {
            for (pair, &b) in buf.iter_mut().zip(chunk) {
                *pair = PAIRS[usize::from(b)];
            }
            let text = buf
                .as_flattened()
                .get(..chunk.len() * 2)
                .unwrap_or_default();
            self.out
                .push_str(std::str::from_utf8(text).unwrap_or_default());
        }
        self
    }

    /// Empties the builder, keeping its buffer.
    pub fn clear(&mut self) {
        self.out.truncate(self.base);
    }

    /// The value built so far.
    pub fn as_str(&self) -> &str {
        self.out.get(self.base..).unwrap_or_default()
    }

    /// The value built.
    pub fn finish(self) -> HeaderValue {
        if self.base == 0 {
            return HeaderValue {
                text: self.out.into(),
            };
        }
        self.to_value()
    }

    /// The value built so far, copied (the builder stays usable).
    pub fn to_value(&self) -> HeaderValue {
        HeaderValue {
            text: Text::new(self.as_str()),
        }
    }
}

impl fmt::Display for ValueBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::params::unquote;
    use proptest::prelude::*;

    #[test]
    fn inline_base64url_text_is_what_the_builder_writes() {
        let raw: [u8; 36] = std::array::from_fn(|i| (i * 37 + 250) as u8);
        let text = Base64UrlText::<48>::of(&raw);
        let mut v = ValueBuilder::with_capacity(48);
        v.push_base64url(&raw);
        assert_eq!(text.as_str(), v.as_str());
        assert!(
            text.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        let mut w = ValueBuilder::default();
        w.push(&text);
        assert_eq!(w.as_str(), v.as_str());
    }

    const BAD: [&str; 7] = [
        "a\r\nVia: x",
        "a\nb",
        "a\rb",
        "a\0b",
        "a\x7f",
        "\x1b",
        "a\x0bb",
    ];

    fn forbidden(r: Result<impl fmt::Debug, WriteError>) -> (u8, usize) {
        match r {
            Err(WriteError::ForbiddenByte { byte, offset, .. }) => (byte, offset),
            other => panic!("expected a forbidden byte, got {other:?}"),
        }
    }

    #[test]
    fn every_type_refuses_controls_with_their_offset() {
        for bad in BAD {
            let at = bad.bytes().position(is_forbidden).expect("a bad byte");
            let want = (bad.as_bytes()[at], at);
            assert_eq!(forbidden(HeaderValue::try_from(bad)), want, "{bad:?}");
            assert_eq!(forbidden(QuotedText::try_from(bad)), want, "{bad:?}");
            assert_eq!(forbidden(Token::try_from(bad)), want, "{bad:?}");
            assert_eq!(forbidden(HostPort::try_from(bad)), want, "{bad:?}");
            assert_eq!(forbidden(HeaderValue::try_from(bad.to_owned())), want);
        }
        assert_eq!(
            HeaderValue::new("reason phrase", "OK\r\n"),
            Err(WriteError::ForbiddenByte {
                what: "reason phrase",
                byte: b'\r',
                offset: 2
            })
        );
    }

    #[test]
    fn what_each_type_accepts() {
        assert!(HeaderValue::try_from("tab\tis fine, \"quotes\" Ñ").is_ok());
        assert!(HeaderValue::try_from("").is_ok());
        assert!(QuotedText::try_from("a\"b\\c").is_ok());
        assert!(Token::try_from("REGISTER").is_ok());
        for bad in ["", "a b", "a:b", "a\"", "é"] {
            assert_eq!(
                Token::try_from(bad),
                Err(WriteError::Invalid {
                    what: "token",
                    expected: "token"
                }),
                "{bad:?}"
            );
        }
        let h = HostPort::try_from("[2001:db8::1]:5061").expect("v6");
        assert_eq!(h.host(), Host::Ipv6("2001:db8::1".parse().expect("v6")));
        assert_eq!(h.port(), Some(5061));
        let h = HostPort::try_from("192.0.2.1").expect("v4");
        assert_eq!(
            (h.host(), h.port()),
            (Host::Ipv4([192, 0, 2, 1].into()), None)
        );
        for bad in ["", "a b", "a:", "a..b", "a;b", "a:65536", "\"a\""] {
            assert!(HostPort::try_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        let ct = Token::from_static("content-length");
        assert!(ct.name_str().is_err());
        assert!(Token::from_static("l").name_str().is_err());
        assert!(HeaderName::ContentLength.name_str().is_err());
        assert!(HeaderName::Other.name_str().is_err());
        assert_eq!(HeaderName::Via.name_str(), Ok("Via"));
        assert_eq!(Token::from_static("X-A").name_str(), Ok("X-A"));
    }

    #[test]
    fn builder_parts() {
        let mut v = ValueBuilder::with_capacity(8);
        v.push_ip("2001:db8::7".parse().expect("v6"));
        v.push(&HeaderValue::from_static(";"));
        v.push_ip("10.0.0.255".parse().expect("v4"));
        v.push(&HeaderValue::from_static(" "));
        v.push_hex(&[0, 0xab, 0xff]);
        v.push(&HeaderValue::from_static(" "));
        v.push_base64url(&[0xfb, 0xff]);
        v.push_decimal(u64::MAX);
        assert_eq!(
            v.as_str(),
            "2001:db8::7;10.0.0.255 00ABFF -_818446744073709551615"
        );
        assert_eq!(v.to_value().as_str(), v.as_str());
        v.clear();
        assert_eq!(v.finish(), HeaderValue::EMPTY);
    }

    #[test]
    fn conversions_share_the_text() {
        let t = Token::from_static("abc");
        assert_eq!(HeaderValue::from(t.clone()).as_str(), "abc");
        assert_eq!(
            QuotedText::from(t).to_value().map(|v| v.to_string()),
            Some("abc".into())
        );
        assert_eq!(QuotedText::from_static("a\"").to_value(), None);
        let h = HostPort::try_from("h.example").expect("host");
        assert_eq!(h.to_value().as_str(), "h.example");
    }

    proptest! {
        #[test]
        fn quoted_round_trips(s in "[^\\x00-\\x08\\x0a-\\x1f\\x7f]{0,40}") {
            let mut v = ValueBuilder::default();
            v.push_quoted(&QuotedText::try_from(s.as_str()).expect("allowed text"));
            let text = v.finish();
            prop_assert_eq!(
                crate::message::header::lex::scan_quoted(text.as_str().as_bytes(), 0),
                Ok(text.as_str().len())
            );
            prop_assert_eq!(unquote(text.as_str()), s.as_str());
        }

        #[test]
        fn a_value_is_accepted_iff_it_has_no_forbidden_byte(s in "\\PC{0,20}|[\\x00-\\x7f]{0,20}") {
            let clean = !s.bytes().any(is_forbidden);
            prop_assert_eq!(HeaderValue::try_from(s.as_str()).is_ok(), clean);
            prop_assert_eq!(QuotedText::try_from(s.as_str()).is_ok(), clean);
            if let Ok(v) = HeaderValue::try_from(s.as_str()) {
                prop_assert_eq!(v.as_str(), s.as_str());
            }
            prop_assert_eq!(Token::try_from(s.as_str()).is_ok(), crate::message::header::is_token(&s));
        }

        #[test]
        fn hostport_round_trips(a in any::<[u8; 4]>(), port in proptest::option::of(any::<u16>())) {
            let ip = Ipv4Addr::from(a);
            let text = match port { Some(p) => format!("{ip}:{p}"), None => ip.to_string() };
            let h = HostPort::try_from(text.as_str()).expect("hostport");
            prop_assert_eq!(h.host(), Host::Ipv4(ip));
            prop_assert_eq!(h.port(), port);
            let mut v = ValueBuilder::default();
            v.push_ip(IpAddr::V4(ip));
            prop_assert_eq!(v.as_str(), ip.to_string());
        }
    }
}
