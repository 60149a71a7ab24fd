//! Character classes and scanners shared by the header parsers: `token`, linear white
//! space and `quoted-string` (RFC 3261 section 25.1).
//!
//! `LWS = [*WSP CRLF] 1*WSP` allows a header value to continue on the next line (line
//! folding); every scanner here treats a fold exactly like a space, so callers can hand
//! over a raw value with its folds still in place.

use crate::message::{ParseError, ParseErrorKind};

/// Character classes of the grammar, as bit flags of [`CLASSES`].
pub(crate) mod class {
    /// `token` (RFC 3261 section 25.1): alphanumerics and `-.!%*_+`'~`.
    pub(crate) const TOKEN: u16 = 1;
    /// `unreserved` (RFC 3261 section 25.1).
    pub(crate) const UNRESERVED: u16 = 1 << 1;
    /// `paramchar` of URI parameters, escapes excluded.
    pub(crate) const PARAMCHAR: u16 = 1 << 2;
    /// `hnv-unreserved / unreserved` of URI headers.
    pub(crate) const HCHAR: u16 = 1 << 3;
    /// Unquoted `gen-value`: `token` or `host` (IPv6 references need `[]:`).
    pub(crate) const GEN_VALUE: u16 = 1 << 4;
    /// Unquoted auth-param value. RFC 3261 allows a `token`; nonces, URIs and base64
    /// data often arrive unquoted, so any visible ASCII except the list and quoting
    /// delimiters is accepted.
    pub(crate) const AUTH_VALUE: u16 = 1 << 5;
    /// `user` of a SIP URI, escapes excluded.
    pub(crate) const USER: u16 = 1 << 6;
    /// `password` of a SIP URI, escapes excluded.
    pub(crate) const PASSWORD: u16 = 1 << 7;
    /// `hostname` characters; `_` is outside RFC 3261 but common in deployed names.
    pub(crate) const HOST: u16 = 1 << 8;
    /// `b64token` of RFC 6750 section 2.1, before the `=` padding.
    pub(crate) const B64: u16 = 1 << 9;
    /// `word` of RFC 3261 section 25.1 (Call-ID).
    pub(crate) const WORD: u16 = 1 << 10;
}

const fn classes_of(c: u8) -> u16 {
    let alnum = c.is_ascii_alphanumeric();
    let token = alnum
        || matches!(
            c,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        );
    let unreserved = alnum
        || matches!(
            c,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        );
    let mut m = 0;
    if token {
        m |= class::TOKEN | class::GEN_VALUE | class::WORD;
    }
    if unreserved {
        m |= class::UNRESERVED | class::PARAMCHAR | class::HCHAR | class::USER | class::PASSWORD;
    }
    if matches!(c, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$') {
        m |= class::PARAMCHAR;
    }
    if matches!(c, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$') {
        m |= class::HCHAR;
    }
    if matches!(c, b'[' | b']' | b':') {
        m |= class::GEN_VALUE;
    }
    if c > 0x20 && c < 0x7f && c != b',' && c != b'"' && c != b'\\' {
        m |= class::AUTH_VALUE;
    }
    if matches!(c, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/') {
        m |= class::USER;
    }
    if matches!(c, b'&' | b'=' | b'+' | b'$' | b',') {
        m |= class::PASSWORD;
    }
    if alnum || matches!(c, b'-' | b'.' | b'_') {
        m |= class::HOST;
    }
    if alnum || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
        m |= class::B64;
    }
    if matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b':' | b'\\' | b'"' | b'/' | b'[' | b']' | b'?' | b'{' | b'}'
    ) {
        m |= class::WORD;
    }
    m
}

/// One lookup per byte instead of a chain of comparisons: the scanners run over every
/// byte of every header value.
static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = classes_of(i as u8);
        i += 1;
    }
    t
};

/// `true` when byte `c` belongs to any of the classes in `mask` (see [`class`]).
#[inline]
pub(crate) const fn is(c: u8, mask: u16) -> bool {
    CLASSES[c as usize] & mask != 0
}

