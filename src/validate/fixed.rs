//! A validator with fixed answers, for tests, demos and lab set-ups without an authorisation
//! server. It checks no signature: never use it to admit real users.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::{Authorization, ValidationError, Validator};

/// Answers from a table of known tokens, or the same answer for every token.
///
/// An answer whose [`Authorization::expires_at`] has passed yields
/// [`ValidationError::Expired`], so expiry handling can be exercised too.
#[derive(Debug, Clone, Default)]
pub struct FixedValidator {
    any: Option<Arc<Authorization>>,
    tokens: HashMap<String, Arc<Authorization>>,
}

impl FixedValidator {
    /// An empty table: every token is refused with [`ValidationError::UnknownToken`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts every token with `authorization`.
    pub fn any(authorization: Authorization) -> Self {
        Self {
            any: Some(Arc::new(authorization)),
            tokens: HashMap::new(),
        }
    }

    /// Accepts `token` with `authorization` (ahead of any catch-all answer).
    pub fn with_token(mut self, token: impl Into<String>, authorization: Authorization) -> Self {
        self.tokens.insert(token.into(), Arc::new(authorization));
        self
    }
}

impl Validator for FixedValidator {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        let auth = self
            .tokens
            .get(token)
            .or(self.any.as_ref())
            .ok_or(ValidationError::UnknownToken)?;
        if auth.expires_at.is_some_and(|exp| now >= exp) {
            return Err(ValidationError::Expired);
        }
        Ok(Arc::clone(auth))
    }
}
