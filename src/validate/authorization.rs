//! What a valid token grants (3GPP TS 24.371: IMPI, IMPUs, WWSF identity and scope).
//!
//! TS 24.371 has the eP-CSCF obtain, from a valid token, the private user identity, the public
//! user identity, the WWSF identity and the authorisation scope, plus the identity of the
//! authorisation entity when the WAF is in a third-party domain (an open editor's note there).
//! RFC 9068 section 2.2 supplies the standard claims (`iss`, `sub`, `exp`, `scope`).

use std::time::SystemTime;

use crate::identity::{HeaderText, Impi, Impu};

/// The scopes a token grants (RFC 6749 section 3.3: space-separated, case-sensitive tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// No scope at all.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Parses an RFC 6749 section 3.3 `scope` value: tokens separated by spaces.
    pub fn from_space_separated(s: &str) -> Self {
        let mut scopes = Self::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            scopes.insert(token);
        }
        scopes
    }

    /// Adds a scope unless already present.
    pub fn insert(&mut self, scope: &str) {
        if !self.contains(scope) {
            self.0.push(scope.to_owned());
        }
    }

    /// Whether the scope is granted (exact, case-sensitive match).
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// Whether every one of `required` is granted.
    pub fn contains_all<'a>(&self, required: impl IntoIterator<Item = &'a str>) -> bool {
        required.into_iter().all(|r| self.contains(r))
    }

    /// The scopes, in the order the token lists them.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many scopes are granted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for Scopes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut scopes = Self::new();
        for s in iter {
            scopes.insert(s);
        }
        scopes
    }
}

/// The result of a successful validation: who the user is and what the token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Private user identity, written as the Digest `username` of the Annex U REGISTER.
    pub impi: Impi,
    /// Public user identities the token allows to register; may be empty when the token does
    /// not list them (the edge then applies its own policy).
    pub impus: Vec<Impu>,
    /// Identity of the WWSF the user logged in through, if the token names it.
    pub wwsf: Option<HeaderText>,
    /// Granted scopes.
    pub scopes: Scopes,
    /// `iss` claim, as the token carries it. Not checked for header safety.
    pub issuer: Option<String>,
    /// `sub` claim, as the token carries it. Not checked for header safety.
    pub subject: Option<String>,
    /// When the token stops being valid (`exp`), if it says.
    pub expires_at: Option<SystemTime>,
    /// Identity of the authorisation entity, for a WAF in a third-party domain.
    pub auth_entity: Option<HeaderText>,
}

impl Authorization {
    /// An authorisation for `impi` with nothing else: no IMPUs, scopes, issuer or expiry.
    pub fn new(impi: Impi) -> Self {
        Self {
            impi,
            impus: Vec::new(),
            wwsf: None,
            scopes: Scopes::new(),
            issuer: None,
            subject: None,
            expires_at: None,
            auth_entity: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parsing_dedups_and_matches_exactly() {
        let s = Scopes::from_space_separated("sip  ims sip");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["sip", "ims"]);
        assert!(s.contains_all(["ims", "sip"]));
        assert!(!s.contains("SIP"));
    }
}
