//! Building new requests and responses, such as the edge's own replies
//! (RFC 3261 8.2.6: a response copies Via, From, To, Call-ID and CSeq from its request).

use bytes::Bytes;

use super::decimal::Decimal;
use super::error::WriteError;
use super::message::Message;
use super::name::HeaderName;
use super::value::{AsHeaderValue, FieldName, HeaderValue, Token};
use super::write::check_request_uri;

/// Builds a message line by line into one buffer. Names and values are checked types
/// ([`FieldName`], [`AsHeaderValue`]: no CR, LF or NUL), and Content-Length is always
/// written last, matching the body.
///
/// ```
/// use sip_oauth::message::{Builder, HeaderValue, Message, Token};
///
/// let req = Message::parse(&b"REGISTER sip:example.com SIP/2.0\r\n\
///     Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bK1\r\n\
///     From: <sip:bob@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n\
///     Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"[..])?;
/// let reason = HeaderValue::from_static("Unauthorized");
/// let challenge = HeaderValue::try_from("Bearer realm=\"example.com\"")?;
/// let reply = Builder::response_to(&req, 401, &reason, Some(&Token::from_static("edge1")))?
///     .header(Token::from_static("WWW-Authenticate"), &challenge)?
///     .finish();
/// let reply = Message::parse(reply)?;
/// assert_eq!(reply.status(), Some(401));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    out: Vec<u8>,
    body: Vec<u8>,
    /// The body's Content-Type, written at [`Builder::finish`] so a second call to
    /// [`Builder::body`] replaces it instead of adding another field.
    content_type: Option<HeaderValue>,
}

impl Builder {
    /// Starts a request `METHOD uri SIP/2.0`.
    pub fn request(method: &Token, uri: &str) -> Result<Builder, WriteError> {
        check_request_uri(uri)?;
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(uri.as_bytes());
        out.extend_from_slice(b" SIP/2.0\r\n");
        Ok(Builder {
            out,
            body: Vec::new(),
            content_type: None,
        })
    }

    /// Starts a response `SIP/2.0 status reason`.
    pub fn response(status: u16, reason: &HeaderValue) -> Result<Builder, WriteError> {
        if !(100..=699).contains(&status) {
            return Err(WriteError::Invalid {
                what: "status code",
                expected: "100..=699",
            });
        }
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"SIP/2.0 ");
        out.extend_from_slice(Decimal::new(status).as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason.as_str().as_bytes());
        out.extend_from_slice(b"\r\n");
        Ok(Builder {
            out,
            body: Vec::new(),
            content_type: None,
        })
    }

    /// Starts a response to `request`, copying its Via fields (all, in order), From, To,
    /// Call-ID and CSeq (RFC 3261 8.2.6.2). When `to_tag` is given and the To field has
    /// no tag yet, `;tag=<to_tag>` is added to it.
    pub fn response_to(
        request: &Message,
        status: u16,
        reason: &HeaderValue,
        to_tag: Option<&Token>,
    ) -> Result<Builder, WriteError> {
        let mut b = Builder::response(status, reason)?;
        for field in request.headers() {
            let name = match field.name {
                HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq => field.name.canonical().unwrap_or_default(),
                _ => continue,
            };
            let value = request.value_bytes(field);
            // Folded values are rewritten on one line so the copy stays a single line.
            b.out.extend_from_slice(name.as_bytes());
            b.out.extend_from_slice(b": ");
            push_unfolded(&mut b.out, value);
            if field.name == HeaderName::To
                && let Some(tag) = to_tag
                && !has_tag_param(value)
            {
                b.out.extend_from_slice(b";tag=");
                b.out.extend_from_slice(tag.as_str().as_bytes());
            }
            b.out.extend_from_slice(b"\r\n");
        }
        Ok(b)
    }

    /// Adds `Name: value`. Content-Length is refused: [`Builder::finish`] writes it.
    pub fn header(
        mut self,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<Builder, WriteError> {
        self.push(name, value)?;
        Ok(self)
    }

    /// Adds `Name: value` in place (for loops). Content-Length is refused:
    /// [`Builder::finish`] writes it.
    pub fn push(
        &mut self,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let name = name.name_str()?;
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value.value_str().as_bytes());
        self.out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Sets the body and its Content-Type (replacing any set before).
    pub fn body(mut self, content_type: &HeaderValue, body: &[u8]) -> Builder {
        self.content_type = Some(content_type.clone());
        self.body = body.to_vec();
        self
    }

    /// Writes Content-Type (when there is a body type), Content-Length, the empty line
    /// and the body.
    pub fn finish(mut self) -> Bytes {
        if let Some(ct) = &self.content_type {
            self.out.extend_from_slice(b"Content-Type: ");
            self.out.extend_from_slice(ct.as_str().as_bytes());
            self.out.extend_from_slice(b"\r\n");
        }
        self.out.extend_from_slice(b"Content-Length: ");
        self.out
            .extend_from_slice(Decimal::new(self.body.len() as u64).as_bytes());
        self.out.extend_from_slice(b"\r\n\r\n");
        self.out.extend_from_slice(&self.body);
        Bytes::from(self.out)
    }
}

