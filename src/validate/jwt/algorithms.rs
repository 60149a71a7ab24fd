//! The JWS algorithms accepted for access tokens (RFC 7518 section 3.1) as a small set.
//!
//! RFC 8725 section 3.1 asks for an explicit allow-list of algorithms, and for each key to be
//! used with the algorithms it was made for only. Both are sets of [`Algorithm`], checked once
//! per token, so they are kept as bit sets.

use jsonwebtoken::Algorithm;

/// Every algorithm this library can verify, in a stable order.
pub const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A set of algorithms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// No algorithm.
    pub const EMPTY: Self = Self(0);

    /// Every supported algorithm.
    pub fn all() -> Self {
        ALL.into_iter().collect()
    }

    /// The HMAC algorithms.
    pub fn hmac() -> Self {
        [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
            .into_iter()
            .collect()
    }

    /// The RSA algorithms (PKCS#1 v1.5 and PSS).
    pub fn rsa() -> Self {
        [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ]
        .into_iter()
        .collect()
    }

    fn bit(alg: Algorithm) -> u16 {
        ALL.iter().position(|a| *a == alg).map_or(0, |i| 1 << i)
    }

    /// Whether `alg` is in the set.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & Self::bit(alg) != 0
    }

    /// Adds `alg`.
    pub fn insert(&mut self, alg: Algorithm) {
        self.0 |= Self::bit(alg);
    }

    /// The algorithms in both sets.
    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The algorithms in the set: HS, RS, PS, ES, then EdDSA.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for alg in iter {
            set.insert(alg);
        }
        set
    }
}

/// Parses a JWS `alg` header value (RFC 7518 section 3.1). `None` for `none` and for names
/// this library does not verify; the caller tells them apart.
pub(crate) fn parse(name: &str) -> Option<Algorithm> {
    Some(match name {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let all = AlgorithmSet::all();
        assert_eq!(all.iter().count(), 12);
        let hs = AlgorithmSet::hmac();
        assert!(hs.contains(Algorithm::HS384));
        assert!(!hs.contains(Algorithm::RS256));
        assert!(hs.intersection(AlgorithmSet::rsa()).is_empty());
        for alg in ALL {
            assert_eq!(parse(&format!("{alg:?}")), Some(alg));
        }
        assert_eq!(parse("none"), None);
    }
}
