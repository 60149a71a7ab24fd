//! The JOSE header of a compact JWS (RFC 7515 section 4.1), read before any key is touched.
//!
//! Only `alg`, `kid`, `typ` and `crit` matter here. `alg: none` (RFC 7515 Appendix A.5) is
//! refused outright (RFC 8725 section 3.1). `crit` lists extensions the recipient must
//! understand (RFC 7515 section 4.1.11); none are, so its presence refuses the token. `jku`,
//! `x5u` and embedded `jwk` are ignored: keys come from configuration only (RFC 8725
//! section 3.10 warns against fetching keys a token points to).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use super::algorithms;
use crate::validate::ValidationError;

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(default, borrow)]
    kid: Option<Text<'a>>,
    #[serde(default, borrow)]
    typ: Option<Text<'a>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A header string, borrowed from the decoded header unless it held JSON escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }
}

/// What the validator uses from the header.
pub(crate) struct JwsHeader<'a> {
    pub(crate) alg: jsonwebtoken::Algorithm,
    pub(crate) kid: Option<Cow<'a, str>>,
    /// Whether `typ` says RFC 9068 access token.
    pub(crate) at_jwt: bool,
}

/// Parses the decoded header JSON.
pub(crate) fn parse(json: &[u8]) -> Result<JwsHeader<'_>, ValidationError> {
    let json = std::str::from_utf8(json).map_err(|_| ValidationError::Malformed)?;
    let raw: RawHeader = serde_json::from_str(json).map_err(|_| ValidationError::Malformed)?;
    if raw.crit.is_some() {
        return Err(ValidationError::CriticalHeader);
    }
    let alg = match algorithms::parse(&raw.alg.0) {
        Some(alg) => alg,
        None if raw.alg.0.eq_ignore_ascii_case("none") => return Err(ValidationError::Unsecured),
        None => return Err(ValidationError::AlgorithmNotAllowed),
    };
    let at_jwt = match raw.typ.as_ref().map(|t| &*t.0) {
        None => false,
        Some(typ) => match typ_kind(typ) {
            Some(at_jwt) => at_jwt,
            None => return Err(ValidationError::WrongType),
        },
    };
    Ok(JwsHeader {
        alg,
        kid: raw.kid.map(|k| k.0),
        at_jwt,
    })
}

/// `Some(true)` for an RFC 9068 access token type, `Some(false)` for plain `JWT`, `None` for
/// anything else. Media types compare case-insensitively and may omit `application/`
/// (RFC 7515 section 4.1.9).
fn typ_kind(typ: &str) -> Option<bool> {
    let short = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..)?,
        _ => typ,
    };
    if short.eq_ignore_ascii_case("at+jwt") {
        Some(true)
    } else if short.eq_ignore_ascii_case("jwt") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_alg_kid_typ() {
        let h = parse(br#"{"alg":"RS256","kid":"k1","typ":"at+jwt"}"#).unwrap();
        assert_eq!(h.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert!(h.at_jwt);
        assert!(
            parse(br#"{"alg":"HS256","typ":"application/AT+JWT"}"#)
                .unwrap()
                .at_jwt
        );
        assert!(!parse(br#"{"alg":"HS256","typ":"JWT"}"#).unwrap().at_jwt);
    }

    #[test]
    fn refuses_none_crit_unknown_and_duplicates() {
        assert!(matches!(
            parse(br#"{"alg":"none"}"#),
            Err(ValidationError::Unsecured)
        ));
        assert!(matches!(
            parse(br#"{"alg":"HS1"}"#),
            Err(ValidationError::AlgorithmNotAllowed)
        ));
        assert!(matches!(
            parse(br#"{"alg":"HS256","crit":["b64"],"b64":false}"#),
            Err(ValidationError::CriticalHeader)
        ));
        assert!(matches!(
            parse(br#"{"alg":"HS256","typ":"dpop+jwt"}"#),
            Err(ValidationError::WrongType)
        ));
        assert!(matches!(
            parse(br#"{"alg":"HS256","alg":"none"}"#),
            Err(ValidationError::Malformed)
        ));
        assert!(matches!(parse(b"[]"), Err(ValidationError::Malformed)));
    }
}
