//! P-Visited-Network-ID (RFC 7315 section 4.3, which replaced RFC 3455 section 4.3):
//! a list of `vnetwork-spec = (token / quoted-string) *(SEMI vnetwork-param)`. TS
//! 24.229 clause 5.2.2 has the P-CSCF add it to REGISTER requests.

use super::lex::{scan_quoted, skip_token, sub, trim};
use super::params::{Param, Params, Style, unquote};
use crate::message::ParseError;
use std::borrow::Cow;

/// One visited network identifier with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitedNetwork<'a> {
    id: &'a str,
    params: Params<'a>,
}

impl<'a> VisitedNetwork<'a> {
    /// Parses one `vnetwork-spec` (a header may hold several: see
    /// [`VisitedNetwork::parse_list`]).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        let b = v.as_bytes();
        let end = if b.first() == Some(&b'"') {
            scan_quoted(b, 0).map_err(|e| e.shifted(base))?
        } else {
            skip_token(b, 0)
        };
        if end == 0 {
            return Err(ParseError::expected("visited network identifier", base));
        }
        let params = Params::parse(sub(v, end, v.len()), base + end, Style::Header)?;
        Ok(Self {
            id: sub(v, 0, end),
            params,
        })
    }

    /// Parses every `vnetwork-spec` of a comma-separated value, with element offsets.
    pub fn parse_list(
        value: &'a str,
    ) -> impl Iterator<Item = Result<(usize, Self), ParseError>> + 'a {
        super::list::parse_list(value, Self::parse)
    }

    /// The identifier as written (quotes kept if quoted).
    pub fn id(&self) -> &'a str {
        self.id
    }

    /// The identifier without quotes.
    pub fn id_unquoted(&self) -> Cow<'a, str> {
        unquote(self.id)
    }

    /// The parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let all: Vec<_> = VisitedNetwork::parse_list("\"Visited network number 1\", other.net;x=1")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.id_unquoted(), "Visited network number 1");
        assert_eq!(all[1].1.id(), "other.net");
        assert_eq!(all[1].1.params().count(), 1);
        for bad in ["", "\"open", "a b", "a;", ";a"] {
            assert!(VisitedNetwork::parse(bad).is_err(), "{bad:?}");
        }
    }
}
