//! The `host` and `hostport` of SIP URIs and Via sent-by (RFC 3261 section 25.1):
//! a domain name, an IPv4 address or a bracketed IPv6 reference (RFC 5954).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::lex::{class, parse_digits, skip_blocks, sub};
use crate::message::{ParseError, ParseErrorKind};

/// A host as written in a URI or Via header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name, as written (compare case-insensitively). WebSocket clients use
    /// random `.invalid` names here (RFC 7118 section 5).
    Domain(&'a str),
    /// A dotted-quad IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference, written `[...]` on the wire.
    Ipv6(Ipv6Addr),
}

impl Host<'_> {
    /// The domain name, if this host is one.
    pub fn domain(&self) -> Option<&str> {
        match self {
            Host::Domain(d) => Some(d),
            _ => None,
        }
    }

    /// `true` when `self` names the same host as `other` (domains compare
    /// case-insensitively, RFC 3261 section 19.1.4).
    pub fn matches(&self, other: &Host<'_>) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
            (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Host<'_> {
    /// Writes the host in wire form (IPv6 inside brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Host characters (`alphanum`, `-`, `.`, `_`), by arithmetic rather than table lookup
/// so that the check of a whole block compiles to vector instructions.
#[inline]
const fn is_host_byte(c: u8) -> bool {
    (c | 0x20).wrapping_sub(b'a') <= b'z' - b'a'
        || c.wrapping_sub(b'0') <= b'9' - b'0'
        || c.wrapping_sub(b'-') <= b'.' - b'-'
        || c == b'_'
}

/// Index of the first byte at or after `i` that is not a host character (a domain
/// name is a few dozen bytes: blocks of 16).
fn skip_host(b: &[u8], i: usize) -> usize {
    skip_blocks::<16>(b, i, is_host_byte, class::HOST)
}

/// Parses the host starting at `i` in `s`; returns it and the index just past it.
pub(crate) fn parse_host_at(s: &str, i: usize) -> Result<(Host<'_>, usize), ParseError> {
    let b = s.as_bytes();
    if b.get(i) == Some(&b'[') {
        let close = b
            .get(i..)
            .and_then(|r| memchr::memchr(b']', r))
            .map(|k| i + k)
            .ok_or_else(|| ParseError::expected("']' closing an IPv6 reference", b.len()))?;
        // The IPv6 grammar never exceeds 45 characters; bound the work on junk.
        let inner = sub(s, i + 1, close);
        if inner.len() > 45 {
            return Err(ParseError::expected("IPv6 address", i + 1));
        }
        let addr: Ipv6Addr = inner
            .parse()
            .map_err(|_| ParseError::expected("IPv6 address", i + 1))?;
        return Ok((Host::Ipv6(addr), close + 1));
    }
    let e = skip_host(b, i);
    let text = sub(s, i, e);
    // Two dots in a row, tested without a branch per byte (it vectorises).
    let t = text.as_bytes();
    let empty_label = text.starts_with('.')
        || t.iter()
            .zip(t.get(1..).unwrap_or_default())
            .fold(false, |acc, (&x, &y)| acc | ((x == b'.') & (y == b'.')));
    if text.is_empty() || text.starts_with('-') || empty_label {
        return Err(ParseError::expected("host", i));
    }
    if text.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        // Looks like IPv4address: must be one, not a domain of digits.
        return match text.parse::<Ipv4Addr>() {
            Ok(a) => Ok((Host::Ipv4(a), e)),
            Err(_) => Err(ParseError::expected("IPv4 address", i)),
        };
    }
    Ok((Host::Domain(text), e))
}

/// Parses a `port` (`1*DIGIT`) as a `u16`.
pub(crate) fn parse_port(digits: &str, offset: usize) -> Result<u16, ParseError> {
    match parse_digits(digits) {
        Some(Ok(n)) => u16::try_from(n)
            .map_err(|_| ParseError::new(ParseErrorKind::NumberOutOfRange("port"), offset)),
        Some(Err(())) => Err(ParseError::new(
            ParseErrorKind::NumberOutOfRange("port"),
            offset,
        )),
        None => Err(ParseError::expected("port", offset)),
    }
}

/// Parses a whole `host [":" port]` string.
pub fn parse_hostport(s: &str) -> Result<(Host<'_>, Option<u16>), ParseError> {
    let (h, e) = parse_host_at(s, 0)?;
    let rest = sub(s, e, s.len());
    if rest.is_empty() {
        return Ok((h, None));
    }
    match rest.strip_prefix(':') {
        Some(p) => Ok((h, Some(parse_port(p, e + 1)?))),
        None => Err(ParseError::new(ParseErrorKind::Trailing("host"), e)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_block_test_agrees_with_the_class_table() {
        for c in 0..=255u8 {
            assert_eq!(
                super::is_host_byte(c),
                super::super::lex::is(c, super::class::HOST),
                "{c:#04x}"
            );
        }
    }

    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            parse_hostport("[2001:db8::10]:5070"),
            Ok((Host::Ipv6("2001:db8::10".parse().expect("v6")), Some(5070)))
        );
        assert_eq!(
            parse_hostport("192.0.2.1"),
            Ok((Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)), None))
        );
        assert_eq!(
            parse_hostport("8h2kqv9r1c4p.invalid:0"),
            Ok((Host::Domain("8h2kqv9r1c4p.invalid"), Some(0)))
        );
        for bad in [
            "",
            "[::1",
            "[zz]",
            "1.2.3",
            "256.1.1.1",
            "a..b",
            "abcdefghijklmnopqrstuvwxyz.abc..d",
            "a..",
            ".a",
            "a:",
            "a:65536",
            "a:x",
            "a b",
        ] {
            assert!(parse_hostport(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_hostport("a:99999999999999999999999").map_err(|e| e.kind),
            Err(ParseErrorKind::NumberOutOfRange("port"))
        );
        assert!(Host::Domain("A.example").matches(&Host::Domain("a.EXAMPLE")));
        assert_eq!(Host::Ipv6(Ipv6Addr::LOCALHOST).to_string(), "[::1]");
    }
}
