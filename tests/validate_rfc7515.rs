//! RFC 7515 Appendix A JWS examples (A.1 HS256, A.2 RS256, A.3 ES256, A.5 unsecured).
//!
//! Their payload, `{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}`,
//! is not an access token (no identity, long expired), so A.1-A.3 are checked at the
//! signature layer with `verify_signature_only`, and then through the full validator to show
//! the claims checks still apply.

mod validate_support;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{CryptoBackend, JwtConfig, JwtValidator, ValidationError, Validator};
use validate_support::*;

fn vector(name: &str) -> (String, JwkSet) {
    let token = data_str(&format!("rfc7515/{name}.jws"));
    let jwk: Jwk = serde_json::from_slice(&data(&format!("rfc7515/{name}.jwk.json"))).unwrap();
    (token, JwkSet { keys: vec![jwk] })
}

fn validator(set: JwkSet, backend: CryptoBackend) -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(KeySource::Jwks(set))
            .allow_any_audience()
            .backend(backend),
    )
    .unwrap()
}

#[test]
fn appendix_a_signatures_verify_on_every_backend() {
    let payload = data("rfc7515/payload.bin");
    for &backend in CryptoBackend::available() {
        for name in ["a1_hs256", "a2_rs256", "a3_es256"] {
            let (token, set) = vector(name);
            let v = validator(set, backend);
            assert_eq!(
                v.verify_signature_only(&token)
                    .unwrap_or_else(|e| panic!("{name}: {e}")),
                payload,
                "{name} on {backend:?}"
            );
        }
    }
}

#[test]
fn appendix_a_tokens_still_fail_the_claims_checks() {
    for name in ["a1_hs256", "a2_rs256", "a3_es256"] {
        let (token, set) = vector(name);
        let v = validator(set, CryptoBackend::default());
        // exp 1300819380 is in March 2011.
        assert_eq!(
            v.validate(&token, now()),
            Err(ValidationError::Expired),
            "{name}"
        );
        let before = at(1_300_000_000);
        // Valid in time, but it carries no IMPI ("joe" has no realm and is not in `sub`).
        assert_eq!(
            v.validate(&token, before),
            Err(ValidationError::MissingClaim("impi")),
            "{name}"
        );
    }
}

#[test]
fn appendix_a_tampering_is_detected() {
    for name in ["a1_hs256", "a2_rs256", "a3_es256"] {
        let (token, set) = vector(name);
        let v = validator(set, CryptoBackend::default());
        // Change one payload character: `...fQ` -> `...fR` keeps valid base64url.
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, sig) = rest.split_once('.').unwrap();
        let tampered = format!("{head}.{}X.{sig}", &payload[..payload.len() - 1]);
        assert!(
            matches!(
                v.verify_signature_only(&tampered),
                Err(ValidationError::BadSignature | ValidationError::Malformed)
            ),
            "{name}"
        );
    }
}

#[test]
fn appendix_a5_unsecured_jws_is_refused() {
    let token = data_str("rfc7515/a5_unsecured.jws");
    assert!(token.ends_with('.'));
    let (_, set) = vector("a1_hs256");
    let v = validator(set, CryptoBackend::default());
    assert_eq!(
        v.validate(&token, at(1_300_000_000)),
        Err(ValidationError::Unsecured)
    );
    assert_eq!(
        v.verify_signature_only(&token),
        Err(ValidationError::Unsecured)
    );
}

#[test]
fn appendix_a1_key_is_not_accepted_for_a2() {
    // The A.2 RS256 token against the A.1 HMAC key: no algorithm confusion.
    let (token, _) = vector("a2_rs256");
    let (_, hmac) = vector("a1_hs256");
    let v = validator(hmac, CryptoBackend::default());
    assert_eq!(
        v.verify_signature_only(&token),
        Err(ValidationError::KeyMismatch)
    );
}
