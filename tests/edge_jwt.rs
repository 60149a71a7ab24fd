//! The whole trust decision with a real JWT validator: a signed HS256 token admits Bob;
//! expired, forged and wrong-audience tokens get the RFC 6750 answers.

mod common;

use common::*;
use sip_oauth::edge::{RejectCause, RequestDecision};
use sip_oauth::validate::{CachingValidator, ValidationError};

#[test]
fn signed_token_is_admitted() {
    let e = edge_with(config(), jwt_validator());
    let token = mint_hs256(1800, HS_SECRET);
    match e.on_request(register_carrying(&token), &wss()) {
        RequestDecision::Forward { bytes, admitted } => {
            assert_eq!(admitted.impi(), format!("bob@{HOME}"));
            assert_eq!(admitted.aor(), format!("sip:bob@{HOME}"));
            assert_eq!(admitted.expires, Some(1800));
            let t = text(&bytes);
            assert!(!t.contains(&token));
            assert!(t.contains(&format!("Digest username=\"bob@{HOME}\"")));
        }
        other => panic!("{other:?}"),
    }
}

fn rejection(token: &str) -> (u16, RejectCause, String) {
    let e = edge_with(config(), jwt_validator());
    match e.on_request(register_carrying(token), &wss()) {
        RequestDecision::Reply {
            bytes,
            rejection: r,
            ..
        } => (
            r.status,
            r.cause,
            String::from_utf8(bytes.to_vec()).unwrap(),
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn expired_token_is_refused_with_invalid_token() {
    let (status, cause, reply) = rejection(&mint_hs256(-120, HS_SECRET));
    assert_eq!(status, 401);
    assert_eq!(cause, RejectCause::Invalid(ValidationError::Expired));
    assert!(reply.contains("error=\"invalid_token\""));
}

#[test]
fn forged_token_is_refused_with_invalid_token() {
    let (status, cause, _) = rejection(&mint_hs256(1800, b"some-other-secret-0123456789abcdef"));
    assert_eq!(status, 401);
    assert_eq!(cause, RejectCause::Invalid(ValidationError::BadSignature));
}

#[test]
fn cached_validation_gives_the_same_answer() {
    let e = edge_with(config(), CachingValidator::new(jwt_validator(), 1024));
    let token = mint_hs256(1800, HS_SECRET);
    let first = e.on_request(register_carrying(&token), &wss());
    let second = e.on_request(register_carrying(&token), &wss());
    assert!(matches!(first, RequestDecision::Forward { .. }));
    assert_eq!(first, second);
}
