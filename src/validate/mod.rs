//! Token validation: from a bearer token to what it authorises.
//!
//! RFC 8898 section 2 has the SIP UA present an OAuth 2.0 access token with the `Bearer` scheme;
//! 3GPP TS 24.371 has the eP-CSCF validate it and obtain the IMPI, IMPUs, WWSF identity and
//! scope. [`Validator`] is that step, synchronous and sans-IO: the caller passes `now`, nothing
//! here reads a clock or touches the network. A failure is a [`ValidationError`] that maps to
//! the RFC 6750 section 3.1 `error` code and to the SIP status of the answer.
//!
//! - [`JwtValidator`] checks JWT access tokens locally (RFC 7519, RFC 7515, RFC 9068, with the
//!   RFC 8725 best practices).
//! - [`ByIssuer`], [`FirstSuccess`] combine validators for several WWSF/WAF domains;
//!   [`Confined`] limits what one issuer may vouch for.
//! - [`IntrospectionValidator`] judges opaque tokens by the answers of the authorisation
//!   server's introspection endpoint (RFC 7662), which the host asks.
//! - [`FixedValidator`] answers from a table, for tests and demos.
//! - [`CachingValidator`] remembers verified tokens until they expire, so a re-registration
//!   with the same token skips the signature check.

mod authorization;
mod backend;
mod by_issuer;
mod cache;
mod confined;
mod error;
mod first_success;
mod fixed;
mod introspection;
pub mod jwt;

use std::sync::Arc;
use std::time::SystemTime;

pub use authorization::{Authorization, Scopes};
pub use backend::CryptoBackend;
pub use by_issuer::ByIssuer;
pub use cache::CachingValidator;
pub use confined::Confined;
pub use error::{BearerError, ValidationError};
pub use first_success::FirstSuccess;
pub use fixed::FixedValidator;
pub use introspection::{
    DEFAULT_INTROSPECTION_CACHE, DEFAULT_RETRY_AFTER_SECONDS, IntrospectionValidator,
    MAX_RESPONSE_BYTES, NO_EXP_CACHE,
};
pub use jwt::{JwtConfig, JwtValidator};

/// A validator's answer to one token: now, or later.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Verdict {
    /// The answer, available at once.
    Now(Result<Arc<Authorization>, ValidationError>),
    /// The validator must ask a remote service (token introspection, RFC 7662) or wait
    /// for a key refresh: the caller obtains the verdict itself and completes the
    /// request later (see [`crate::edge::Edge::complete`]).
    Later,
}

/// Turns a bearer token into what it authorises.
///
/// Object-safe, so validators can be combined as `Box<dyn Validator>`; `Send + Sync`, so one
/// validator serves every connection. `now` is the caller's clock, used for `exp`/`nbf` and
/// cache expiry.
pub trait Validator: Send + Sync {
    /// Validates `token` (the `b64token` of RFC 6750 section 2.1, without the `Bearer ` prefix).
    ///
    /// # Errors
    /// Why the token is refused; see [`ValidationError::bearer_error`] for the answer to give.
    fn validate(&self, token: &str, now: SystemTime)
    -> Result<Arc<Authorization>, ValidationError>;

    /// The verdict on `token` as the edge asks for it: by default [`Validator::validate`]
    /// answered now. A validator that cannot answer inside a synchronous call overrides
    /// this to return [`Verdict::Later`] when it has no answer at hand (and answers from
    /// `validate` what it can: a cached result, or an error).
    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        Verdict::Now(self.validate(token, now))
    }
}

impl<V: Validator + ?Sized> Validator for Arc<V> {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        (**self).validate(token, now)
    }

    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        (**self).verdict(token, now)
    }
}

impl<V: Validator + ?Sized> Validator for Box<V> {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        (**self).validate(token, now)
    }

    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        (**self).verdict(token, now)
    }
}

impl<V: Validator + ?Sized> Validator for &V {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        (**self).validate(token, now)
    }

    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        (**self).verdict(token, now)
    }
}
