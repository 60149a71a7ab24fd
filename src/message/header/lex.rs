//! Character classes and scanners shared by the header parsers: `token`, linear white
//! space and `quoted-string` (RFC 3261 section 25.1).
//!
//! `LWS = [*WSP CRLF] 1*WSP` allows a header value to continue on the next line (line
//! folding); every scanner here treats a fold exactly like a space, so callers can hand
//! over a raw value with its folds still in place.

use crate::message::{ParseError, ParseErrorKind};

/// `token` characters (RFC 3261 section 25.1): alphanumerics and `-.!%*_+`'~`.
#[inline]
pub(crate) const fn is_token_byte(b: u8) -> bool {
    TOKEN[b as usize]
}

/// The `token` class as a table: every header parser scans tokens byte by byte, and one
/// load per byte is cheaper than the chain of comparisons.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

/// `true` when `s` is a non-empty RFC 3261 `token`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// `true` for the bytes that may make up (part of) LWS.
pub(crate) const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Index of the first byte at or after `i` that is not part of LWS (SP, HTAB, or a line
/// break followed by SP/HTAB). A line break not followed by white space is not a fold
/// and stops the scan.
pub(crate) fn skip_lws(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t') => i += 1,
            Some(b'\r')
                if b.get(i + 1) == Some(&b'\n') && matches!(b.get(i + 2), Some(b' ' | b'\t')) =>
            {
                i += 3
            }
            Some(b'\n') if matches!(b.get(i + 1), Some(b' ' | b'\t')) => i += 2,
            _ => return i,
        }
    }
}

/// Index of the first byte at or after `i` that is not a token character.
pub(crate) fn skip_token(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_token_byte(c)) {
        i += 1;
    }
    i
}

/// `s` without leading and trailing white space (folds and stray line ends included),
/// with the offset of the kept part within `s`.
pub(crate) fn trim(s: &str) -> (usize, &str) {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let start = s.trim_start_matches(ws);
    (s.len() - start.len(), start.trim_end_matches(ws))
}

/// `s[a..e]`, or the empty string if the bounds are not character boundaries. Callers
/// only cut at ASCII delimiters, so the fallback is never taken; it keeps the parsers
/// total without a panicking slice.
pub(crate) fn sub(s: &str, a: usize, e: usize) -> &str {
    s.get(a..e).unwrap_or("")
}

/// Scans a `quoted-string` whose opening `"` is at `i`; returns the index just past the
/// closing quote.
///
/// `qdtext` may hold LWS and any UTF-8 text but no raw control character; a
/// `quoted-pair` (`\` and one ASCII byte other than CR/LF) may escape anything,
/// controls included (RFC 4475 section 3.1.1.3 relies on `\` before NUL, BEL and DEL).
pub(crate) fn scan_quoted(b: &[u8], i: usize) -> Result<usize, ParseError> {
    let mut j = i + 1;
    loop {
        match b.get(j) {
            None => return Err(ParseError::expected("closing quote", j)),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                Some(&c) if c < 0x80 && c != b'\r' && c != b'\n' => j += 2,
                _ => return Err(ParseError::expected("quoted-pair", j)),
            },
            Some(&c @ (b'\r' | b'\n')) => {
                let k = skip_lws(b, j);
                if k == j {
                    return Err(ParseError::new(ParseErrorKind::ForbiddenByte(c), j));
                }
                j = k;
            }
            Some(&c) if (c < 0x20 && c != b'\t') || c == 0x7f => {
                return Err(ParseError::new(ParseErrorKind::ForbiddenByte(c), j));
            }
            Some(_) => j += 1,
        }
    }
}

/// Value of an ASCII hex digit.
pub(crate) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `1*DIGIT` as a `u64`, refusing overflow; `None` when `s` is empty or holds a
/// non-digit.
pub(crate) fn parse_digits(s: &str) -> Option<Result<u64, ()>> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.bytes() {
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
        {
            Some(n) => n,
            None => return Some(Err(())),
        };
    }
    Some(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lws_skips_folds_but_not_bare_line_ends() {
        assert_eq!(skip_lws(b"  \t x", 0), 4);
        assert_eq!(skip_lws(b" \r\n  x", 0), 5);
        assert_eq!(skip_lws(b" \r\nx", 0), 1);
        assert_eq!(skip_lws(b"\n\tx", 0), 2);
        assert_eq!(skip_lws(b"", 0), 0);
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(scan_quoted(br#""abc" x"#, 0), Ok(5));
        assert_eq!(scan_quoted(br#""a\"b""#, 0), Ok(6));
        assert_eq!(scan_quoted(b"\"BEL:\\\x07 NUL:\\\x00\"", 0), Ok(15));
        assert_eq!(scan_quoted(b"\"a\r\n b\"", 0), Ok(7));
        assert!(scan_quoted(b"\"abc", 0).is_err());
        assert!(scan_quoted(b"\"a\r\nb\"", 0).is_err());
        assert!(scan_quoted(b"\"a\x00b\"", 0).is_err());
        assert!(scan_quoted(b"\"a\\", 0).is_err());
        assert_eq!(scan_quoted("\"Ñé\"".as_bytes(), 0), Ok(6));
    }

    #[test]
    fn tokens_and_trim() {
        assert!(is_token("z9hG4bK-.!%*_+`'~"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert_eq!(trim(" \r\n ab \r\n"), (4, "ab"));
        assert_eq!(trim("   "), (3, ""));
        assert_eq!(parse_digits("0009"), Some(Ok(9)));
        assert_eq!(parse_digits("99999999999999999999999"), Some(Err(())));
        assert_eq!(parse_digits("1a"), None);
    }
}
