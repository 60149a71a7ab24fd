//! Trying several validators in turn, e.g. during a migration between authorisation servers
//! or token formats (RFC 8898 section 2 allows structured and reference tokens alike).

use std::sync::Arc;
use std::time::SystemTime;

use super::{Authorization, ValidationError, Validator};

/// Returns the first success of a list of validators.
///
/// When all refuse, the error reported is the one from the validator that got furthest (a
/// verified signature with an expired `exp` says more than an unknown `kid`); ties go to the
/// earlier validator.
#[derive(Default)]
pub struct FirstSuccess {
    validators: Vec<Box<dyn Validator>>,
}

impl std::fmt::Debug for FirstSuccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstSuccess")
            .field("validators", &self.validators.len())
            .finish()
    }
}

impl FirstSuccess {
    /// An empty list, which refuses every token with [`ValidationError::UnknownToken`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `validator`, tried after those already added.
    pub fn or(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Box::new(validator));
        self
    }
}

impl Validator for FirstSuccess {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        let mut best: Option<ValidationError> = None;
        for validator in &self.validators {
            match validator.validate(token, now) {
                Ok(auth) => return Ok(auth),
                Err(e) if best.as_ref().is_none_or(|b| e.stage() > b.stage()) => best = Some(e),
                Err(_) => {}
            }
        }
        Err(best.unwrap_or(ValidationError::UnknownToken))
    }
}
