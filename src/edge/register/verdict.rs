//! The verdict on the token: the configured [`Validator`] answers now, or says it will
//! answer later (token introspection, RFC 7662; a key refresh), in which case the
//! procedure stops with the token to judge and resumes from a given verdict
//! ([`crate::edge::Edge::complete`]).

use std::sync::Arc;
use std::time::SystemTime;

use super::Stop;
use crate::edge::decision::RejectCause;
use crate::token::Found;
use crate::validate::{Authorization, ValidationError, Validator, Verdict};

/// Where the verdict comes from.
pub(crate) enum Source<'v> {
    /// Ask this validator.
    Validator(&'v dyn Validator),
    /// The host obtained it for a pending registration.
    Given(Result<Arc<Authorization>, ValidationError>),
}

/// What the token grants, or why it does not.
pub(crate) fn judge(
    source: Source<'_>,
    token: &Found<'_>,
    now: SystemTime,
) -> Result<Arc<Authorization>, Stop> {
    let verdict = match source {
        Source::Validator(v) => match v.verdict(token.token.expose(), now) {
            Verdict::Now(r) => r,
            Verdict::Later => return Err(Stop::Later(token.token.expose().to_owned())),
        },
        Source::Given(r) => r,
    };
    verdict.map_err(|e| Stop::Reject(RejectCause::Invalid(e)))
}
