//! [`IntrospectionSpec`]: where opaque tokens are introspected (RFC 7662) and how the
//! answers are judged, built into an [`IntrospectionValidator`].
//!
//! The endpoint, the client credentials and the timeout are for the host, which performs
//! the HTTP POST; the rest configures the validator. Claim names, issuers, required scopes,
//! leeway and the token size limit are those of the `jwt` table: the same WAF issues both
//! kinds of token.

use std::num::NonZeroU64;
use std::time::Duration;

use serde::Deserialize;

use super::error::SpecError;
use super::jwt::{JwtSpec, MAX_LEEWAY_SECONDS, OneOrMany};
use super::secret::Secret;
use crate::validate::IntrospectionValidator;

/// The introspection deadline when none is given, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 2000;

/// Token introspection (RFC 7662). Errors name their key under `introspection.`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IntrospectionSpec {
    /// The endpoint (`http://...` or `https://...`), asked by the host.
    pub url: String,
    /// The client id this edge authenticates with (RFC 7662 section 2.1, HTTP Basic).
    pub client_id: Option<String>,
    /// Its secret.
    pub client_secret: Option<Secret>,
    /// How long the host waits for an answer before answering 503 (default 2000).
    pub timeout_ms: Option<NonZeroU64>,
    /// The Retry-After of that 503, in seconds (default 30).
    pub retry_after_seconds: Option<u32>,
    /// Most active answers cached until their token's `exp` (default 10000; 0: none).
    pub cache: Option<usize>,
}

impl IntrospectionSpec {
    /// The deadline for an answer.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.map_or(DEFAULT_TIMEOUT_MS, NonZeroU64::get))
    }

    /// The client id and secret, if given.
    ///
    /// # Errors
    /// A secret without an id, an id without a secret, or a secret file that cannot be read.
    pub fn client(&self) -> Result<Option<(String, Vec<u8>)>, SpecError> {
        match (&self.client_id, &self.client_secret) {
            (None, None) => Ok(None),
            (Some(id), Some(secret)) => {
                let secret = secret
                    .bytes()
                    .map_err(|e| SpecError::value("introspection.client_secret", e))?;
                Ok(Some((id.clone(), secret)))
            }
            (Some(_), None) => Err(SpecError::value(
                "introspection.client_secret",
                "a client id needs its secret",
            )),
            (None, Some(_)) => Err(SpecError::value(
                "introspection.client_id",
                "a client secret needs its id",
            )),
        }
    }

    /// Builds the validator, with the claim rules of `jwt`.
    ///
    /// # Errors
    /// An empty URL, or a leeway or claim list `jwt` refuses.
    pub fn build(&self, jwt: &JwtSpec) -> Result<IntrospectionValidator, SpecError> {
        if self.url.trim().is_empty() {
            return Err(SpecError::value("introspection.url", "empty URL"));
        }
        self.client()?;
        let mut v = IntrospectionValidator::new();
        if let Some(claims) = &jwt.claims {
            v = v.claims(claims.build());
        }
        for i in jwt.issuer.iter().flat_map(OneOrMany::to_vec) {
            v = v.issuer(i);
        }
        for s in jwt.required_scopes.iter().flat_map(OneOrMany::to_vec) {
            v = v.required_scope(s);
        }
        if let Some(s) = jwt.leeway_seconds {
            if s > MAX_LEEWAY_SECONDS {
                return Err(SpecError::value(
                    "jwt.leeway_seconds",
                    format!("{s} s is more than {MAX_LEEWAY_SECONDS} s"),
                ));
            }
            v = v.leeway(Duration::from_secs(s));
        }
        if let Some(m) = jwt.max_token_bytes {
            v = v.max_token_bytes(m.get());
        }
        if let Some(r) = self.retry_after_seconds {
            v = v.retry_after(r);
        }
        if let Some(c) = self.cache {
            v = v.capacity(c);
        }
        Ok(v)
    }
}