/// `token` characters (RFC 3261 section 25.1).
#[inline]
pub(crate) const fn is_token_byte(c: u8) -> bool {
    is(c, class::TOKEN)
}

/// Index of the first byte at or after `i` outside the classes of `mask`.
#[inline]
pub(crate) fn skip_class(b: &[u8], i: usize, mask: u16) -> usize {
    match b.get(i..) {
        Some(rest) => {
            i + rest
                .iter()
                .position(|&c| !is(c, mask))
                .unwrap_or(rest.len())
        }
        None => i,
    }
}

/// [`skip_class`] for a class also given as arithmetic (`in_class`, which must agree
/// with `mask`): whole blocks of `BLOCK` bytes are tested without an early exit, so the
/// test compiles to vector instructions; the rest goes byte by byte.
#[inline(always)]
pub(crate) fn skip_blocks<const BLOCK: usize>(
    b: &[u8],
    i: usize,
    in_class: impl Fn(u8) -> bool,
    mask: u16,
) -> usize {
    let mut j = i;
    while let Some(block) = b.get(j..j + BLOCK) {
        if !block.iter().fold(true, |ok, &c| ok & in_class(c)) {
            break;
        }
        j += BLOCK;
    }
    skip_class(b, j, mask)
}

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
#[inline]
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
#[inline]
pub(crate) fn skip_token(b: &[u8], i: usize) -> usize {
    skip_class(b, i, class::TOKEN)
}

/// `s` without leading and trailing white space (folds and stray line ends included),
/// with the offset of the kept part within `s`.
pub(crate) fn trim(s: &str) -> (usize, &str) {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let start = s.trim_start_matches(ws);
    (s.len() - start.len(), start.trim_end_matches(ws))
}

/// The part of `to` at the place `part` has in `from`: for a value parsed from one text
/// and taken over for an equal text. `to` is as long as `from`, so a `part` outside
/// `from` falls outside `to` too and gives the empty string.
pub(crate) fn rebase<'b>(part: &str, from: &str, to: &'b str) -> &'b str {
    let start = (part.as_ptr() as usize).wrapping_sub(from.as_ptr() as usize);
    to.get(start..start.wrapping_add(part.len()))
        .unwrap_or_default()
}

/// `s[a..e]`, or the empty string if the bounds are not character boundaries. Callers
/// only cut at ASCII delimiters, so the fallback is never taken; it keeps the parsers
/// total without a panicking slice.
#[inline]
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
    // Position of the next `"` or `\` at or after `j`, found with memchr and kept until
    // passed, so plain text is skipped in bulk and each byte is searched only once.
    let mut special = 0;
    loop {
        if special < j {
            special = b
                .get(j..)
                .and_then(|r| memchr::memchr2(b'"', b'\\', r))
                .map_or(b.len(), |k| j + k);
        }
        let span = b.get(j..special).unwrap_or_default();
        j += first_ctl(span).unwrap_or(span.len());
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

/// A control character other than HTAB (C0 or DEL): never allowed raw in a value.
#[inline]
pub(crate) const fn is_ctl(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

/// Index of the first [`is_ctl`] byte in `s`. Blocks without one are passed over by a
/// test without early exit, which the compiler turns into vector instructions.
pub(crate) fn first_ctl(s: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    let mut j = 0;
    while let Some(block) = s.get(j..j + BLOCK) {
        if block.iter().fold(false, |any, &c| any | is_ctl(c)) {
            break;
        }
        j += BLOCK;
    }
    s.get(j..)?.iter().position(|&c| is_ctl(c)).map(|k| j + k)
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
    fn control_search() {
        let mut v = vec![b'a'; 100];
        assert_eq!(first_ctl(&v), None);
        v[70] = 0x7f;
        assert_eq!(first_ctl(&v), Some(70));
        v[3] = b'\n';
        assert_eq!(first_ctl(&v), Some(3));
        assert_eq!(first_ctl(b"\t\t"), None);
        assert_eq!(first_ctl(b""), None);
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
