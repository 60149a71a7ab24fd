//! The Allow header (RFC 3261 section 20.5): a comma-separated list of method tokens.
//! Methods are case-sensitive (section 7.1).

use super::list::TokenList;
use crate::message::ParseError;

/// A validated list of methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allow<'a>(TokenList<'a>);

impl<'a> Allow<'a> {
    /// Parses a comma-separated list of methods (the list may be empty).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        TokenList::parse(value, "method").map(Self)
    }

    /// The methods, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.0.iter()
    }

    /// `true` when `method` is listed (exact comparison).
    pub fn contains(&self, method: &str) -> bool {
        self.0.contains(method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample() {
        let a = Allow::parse(
            "INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY,SUBSCRIBE",
        )
        .expect("valid");
        assert_eq!(a.iter().count(), 11);
        assert!(a.contains("MESSAGE"));
        assert!(!a.contains("message"));
        assert!(Allow::parse("INVITE ACK").is_err());
    }
}
