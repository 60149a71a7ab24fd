//! Content-Type and Accept media types (RFC 3261 sections 20.1 and 20.15,
//! `media-type = m-type SLASH m-subtype *(SEMI m-parameter)`).

use super::lex::{skip_lws, skip_token, sub, trim};
use super::params::{Param, Params, Style};
use crate::message::ParseError;

/// A media type with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// The type (`application`), case-insensitive.
    pub type_: &'a str,
    /// The subtype (`sdp`), case-insensitive.
    pub subtype: &'a str,
    params: Params<'a>,
}

impl<'a> ContentType<'a> {
    /// Parses one media type (Accept lists: see [`ContentType::parse_list`]).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        let b = v.as_bytes();
        let t1 = skip_token(b, 0);
        if t1 == 0 {
            return Err(ParseError::expected("media type", base));
        }
        let s = skip_lws(b, t1);
        if b.get(s) != Some(&b'/') {
            return Err(ParseError::expected("'/' in media type", base + s));
        }
        let s0 = skip_lws(b, s + 1);
        let s1 = skip_token(b, s0);
        if s1 == s0 {
            return Err(ParseError::expected("media subtype", base + s0));
        }
        let params = Params::parse(sub(v, s1, v.len()), base + s1, Style::Header)?;
        Ok(Self {
            type_: sub(v, 0, t1),
            subtype: sub(v, s0, s1),
            params,
        })
    }

    /// Parses every media type of a comma-separated Accept value, with offsets.
    pub fn parse_list(
        value: &'a str,
    ) -> impl Iterator<Item = Result<(usize, Self), ParseError>> + 'a {
        super::list::parse_list(value, Self::parse)
    }

    /// `true` for `type_/subtype`, ignoring case.
    pub fn is(&self, type_: &str, subtype: &str) -> bool {
        self.type_.eq_ignore_ascii_case(type_) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// The parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }

    /// The first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'a>> {
        self.params.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let c = ContentType::parse(" application/sdp").expect("valid");
        assert!(c.is("Application", "SDP"));
        let m =
            ContentType::parse("multipart/mixed ; boundary=\"unique-boundary-1\" ;charset=utf-8")
                .expect("valid");
        assert_eq!(
            m.param("BOUNDARY").and_then(|p| p.unquoted()).as_deref(),
            Some("unique-boundary-1")
        );
        assert_eq!(m.params().count(), 2);
        let all: Vec<_> = ContentType::parse_list("application/sdp, application/pkcs7-mime,\r\n        multipart/mixed, multipart/signed,\r\n        message/sip, message/sipfrag")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(all.len(), 6);
        assert!(all[5].1.is("message", "sipfrag"));
        assert!(ContentType::parse("*/*").is_ok());
        for bad in [
            "",
            "application",
            "application/",
            "/sdp",
            "a/b c",
            "a/b;",
            "a/b;c=\"d",
        ] {
            assert!(ContentType::parse(bad).is_err(), "{bad:?}");
        }
    }
}
