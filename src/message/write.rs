//! Checks applied to everything written into a message, so no value can end a header
//! line early or smuggle in a new one.

use super::error::WriteError;
use super::header::check_header_value;
use super::name::HeaderName;
use super::parse::is_token_byte;

/// Checks that `name` is a header field name (an RFC 3261 token).
pub fn check_header_name(name: &str) -> Result<(), WriteError> {
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(WriteError::Invalid {
            what: "header name",
            expected: "token",
        });
    }
    Ok(())
}

pub(crate) fn check_text(what: &'static str, text: &[u8]) -> Result<(), WriteError> {
    match text
        .iter()
        .position(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
    {
        Some(offset) => Err(WriteError::ForbiddenByte {
            what,
            byte: text[offset],
            offset,
        }),
        None => Ok(()),
    }
}

/// Checks that `uri` can be written as a Request-URI: no whitespace or control bytes.
pub fn check_request_uri(uri: &str) -> Result<(), WriteError> {
    if let Some(offset) = uri.bytes().position(|b| b <= b' ' || b == 0x7f) {
        return Err(WriteError::ForbiddenByte {
            what: "Request-URI",
            byte: uri.as_bytes()[offset],
            offset,
        });
    }
    if !uri.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) || !uri.contains(':') {
        return Err(WriteError::Invalid {
            what: "Request-URI",
            expected: "absolute URI",
        });
    }
    Ok(())
}

/// Refuses `Content-Length` (and its compact form `l`) as the name of a written field.
/// Builders and editors write Content-Length themselves, from the body; a field added
/// by a caller would be a second, possibly different value, which parsers may resolve
/// differently and so frame the body differently.
pub(crate) fn check_not_content_length(name: &str) -> Result<(), WriteError> {
    if HeaderName::from_bytes(name.as_bytes()) == HeaderName::ContentLength {
        return Err(WriteError::Invalid {
            what: "header name",
            expected: "a name other than Content-Length (it is written from the body)",
        });
    }
    Ok(())
}

/// Appends `Name: value CRLF` to `out` after checking both parts.
pub fn push_header(out: &mut Vec<u8>, name: &str, value: &str) -> Result<(), WriteError> {
    check_header_name(name)?;
    check_header_value("header value", value)?;
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_line_breaks_and_nul() {
        for bad in ["a\r\nVia: x", "a\nb", "a\rb", "a\0b", "a\x7f"] {
            assert!(check_header_value("v", bad).is_err(), "{bad:?}");
        }
        assert!(check_header_value("v", "tab\tis fine").is_ok());
        assert!(check_header_name("X-Ok").is_ok());
        assert!(check_header_name("Bad Name").is_err());
        assert!(check_header_name("").is_err());
        assert!(check_request_uri("sip:a@b").is_ok());
        assert!(check_request_uri("sip:a@b SIP/2.0").is_err());
        assert!(check_request_uri("<sip:a@b>").is_err());
    }
}
