//! Option-tag lists: Require, Proxy-Require, Supported and Unsupported (RFC 3261
//! sections 19.2, 20.29, 20.32, 20.37 and 20.40; `option-tag = token`). TS 24.229
//! has the P-CSCF add `path` (RFC 3327) and read `outbound` (RFC 5626) here.

use super::list::TokenList;
use crate::message::ParseError;

/// A validated list of option tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptionTags<'a>(TokenList<'a>);

impl<'a> OptionTags<'a> {
    /// Parses a comma-separated list of option tags (the list may be empty).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        TokenList::parse(value, "option-tag").map(Self)
    }

    /// The tags, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.0.iter()
    }

    /// `true` when `tag` is listed (option tags compare exactly, RFC 3261 section 7.3.1).
    pub fn contains(&self, tag: &str) -> bool {
        self.0.contains(tag)
    }

    /// `true` when no tag is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported() {
        let s = OptionTags::parse("path,gruu,outbound").expect("valid");
        assert!(s.contains("outbound") && s.contains("path"));
        assert!(!s.contains("100rel"));
        assert_eq!(s.iter().count(), 3);
        assert!(OptionTags::parse("").expect("empty").is_empty());
        assert!(OptionTags::parse("a, \"b\"").is_err());
        // bext01
        let r = OptionTags::parse("nothingSupportsThis, nothingSupportsThisEither").expect("valid");
        assert_eq!(
            r.iter().collect::<Vec<_>>(),
            ["nothingSupportsThis", "nothingSupportsThisEither"]
        );
    }
}
