//! The Contact header (RFC 3261 section 20.10): `*` (only in a REGISTER removing all
//! bindings, section 10.2.2) or a list of `name-addr`/`addr-spec` with contact
//! parameters (`expires`, `q`, and the outbound `reg-id` / `+sip.instance` of RFC 5626).

use super::name_addr::NameAddr;
use crate::message::ParseError;

/// One Contact element.
// Boxing the address would allocate per element; values live briefly on the stack.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `*`: all bindings.
    Star,
    /// A contact address with its parameters.
    Addr(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one element (a header line may hold several: see [`Contact::parse_list`]).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        Self::parse_visiting(value, |_| {})
    }

    /// Like [`Contact::parse`], also handing every contact parameter (ranges relative
    /// to `value`) to `visit` during the validating pass.
    pub(crate) fn parse_visiting(
        value: &'a str,
        visit: impl FnMut(&super::params::Param<'a>),
    ) -> Result<Self, ParseError> {
        if super::lex::trim(value).1 == "*" {
            return Ok(Contact::Star);
        }
        NameAddr::parse_visiting(value, visit).map(Contact::Addr)
    }

    /// Parses every element of a comma-separated Contact value, with element offsets.
    pub fn parse_list(
        value: &'a str,
    ) -> impl Iterator<Item = Result<(usize, Self), ParseError>> + 'a {
        super::list::parse_list(value, Self::parse)
    }

    /// The address, unless this is `*`.
    pub fn addr(&self) -> Option<&NameAddr<'a>> {
        match self {
            Contact::Star => None,
            Contact::Addr(a) => Some(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_lists() {
        assert_eq!(Contact::parse(" * "), Ok(Contact::Star));
        let all: Vec<_> = Contact::parse_list("<sip:a@b>;expires=0, \"X\" <sip:c@d>")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.addr().and_then(NameAddr::expires), Some(0));
        assert_eq!(all[1].0, 21);
        assert!(Contact::parse("**").is_err());
        // esc01
        let c =
            Contact::parse("\r\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>")
                .expect("valid");
        assert_eq!(c.addr().map(|a| a.uri().params().count()), Some(2));
        let e = Contact::parse_list("<sip:a@b>, <sip:c@d>;;").find_map(Result::err);
        assert_eq!(e.map(|e| e.offset), Some(21));
    }
}
