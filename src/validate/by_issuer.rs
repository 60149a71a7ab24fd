//! Routing a token to the validator of its issuer, for several WWSF/WAF domains.
//!
//! An eP-CSCF may admit users of several web domains, each with its own authorisation server
//! and keys (TS 24.371: the WAF may be in a third-party domain). The unverified `iss` claim
//! (RFC 7519 section 4.1.1) picks the validator; that validator then checks everything,
//! including the signature and `iss` itself, so a forged `iss` can only select which keys a
//! forgery is checked against (RFC 8725 section 3.8 on issuer-specific keys).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::jwt::{self, DEFAULT_MAX_TOKEN_BYTES};
use super::{Authorization, ValidationError, Validator, Verdict};

/// Picks a validator by the token's `iss`.
pub struct ByIssuer {
    routes: HashMap<String, Box<dyn Validator>>,
    fallback: Option<Box<dyn Validator>>,
    max_token_bytes: usize,
}

impl std::fmt::Debug for ByIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByIssuer")
            .field("issuers", &self.routes.keys().collect::<Vec<_>>())
            .field("fallback", &self.fallback.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ByIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl ByIssuer {
    /// No route: every token is refused with [`ValidationError::WrongIssuer`].
    pub fn new() -> Self {
        Self {
            routes: HashMap::new(),
            fallback: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }

    /// Sends tokens whose `iss` is exactly `issuer` to `validator`.
    pub fn route(mut self, issuer: impl Into<String>, validator: impl Validator + 'static) -> Self {
        self.routes.insert(issuer.into(), Box::new(validator));
        self
    }

    /// Sends tokens with no `iss`, or an unrouted one, to `validator`.
    pub fn fallback(mut self, validator: impl Validator + 'static) -> Self {
        self.fallback = Some(Box::new(validator));
        self
    }

    /// Sets the longest token decoded for routing (default 8 KiB).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }
}

impl ByIssuer {
    /// The validator the token's `iss` routes to.
    fn pick(&self, token: &str) -> Result<&dyn Validator, ValidationError> {
        if token.len() > self.max_token_bytes {
            return Err(ValidationError::Oversized {
                len: token.len(),
                max: self.max_token_bytes,
            });
        }
        let issuer = jwt::peek_issuer(token)?;
        let routed = issuer.and_then(|iss| self.routes.get(&iss));
        match routed.or(self.fallback.as_ref()) {
            Some(validator) => Ok(validator.as_ref()),
            None => Err(ValidationError::WrongIssuer),
        }
    }
}

impl Validator for ByIssuer {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.pick(token)?.validate(token, now)
    }

    /// The routed validator's verdict, so a route that answers later (introspection for
    /// one issuer) can sit beside routes that answer at once.
    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        match self.pick(token) {
            Ok(v) => v.verdict(token, now),
            Err(e) => Verdict::Now(Err(e)),
        }
    }
}
