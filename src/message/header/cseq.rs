//! The CSeq header (RFC 3261 section 20.16): `1*DIGIT LWS Method`, the sequence number
//! below 2^31 (section 8.1.1.5; RFC 4475 section 3.1.2.10) and leading zeros allowed.

use super::lex::{parse_digits, skip_lws, skip_token, sub, trim};
use crate::message::{ParseError, ParseErrorKind};

/// A parsed CSeq value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CSeq<'a> {
    /// The sequence number, at most 2^31-1.
    pub seq: u32,
    /// The method token, case-sensitive (RFC 3261 section 7.1).
    pub method: &'a str,
}

/// The largest sequence number RFC 3261 section 8.1.1.5 allows.
pub const MAX_CSEQ: u32 = (1 << 31) - 1;

impl<'a> CSeq<'a> {
    /// Parses a CSeq header value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        let b = v.as_bytes();
        let d = b
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(b.len());
        let seq = match parse_digits(sub(v, 0, d)) {
            Some(Ok(n)) if n <= u64::from(MAX_CSEQ) => u32::try_from(n).unwrap_or(MAX_CSEQ),
            Some(_) => {
                return Err(ParseError::new(
                    ParseErrorKind::NumberOutOfRange("CSeq"),
                    base,
                ));
            }
            None => return Err(ParseError::expected("CSeq number", base)),
        };
        let m0 = skip_lws(b, d);
        if m0 == d {
            return Err(ParseError::expected(
                "white space before CSeq method",
                base + d,
            ));
        }
        let m1 = skip_token(b, m0);
        if m1 == m0 {
            return Err(ParseError::expected("CSeq method", base + m0));
        }
        if m1 != b.len() {
            return Err(ParseError::new(ParseErrorKind::Trailing("CSeq"), base + m1));
        }
        Ok(Self {
            seq,
            method: sub(v, m0, m1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            CSeq::parse("1 REGISTER"),
            Ok(CSeq {
                seq: 1,
                method: "REGISTER"
            })
        );
        assert_eq!(
            CSeq::parse(" 0009\r\n  INVITE"),
            Ok(CSeq {
                seq: 9,
                method: "INVITE"
            })
        );
        assert_eq!(
            CSeq::parse("139122385 !interesting-Method0123456789_*+`.%indeed'~").map(|c| c.seq),
            Ok(139_122_385)
        );
        assert_eq!(CSeq::parse("2147483647 A").map(|c| c.seq), Ok(MAX_CSEQ));
        assert_eq!(
            CSeq::parse("2147483648 A").map_err(|e| e.kind),
            Err(ParseErrorKind::NumberOutOfRange("CSeq"))
        );
        assert_eq!(
            CSeq::parse("36893488147419103232 REGISTER").map_err(|e| e.kind),
            Err(ParseErrorKind::NumberOutOfRange("CSeq"))
        );
        for bad in [
            "",
            "1",
            "1 ",
            "REGISTER",
            "1REGISTER",
            "-1 A",
            "1 A B",
            "1 A;",
            "1 RE GISTER",
        ] {
            assert!(CSeq::parse(bad).is_err(), "{bad:?}");
        }
    }
}
