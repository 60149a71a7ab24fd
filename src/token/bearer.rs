//! [`BearerToken`]: a token that matched the RFC 6750 `b64token` grammar, and that
//! never shows itself in logs.

use std::borrow::Cow;
use std::fmt;

pub use crate::message::header::is_b64token;

/// A bearer token taken from a request. Its `Debug` and `Display` print only its
/// length, so a token cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken<'a>(Cow<'a, str>);

impl<'a> BearerToken<'a> {
    /// Wraps `s` if it is a `b64token`.
    pub fn new(s: impl Into<Cow<'a, str>>) -> Option<BearerToken<'a>> {
        let s = s.into();
        is_b64token(&s).then_some(BearerToken(s))
    }

    /// Wraps the `token68` of parsed `Bearer` credentials without checking it again:
    /// the credentials parser accepts as `token68` exactly `1*b64char *"="`, the
    /// `b64token` grammar [`BearerToken::new`] checks, so a second pass over the
    /// (often kilobyte-long) token would find nothing new.
    pub(crate) fn from_bearer_credentials(token68: &'a str) -> BearerToken<'a> {
        debug_assert!(is_b64token(token68));
        BearerToken(Cow::Borrowed(token68))
    }

    /// The token text (handle with care: it is a credential).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `b64token` has at least one character.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An owned copy, independent of the message.
    pub fn into_owned(self) -> BearerToken<'static> {
        BearerToken(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for BearerToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BearerToken(<{} bytes>)", self.0.len())
    }
}

impl fmt::Display for BearerToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<bearer token, {} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in ["a", "abc.def-ghi_jkl~m+n/o", "YQ==", "x="] {
            assert!(is_b64token(ok), "{ok}");
        }
        for bad in ["", "=", "a b", "a=b", "a\"", "a,b", "ä", "a\r\n"] {
            assert!(!is_b64token(bad), "{bad:?}");
        }
    }

    #[test]
    fn never_prints_itself() {
        let t = BearerToken::new("secret.token.value").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
        assert!(!format!("{t}").contains("secret"));
        assert_eq!(t.expose(), "secret.token.value");
    }
}
