//! Verdicts that arrive later: a validator that must ask a remote service (token
//! introspection, RFC 7662) answers `Verdict::Later`; the edge hands back a pending
//! registration that owns the request and its context, and completing it with the
//! verdict gives exactly the bytes the synchronous path gives.

mod common;

use std::sync::Arc;
use std::time::SystemTime;

use common::*;
use sip_oauth::edge::{RejectCause, RequestDecision};
use sip_oauth::validate::{Authorization, FixedValidator, ValidationError, Validator, Verdict};

/// Answers nothing at once: every verdict comes from the host.
struct Remote;

impl Validator for Remote {
    fn validate(&self, _: &str, _: SystemTime) -> Result<Arc<Authorization>, ValidationError> {
        Err(ValidationError::BadSignature)
    }

    fn verdict(&self, _: &str, _: SystemTime) -> Verdict {
        Verdict::Later
    }
}

/// Always refuses with `error`.
struct Refusing(ValidationError);

impl Validator for Refusing {
    fn validate(&self, _: &str, _: SystemTime) -> Result<Arc<Authorization>, ValidationError> {
        Err(self.0.clone())
    }
}

fn pending(raw: &[u8]) -> sip_oauth::edge::PendingRegister {
    match edge_with(config(), Remote).on_request(raw.to_vec(), &wss()) {
        RequestDecision::Pending(p) => *p,
        other => panic!("not pending: {other:?}"),
    }
}

#[test]
fn a_pending_registration_names_its_token_and_flow_and_hides_the_token_in_debug() {
    let p = pending(REGISTER);
    assert_eq!(p.token(), sample_token());
    assert_eq!(p.flow(), wss().flow);
    assert_eq!(p.received_at(), now());
    assert_eq!(p.request().method(), Some("REGISTER"));
    let shown = format!("{p:?}");
    assert!(!shown.contains(&sample_token()[..20]), "{shown}");
}

#[test]
fn completed_with_a_valid_verdict_it_forwards_the_bytes_of_the_synchronous_path() {
    let sync = edge().on_request(REGISTER.to_vec(), &wss());
    assert!(matches!(sync, RequestDecision::Forward { .. }), "{sync:?}");
    let later = edge_with(config(), Remote).complete(pending(REGISTER), Ok(Arc::new(bob())));
    assert_eq!(later, sync);
}

#[test]
fn completed_with_an_invalid_verdict_it_answers_as_the_synchronous_path() {
    for error in [ValidationError::Expired, ValidationError::BadSignature] {
        let sync =
            edge_with(config(), Refusing(error.clone())).on_request(REGISTER.to_vec(), &wss());
        let RequestDecision::Reply { rejection, .. } = &sync else {
            panic!("not refused: {sync:?}");
        };
        assert_eq!(rejection.status, 401);
        assert_eq!(rejection.cause, RejectCause::Invalid(error.clone()));
        let later = edge_with(config(), Remote).complete(pending(REGISTER), Err(error));
        assert_eq!(later, sync);
    }
}

#[test]
fn an_unavailable_verdict_is_503_with_its_retry_after_and_an_inactive_one_401() {
    let unavailable = ValidationError::Unavailable { retry_after: 12 };
    let d = edge_with(config(), Remote).complete(pending(REGISTER), Err(unavailable.clone()));
    let RequestDecision::Reply {
        rejection, bytes, ..
    } = d
    else {
        panic!("not refused: {d:?}");
    };
    assert_eq!(rejection.status, 503);
    assert_eq!(rejection.bearer_error, None);
    assert_eq!(rejection.cause, RejectCause::Invalid(unavailable));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("SIP/2.0 503 "), "{text}");
    assert!(text.contains("\r\nRetry-After: 12\r\n"), "{text}");
    // RFC 3261 21.5.4: a temporary condition, not a verdict on the token: no challenge.
    assert!(!text.contains("WWW-Authenticate"), "{text}");

    let d = edge_with(config(), Remote).complete(pending(REGISTER), Err(ValidationError::Inactive));
    let RequestDecision::Reply {
        rejection, bytes, ..
    } = d
    else {
        panic!("not refused: {d:?}");
    };
    assert_eq!(rejection.status, 401);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("error=\"invalid_token\""), "{text}");
}

#[test]
fn a_verdict_for_an_identity_the_request_does_not_register_is_still_refused() {
    let mut other = bob();
    other.impus.clear();
    other
        .impus
        .push(sip_oauth::identity::Impu::try_from("sip:carol@ims.example").unwrap());
    let d = edge_with(config(), Remote).complete(pending(REGISTER), Ok(Arc::new(other)));
    let RequestDecision::Reply { rejection, .. } = d else {
        panic!("not refused: {d:?}");
    };
    assert_eq!(rejection.cause, RejectCause::IdentityMismatch);
}

#[test]
fn requests_that_break_a_rule_are_answered_before_any_verdict_is_asked_for() {
    let raw = register_with("Max-Forwards: 70", "Max-Forwards: 0");
    let d = edge_with(config(), Remote).on_request(raw, &wss());
    let RequestDecision::Reply { rejection, .. } = d else {
        panic!("not refused: {d:?}");
    };
    assert_eq!(rejection.status, 483);
    let raw = register_with("Authorization: Bearer", "X-Nothing: Bearer");
    let d = edge_with(config(), Remote).on_request(raw, &wss());
    assert!(
        matches!(&d, RequestDecision::Reply { rejection, .. } if rejection.cause == RejectCause::NoToken),
        "{d:?}"
    );
}

#[test]
fn the_default_verdict_is_the_synchronous_answer() {
    let v = FixedValidator::new().with_token("t", bob());
    assert_eq!(v.verdict("t", now()), Verdict::Now(Ok(Arc::new(bob()))));
    assert!(matches!(v.verdict("u", now()), Verdict::Now(Err(_))));
}

#[test]
fn combinators_pass_a_later_verdict_through() {
    use sip_oauth::validate::{ByIssuer, CachingValidator};
    let token = sample_token();
    let cached = CachingValidator::new(Remote, 16);
    assert_eq!(cached.verdict(&token, now()), Verdict::Later);
    let routed = ByIssuer::new().fallback(Remote);
    assert_eq!(routed.verdict(&token, now()), Verdict::Later);
    // Through the edge too: a cache in front of a remote validator still defers.
    let d = edge_with(config(), CachingValidator::new(Remote, 16))
        .on_request(REGISTER.to_vec(), &wss());
    assert!(matches!(d, RequestDecision::Pending(_)), "{d:?}");
}
