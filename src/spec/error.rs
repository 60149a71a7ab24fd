//! [`SpecError`]: what is wrong with a specification, and under which key.

use std::fmt::Display;

/// What kind of failure a [`SpecError`] is, so a caller can map it to its own codes (the C
/// API tells a malformed document from a refused value and from unusable keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecErrorKind {
    /// The document does not parse, or has an unknown key or a value of the wrong shape.
    Document,
    /// A value has the right shape but cannot be used (bad host, short flow key, ...).
    Value,
    /// The verification keys are unusable (weak secret, bad PEM, no usable JWK, ...).
    Keys,
}

/// A specification that cannot be built, naming the key at fault, e.g.
/// `edge.token_location: unknown token location "bearer"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {why}")]
pub struct SpecError {
    /// The dotted path of the key, e.g. `jwt.claims.impi` or `jwt.algorithms[0]`; for an
    /// unknown key, the path of that key (`edge.relm`; `jwts` at the root), and the
    /// message names the keys expected there.
    pub key: String,
    /// What is wrong, never a secret value.
    pub why: String,
    /// What kind of failure it is.
    pub kind: SpecErrorKind,
}

impl SpecError {
    pub(crate) fn new(kind: SpecErrorKind, key: impl Into<String>, why: impl Display) -> Self {
        Self {
            key: key.into(),
            why: why.to_string(),
            kind,
        }
    }

    pub(crate) fn value(key: impl Into<String>, why: impl Display) -> Self {
        Self::new(SpecErrorKind::Value, key, why)
    }
}
