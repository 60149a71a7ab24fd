//! JWK Set key selection by `kid` and key rotation at run time.

mod validate_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jsonwebtoken::{Algorithm, EncodingKey};
use sip_oauth::validate::jwt::{KeyError, KeySource};
use sip_oauth::validate::{JwtConfig, JwtValidator, ValidationError, Validator};
use validate_support::*;

fn rotating() -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(KeySource::Jwks(jwks("jwks_rotation_before.json")))
            .issuer(ISSUER)
            .audience(AUDIENCE),
    )
    .unwrap()
}

fn signed_by_rsa2(kid: Option<&str>) -> String {
    let key = EncodingKey::from_rsa_pem(&data("rsa2_private.pem")).unwrap();
    let header = match kid {
        Some(kid) => format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#),
        None => r#"{"alg":"RS256"}"#.to_owned(),
    };
    sign_raw(Algorithm::RS256, &key, &header, &claims().to_string())
}

#[test]
fn unknown_kid_is_refused() {
    let v = rotating();
    let token = sign(Algorithm::RS256, Some("no-such-key"), &claims());
    let e = v.validate(&token, now()).unwrap_err();
    assert_eq!(e, ValidationError::UnknownKey);
    assert_eq!(e.sip_status(), 401);
}

#[test]
fn token_without_kid_tries_the_keys_of_the_set() {
    let v = rotating();
    assert!(
        v.validate(&sign(Algorithm::RS256, None, &claims()), now())
            .is_ok()
    );
    assert_eq!(
        v.validate(&signed_by_rsa2(None), now()),
        Err(ValidationError::BadSignature)
    );
}

#[test]
fn kid_selects_the_key_even_when_another_would_verify() {
    // rsa-2's token claiming kid rsa-1 is checked with rsa-1 only.
    let v = JwtValidator::new(
        JwtConfig::new(KeySource::Jwks(jwks("jwks_all.json")))
            .issuer(ISSUER)
            .audience(AUDIENCE),
    )
    .unwrap();
    assert_eq!(
        v.validate(&signed_by_rsa2(Some("rsa-1")), now()),
        Err(ValidationError::BadSignature)
    );
    assert!(v.validate(&signed_by_rsa2(Some("rsa-2")), now()).is_ok());
}

#[test]
fn rotation_replaces_the_whole_set() {
    let v = rotating();
    let old = sign(Algorithm::RS256, Some("rsa-1"), &claims());
    let new = signed_by_rsa2(Some("rsa-2"));
    assert!(v.validate(&old, now()).is_ok());
    assert_eq!(v.validate(&new, now()), Err(ValidationError::UnknownKey));

    v.replace_jwks(jwks("jwks_rotation_after.json")).unwrap();
    // The encryption-only key of the new set is skipped.
    assert_eq!(v.key_count(), 1);
    assert!(v.validate(&new, now()).is_ok());
    assert_eq!(v.validate(&old, now()), Err(ValidationError::UnknownKey));
    let enc = sign(Algorithm::RS256, Some("rsa-enc"), &claims());
    assert_eq!(v.validate(&enc, now()), Err(ValidationError::UnknownKey));
}

#[test]
fn a_bad_replacement_keeps_the_current_keys() {
    let v = rotating();
    let empty = jsonwebtoken::jwk::JwkSet { keys: vec![] };
    assert_eq!(v.replace_jwks(empty), Err(KeyError::NoUsableKey));
    let only_enc: jsonwebtoken::jwk::JwkSet = serde_json::from_str(
        &data_str("jwks_rotation_after.json").replace(r#""use": "sig""#, r#""use": "enc""#),
    )
    .unwrap();
    assert_eq!(v.replace_jwks(only_enc), Err(KeyError::NoUsableKey));
    assert!(
        v.validate(&sign(Algorithm::RS256, Some("rsa-1"), &claims()), now())
            .is_ok()
    );
}

#[test]
fn readers_keep_working_during_rotation() {
    let v = Arc::new(rotating());
    let both: jsonwebtoken::jwk::JwkSet = {
        let mut set = jwks("jwks_rotation_before.json");
        set.keys.extend(jwks("jwks_rotation_after.json").keys);
        set
    };
    let token = sign(Algorithm::RS256, Some("rsa-1"), &claims());
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (v, token, stop) = (Arc::clone(&v), token.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) || n < 10 {
                    // Every set installed holds rsa-1, so no read may fail.
                    v.validate(&token, now()).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    for i in 0..50 {
        let set = if i % 2 == 0 {
            both.clone()
        } else {
            jwks("jwks_rotation_before.json")
        };
        v.replace_jwks(set).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() >= 10);
    }
}

#[test]
fn static_keys_can_be_replaced_too() {
    let v = rotating();
    v.replace_keys(&KeySource::Pem(data("rsa2_public.pem")))
        .unwrap();
    assert!(v.validate(&signed_by_rsa2(None), now()).is_ok());
}
