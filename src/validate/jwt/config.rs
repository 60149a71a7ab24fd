//! Configuration of a [`super::JwtValidator`]: keys, algorithms, expected issuer and audience,
//! time leeway, required scopes and where the identities are found.
//!
//! RFC 8725 section 3.1 (pin algorithms), 3.8 and 3.9 (check issuer and audience), RFC 7519
//! sections 4.1.4/4.1.5 (`exp`/`nbf`, with "a small leeway ... to account for clock skew"),
//! RFC 9068 section 4 (`typ: at+jwt`). TS 24.371 does not say which claims carry the IMPI,
//! IMPUs or WWSF identity, so their names are configurable.

use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::algorithms::AlgorithmSet;
use super::keys::KeySource;
use crate::identity::HeaderText;
use crate::validate::CryptoBackend;

/// Default bound on the token length, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Default clock-skew leeway for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// Default number of keys a token is checked against when its `kid` names none of them.
pub const DEFAULT_MAX_KEYS_WITHOUT_KID: usize = 1;

/// Where the identity of the authorisation entity comes from, for a WAF in a third-party
/// domain (an open point of TS 24.371, so left to configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthEntitySource {
    /// Not reported.
    #[default]
    None,
    /// From the named claim, if the token has it.
    Claim(String),
    /// The token's `iss`.
    Issuer,
    /// A fixed value: the validator is for one WAF whose identity is known.
    Fixed(HeaderText),
}

/// Names of the claims carrying the identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// Claims tried in order for the IMPI; the first present one is used (at most four).
    /// Default: `impi`, then `sub`.
    pub impi: Vec<String>,
    /// Claim with the IMPUs, a string or an array of strings. Default: `impus`.
    pub impus: Option<String>,
    /// Whether a token without IMPUs is refused. Default: no (the list is then empty).
    pub require_impus: bool,
    /// Claim with the WWSF identity. Default: `wwsf`.
    pub wwsf: Option<String>,
    /// Where the authorisation entity identity comes from. Default: not reported.
    pub auth_entity: AuthEntitySource,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            impi: vec!["impi".to_owned(), "sub".to_owned()],
            impus: Some("impus".to_owned()),
            require_impus: false,
            wwsf: Some("wwsf".to_owned()),
            auth_entity: AuthEntitySource::None,
        }
    }
}

impl ClaimNames {
    pub(crate) fn auth_entity_claim(&self) -> Option<&str> {
        match &self.auth_entity {
            AuthEntitySource::Claim(name) => Some(name),
            _ => None,
        }
    }
}

/// Everything a [`super::JwtValidator`] is built from. Start with [`JwtConfig::new`] and
/// chain the setters.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub(crate) keys: KeySource,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) allow_any_audience: bool,
    pub(crate) max_keys_without_kid: usize,
    pub(crate) leeway: Duration,
    pub(crate) require_exp: bool,
    pub(crate) required_scopes: Vec<String>,
    pub(crate) claims: ClaimNames,
    pub(crate) max_token_bytes: usize,
    pub(crate) require_at_jwt: bool,
    pub(crate) backend: CryptoBackend,
}

impl JwtConfig {
    /// A configuration with `keys` and the defaults: every algorithm that fits the keys,
    /// any issuer, no audience (which [`super::JwtValidator::new`] refuses unless
    /// [`JwtConfig::allow_any_audience`] is set), a token without `kid` checked against one
    /// key, 30 s leeway, `exp` required, no required scope, default claim names, 8 KiB token
    /// limit, `typ: at+jwt` accepted but not required, the default crypto backend.
    pub fn new(keys: KeySource) -> Self {
        Self {
            keys,
            algorithms: AlgorithmSet::all(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            allow_any_audience: false,
            max_keys_without_kid: DEFAULT_MAX_KEYS_WITHOUT_KID,
            leeway: DEFAULT_LEEWAY,
            require_exp: true,
            required_scopes: Vec::new(),
            claims: ClaimNames::default(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            require_at_jwt: false,
            backend: CryptoBackend::default(),
        }
    }

    /// Restricts the accepted algorithms (RFC 8725 section 3.1); keys still only verify the
    /// algorithms of their own type.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Accepts tokens from `issuer` (`iss`, compared exactly). Once any issuer is set, tokens
    /// from others, or without `iss`, are refused.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens for `audience` (`aud`, a string or an array, one match is enough).
    /// At least one audience is needed, unless [`JwtConfig::allow_any_audience`] is set.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Allows a validator with no audience of its own (RFC 8725 section 3.9): tokens are then
    /// not bound to this edge, and any token of the issuer's that names no audience is
    /// accepted. Tokens that name an audience are still refused (RFC 7519 section 4.1.3).
    /// Without this, [`super::JwtValidator::new`] refuses a configuration without
    /// [`JwtConfig::audience`] ([`super::JwtConfigError::NoAudience`]). No effect once an
    /// audience is set.
    pub fn allow_any_audience(mut self) -> Self {
        self.allow_any_audience = true;
        self
    }

    /// How many keys a token is checked against when its `kid` selects none of them (no
    /// `kid`, or one no key carries): the first `max` keys, in key-set order, that fit the
    /// token's `alg` and carry no other `kid`. Default
    /// [`DEFAULT_MAX_KEYS_WITHOUT_KID`] (one), so an unauthenticated request costs one
    /// signature check whatever the size of the key set; raise it only for issuers that sign
    /// without `kid` while publishing several keys. 0 is taken as 1.
    pub fn max_keys_without_kid(mut self, max: usize) -> Self {
        self.max_keys_without_kid = max.max(1);
        self
    }

    /// Sets the clock-skew leeway for `exp`, `nbf` and `iat`.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether a token without `exp` is refused (default: yes).
    pub fn require_exp(mut self, require: bool) -> Self {
        self.require_exp = require;
        self
    }

    /// Requires `scope` to be granted (in `scope` or `scp`).
    pub fn required_scope(mut self, scope: impl Into<String>) -> Self {
        self.required_scopes.push(scope.into());
        self
    }

    /// Sets where the identities are found.
    pub fn claims(mut self, claims: ClaimNames) -> Self {
        self.claims = claims;
        self
    }

    /// Sets the longest accepted token, in bytes.
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Whether the header must say `typ: at+jwt` (RFC 9068 section 4).
    pub fn require_at_jwt(mut self, require: bool) -> Self {
        self.require_at_jwt = require;
        self
    }

    /// Chooses the crypto backend for RSA, ECDSA and EdDSA.
    pub fn backend(mut self, backend: CryptoBackend) -> Self {
        self.backend = backend;
        self
    }
}
