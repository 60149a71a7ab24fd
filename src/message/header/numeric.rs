//! Single-value numeric and word headers: Max-Forwards (RFC 3261 section 20.22),
//! Expires (20.19), Content-Length (20.14) and Call-ID (20.8, `callid = word ["@" word]`).
//!
//! Leading zeros are legal (RFC 4475 section 3.1.1.1); a sign, a fraction or a value
//! beyond the field's range is an error, so a caller never frames a body on a guess
//! (RFC 4475 sections 3.1.2.4 and 3.1.2.11).

use super::lex::{class, is, parse_digits, trim};
use crate::message::{ParseError, ParseErrorKind};

/// Parses a decimal `1*DIGIT` value no greater than `max`; `what` names the field in
/// [`ParseErrorKind::NumberOutOfRange`].
pub fn parse_u32(value: &str, what: &'static str, max: u32) -> Result<u32, ParseError> {
    let (base, v) = trim(value);
    match parse_digits(v) {
        Some(Ok(n)) if n <= u64::from(max) => u32::try_from(n)
            .map_err(|_| ParseError::new(ParseErrorKind::NumberOutOfRange(what), base)),
        Some(_) => Err(ParseError::new(
            ParseErrorKind::NumberOutOfRange(what),
            base,
        )),
        None => {
            let bad = v.bytes().position(|c| !c.is_ascii_digit()).unwrap_or(0);
            Err(ParseError::expected("decimal digits", base + bad))
        }
    }
}

/// Max-Forwards: `1*DIGIT` in 0..=255.
pub fn parse_max_forwards(value: &str) -> Result<u8, ParseError> {
    let n = parse_u32(value, "Max-Forwards", 255)?;
    u8::try_from(n)
        .map_err(|_| ParseError::new(ParseErrorKind::NumberOutOfRange("Max-Forwards"), 0))
}

/// Expires: delta-seconds in 0..=2^32-1.
pub fn parse_expires(value: &str) -> Result<u32, ParseError> {
    parse_u32(value, "Expires", u32::MAX)
}

/// Content-Length: `1*DIGIT` fitting in `usize`; anything else (sign, white space
/// inside, overflow) is [`ParseErrorKind::InvalidContentLength`].
pub fn parse_content_length(value: &str) -> Result<usize, ParseError> {
    let (base, v) = trim(value);
    match parse_digits(v) {
        Some(Ok(n)) => usize::try_from(n)
            .map_err(|_| ParseError::new(ParseErrorKind::InvalidContentLength, base)),
        _ => Err(ParseError::new(ParseErrorKind::InvalidContentLength, base)),
    }
}

/// Call-ID: validates `word ["@" word]` and returns it without surrounding white space.
pub fn parse_call_id(value: &str) -> Result<&str, ParseError> {
    let (base, v) = trim(value);
    // One pass for the first two `@` and the first byte that is neither.
    let (mut first_at, mut second_at, mut bad) = (None, None, None);
    for (i, c) in v.bytes().enumerate() {
        if c == b'@' {
            if first_at.is_none() {
                first_at = Some(i);
            } else if second_at.is_none() {
                second_at = Some(i);
            }
        } else if !is(c, class::WORD) {
            bad = Some(i);
            break;
        }
    }
    if v.is_empty() || first_at == Some(0) {
        return Err(ParseError::expected("Call-ID word", base));
    }
    if let Some(i) = bad {
        return Err(ParseError::expected("Call-ID word character", base + i));
    }
    if first_at == Some(v.len() - 1) {
        return Err(ParseError::expected(
            "Call-ID word after '@'",
            base + v.len(),
        ));
    }
    match second_at {
        Some(i) => Err(ParseError::expected("single '@' in Call-ID", base + i)),
        None => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_max_forwards(" 0068"), Ok(68));
        assert_eq!(parse_max_forwards("255"), Ok(255));
        assert_eq!(
            parse_max_forwards("300").map_err(|e| e.kind),
            Err(ParseErrorKind::NumberOutOfRange("Max-Forwards"))
        );
        assert!(parse_max_forwards("").is_err());
        assert!(parse_max_forwards("-1").is_err());
        assert_eq!(parse_expires("3600"), Ok(3600));
        assert_eq!(parse_expires("4294967295"), Ok(u32::MAX));
        assert_eq!(
            parse_expires("10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000").map_err(|e| e.kind),
            Err(ParseErrorKind::NumberOutOfRange("Expires"))
        );
        assert_eq!(parse_content_length(" 150\r\n"), Ok(150));
        for bad in ["-999", "+1", "1 2", "", "0x10", "99999999999999999999999"] {
            assert_eq!(
                parse_content_length(bad).map_err(|e| e.kind),
                Err(ParseErrorKind::InvalidContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_u32("12a", "x", 100),
            Err(ParseError::expected("decimal digits", 2))
        );
    }

    #[test]
    fn call_ids() {
        assert_eq!(
            parse_call_id(" 3mq0v1ccpo3db3lr8v9tqk "),
            Ok("3mq0v1ccpo3db3lr8v9tqk")
        );
        assert_eq!(
            parse_call_id("wsinv.ndaksdj@192.0.2.1"),
            Ok("wsinv.ndaksdj@192.0.2.1")
        );
        assert_eq!(
            parse_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"),
            Ok("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        );
        for bad in ["", "@a", "a@", "a@b@c", "a b", "a;b", "Ñ"] {
            assert!(parse_call_id(bad).is_err(), "{bad:?}");
        }
    }
    /// The two-pass reading of the Call-ID rule, as the reference.
    fn call_id_two_pass(value: &str) -> Result<&str, ParseError> {
        let (base, v) = trim(value);
        let (left, right) = match v.split_once('@') {
            Some((l, r)) => (l, Some(r)),
            None => (v, None),
        };
        if left.is_empty() {
            return Err(ParseError::expected("Call-ID word", base));
        }
        if let Some(i) = v.bytes().position(|c| !is(c, class::WORD) && c != b'@') {
            return Err(ParseError::expected("Call-ID word character", base + i));
        }
        match right {
            Some("") => Err(ParseError::expected(
                "Call-ID word after '@'",
                base + v.len(),
            )),
            Some(r) if r.contains('@') => Err(ParseError::expected(
                "single '@' in Call-ID",
                base + left.len() + 1 + r.find('@').unwrap_or(0),
            )),
            _ => Ok(v),
        }
    }

    proptest::proptest! {
        #[test]
        fn call_id_matches_two_pass(s in "[ \ta@.,;\"Ñ]{0,12}") {
            proptest::prop_assert_eq!(parse_call_id(&s), call_id_two_pass(&s));
        }
    }
}
