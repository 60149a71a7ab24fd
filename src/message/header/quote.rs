//! Writer-side checks and quoting: what may be put on the wire as a `token`, a
//! `quoted-string` or a header value (RFC 3261 sections 7.3.1 and 25.1).
//!
//! A value that could end the header line (CR, LF) or truncate it in C-based peers
//! (NUL) is refused rather than escaped: RFC 3261 `quoted-pair` cannot carry CR or LF,
//! and accepting them would let a caller inject header fields.

use super::lex::is_token_byte;
use crate::message::WriteError;

pub use super::lex::is_token;

/// Appends `s` as a `quoted-string`: surrounding quotes, with `"` and `\` escaped.
///
/// Refuses CR, LF, NUL, DEL and the other C0 controls except HTAB; on error `out` is
/// left unchanged.
pub fn push_quoted(out: &mut Vec<u8>, what: &'static str, s: &str) -> Result<(), WriteError> {
    check_header_value(what, s)?;
    out.reserve(s.len() + 2);
    out.push(b'"');
    if memchr::memchr2(b'"', b'\\', s.as_bytes()).is_none() {
        out.extend_from_slice(s.as_bytes());
    } else {
        for c in s.bytes() {
            if c == b'"' || c == b'\\' {
                out.push(b'\\');
            }
            out.push(c);
        }
    }
    out.push(b'"');
    Ok(())
}

/// Appends the inside of a `quoted-string` for `s` (no surrounding quotes) to a
/// `String`, with the checks and escapes of [`push_quoted`]. Writing into a `String`
/// spares the writer of a whole header value a final UTF-8 pass over its bytes.
pub(crate) fn push_escaped_str(
    out: &mut String,
    what: &'static str,
    s: &str,
) -> Result<(), WriteError> {
    check_header_value(what, s)?;
    if memchr::memchr2(b'"', b'\\', s.as_bytes()).is_none() {
        out.push_str(s);
    } else {
        out.reserve(s.len() + 2);
        for c in s.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    Ok(())
}

/// Checks that `s` is a non-empty `token`.
pub fn check_token(what: &'static str, s: &str) -> Result<(), WriteError> {
    if let Some((offset, byte)) = s.bytes().enumerate().find(|&(_, c)| is_forbidden(c)) {
        return Err(WriteError::ForbiddenByte { what, byte, offset });
    }
    if s.is_empty() || !s.bytes().all(is_token_byte) {
        return Err(WriteError::Invalid {
            what,
            expected: "token",
        });
    }
    Ok(())
}

/// Checks that `s` may be written as a header value: no CR, LF or NUL (which would end
/// the field or the message early), and no other control byte but HTAB.
pub fn check_header_value(what: &'static str, s: &str) -> Result<(), WriteError> {
    // A branch-free pass first (it vectorises); the position only when something is wrong.
    if !s.bytes().fold(false, |bad, c| bad | is_forbidden(c)) {
        return Ok(());
    }
    match s.bytes().enumerate().find(|&(_, c)| is_forbidden(c)) {
        Some((offset, byte)) => Err(WriteError::ForbiddenByte { what, byte, offset }),
        None => Ok(()),
    }
}

const fn is_forbidden(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::params::unquote;
    use proptest::prelude::*;

    #[test]
    fn quoting() {
        let mut out = Vec::new();
        push_quoted(&mut out, "realm", "a\"b\\c\td").expect("ok");
        assert_eq!(out, b"\"a\\\"b\\\\c\td\"");
        let err = push_quoted(&mut out, "realm", "x\r\nVia: evil");
        assert_eq!(
            err,
            Err(WriteError::ForbiddenByte {
                what: "realm",
                byte: b'\r',
                offset: 1
            })
        );
        assert!(push_quoted(&mut out, "x", "\x00").is_err());
        assert!(push_quoted(&mut out, "x", "\x7f").is_err());
        assert!(push_quoted(&mut out, "x", "\x1b").is_err());
        assert_eq!(out.len(), 11);
    }

    #[test]
    fn tokens_and_values() {
        assert!(check_token("m", "REGISTER").is_ok());
        assert!(check_token("m", "").is_err());
        assert!(check_token("m", "a b").is_err());
        assert!(matches!(
            check_token("m", "a\nb"),
            Err(WriteError::ForbiddenByte { byte: b'\n', .. })
        ));
        assert!(check_header_value("v", "anything \"goes\" Ñ").is_ok());
        assert!(check_header_value("v", "a\0").is_err());
        assert!(check_header_value("v", "a\rb").is_err());
        assert!(is_token("z9hG4bK"));
    }

    proptest! {
        #[test]
        fn quoted_round_trips(s in "[^\\x00-\\x08\\x0a-\\x1f\\x7f]{0,40}") {
            let mut out = Vec::new();
            push_quoted(&mut out, "p", &s).expect("allowed text");
            let text = String::from_utf8(out).expect("utf8");
            prop_assert_eq!(
                crate::message::header::lex::scan_quoted(text.as_bytes(), 0),
                Ok(text.len())
            );
            prop_assert_eq!(unquote(&text), s.as_str());
        }
    }
}