/// Copies a header value, turning each fold (CRLF + whitespace) into one space.
fn push_unfolded(out: &mut Vec<u8>, value: &[u8]) {
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\r' | b'\n' => {
                while i < value.len() && matches!(value[i], b'\r' | b'\n' | b' ' | b'\t') {
                    i += 1;
                }
                out.push(b' ');
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// Whether a To value carries a `tag` header parameter. Header parameters are the
/// `;`-separated items outside the `<...>` of a name-addr and outside quoted-strings
/// (RFC 3261 20.10: in an addr-spec without angle brackets, `;` starts header
/// parameters too). A `;tag=` inside the URI, the display name or a quoted parameter
/// value is not the To tag.
fn has_tag_param(value: &[u8]) -> bool {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut in_angle = false;
    let mut param: Option<usize> = None;
    let is_tag = |p: &[u8]| {
        let name = p.split(|&b| b == b'=').next().unwrap_or_default();
        name.trim_ascii().eq_ignore_ascii_case(b"tag")
    };
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if in_quotes => escaped = true,
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => in_angle = true,
            b'>' if !in_quotes => in_angle = false,
            b';' if !in_quotes && !in_angle => {
                if let Some(start) = param
                    && is_tag(&value[start..i])
                {
                    return true;
                }
                param = Some(i + 1);
            }
            _ => {}
        }
    }
    param.is_some_and(|start| is_tag(&value[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_detection() {
        assert!(has_tag_param(b"<sip:a@b>;tag=1"));
        assert!(has_tag_param(b"sip:a@b;TAG=1"));
        assert!(!has_tag_param(b"<sip:a@b;tag=1>"));
        assert!(!has_tag_param(b"\"x;tag=\" <sip:a@b>"));
        assert!(!has_tag_param(b"<sip:a@b>;tagx=1"));
        assert!(!has_tag_param(b"<sip:a@b>;x=\"a;tag=1\""));
        assert!(has_tag_param(b"<sip:a@b>;tag=1;x=\">\""));
        assert!(has_tag_param(b"\"a>\\\";tag=\" <sip:a@b> ; Tag = 1 ;x"));
        assert!(!has_tag_param(b"\"a>\\\";tag=\" <sip:a@b;tag=2>"));
        assert!(!has_tag_param(b"sip:a@b"));
    }

    #[test]
    fn unfolds() {
        let mut out = Vec::new();
        push_unfolded(&mut out, b"a,\r\n  b");
        assert_eq!(out, b"a, b");
    }

    #[test]
    fn refuses_bad_status_uri_and_content_length() {
        let x = HeaderValue::from_static("x");
        assert!(Builder::response(99, &x).is_err());
        let register = Token::from_static("REGISTER");
        assert!(Builder::request(&register, "sip:a b").is_err());
        assert!(
            Builder::request(&register, "sip:a")
                .and_then(|b| b.header(Token::from_static("Content-Length"), &x))
                .is_err()
        );
        assert!(
            Builder::request(&register, "sip:a")
                .and_then(|b| b.header(HeaderName::ContentLength, &x))
                .is_err()
        );
    }
}
