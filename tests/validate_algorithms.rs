//! Every algorithm family (HS, RS, PS, ES, EdDSA), with PEM keys and with a JWK Set, on every
//! compiled-in crypto backend.

mod validate_support;

use jsonwebtoken::Algorithm;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{CryptoBackend, JwtConfig, JwtValidator, ValidationError, Validator};
use validate_support::*;

const ALL: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

fn validator(source: KeySource, backend: CryptoBackend) -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(source)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .backend(backend),
    )
    .unwrap()
}

fn static_source(alg: Algorithm) -> KeySource {
    if is_hmac(alg) {
        KeySource::Hmac(HMAC_SECRET.to_vec())
    } else {
        KeySource::Pem(public_pem(alg))
    }
}

#[test]
fn every_algorithm_with_a_static_key_on_every_backend() {
    for &backend in CryptoBackend::available() {
        for alg in ALL {
            let v = validator(static_source(alg), backend);
            let token = sign(alg, None, &claims());
            let auth = v
                .validate(&token, now())
                .unwrap_or_else(|e| panic!("{alg:?} on {backend:?}: {e}"));
            assert_eq!(auth.impi.as_str(), "alice_private@home.example");

            // Flip one bit of the signature: it must no longer verify.
            let (input, sig) = token.rsplit_once('.').unwrap();
            let mut raw =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig)
                    .unwrap();
            raw[0] ^= 1;
            let forged = format!("{input}.{}", b64(&raw));
            assert_eq!(
                v.validate(&forged, now()),
                Err(ValidationError::BadSignature),
                "{alg:?} on {backend:?}"
            );
        }
    }
}

#[test]
fn every_asymmetric_algorithm_from_a_jwk_set_by_kid() {
    for &backend in CryptoBackend::available() {
        let v = validator(KeySource::Jwks(jwks("jwks_all.json")), backend);
        for alg in ALL.into_iter().filter(|a| !is_hmac(*a)) {
            let token = sign(alg, Some(kid(alg)), &claims());
            assert!(v.validate(&token, now()).is_ok(), "{alg:?} on {backend:?}");
        }
    }
}

#[test]
fn each_key_verifies_only_its_own_family_and_curve() {
    let pairs = [
        (Algorithm::ES256, Algorithm::ES384),
        (Algorithm::ES384, Algorithm::ES256),
        (Algorithm::EdDSA, Algorithm::ES256),
        (Algorithm::RS256, Algorithm::EdDSA),
        (Algorithm::ES256, Algorithm::RS256),
    ];
    for (key_alg, token_alg) in pairs {
        let v = validator(static_source(key_alg), CryptoBackend::default());
        let token = sign(token_alg, None, &claims());
        assert_eq!(
            v.validate(&token, now()),
            Err(ValidationError::KeyMismatch),
            "{token_alg:?} token against {key_alg:?} key"
        );
    }
}

#[test]
fn jwk_alg_pins_the_key_to_one_algorithm() {
    // `ec256-1` says `alg: ES256`; an RSA key without `alg` takes RS* and PS*.
    let v = validator(
        KeySource::Jwks(jwks("jwks_all.json")),
        CryptoBackend::default(),
    );
    let rs = sign(Algorithm::RS256, Some("ec256-1"), &claims());
    assert_eq!(v.validate(&rs, now()), Err(ValidationError::KeyMismatch));
    let ps = sign(Algorithm::PS512, Some("rsa-1"), &claims());
    assert!(v.validate(&ps, now()).is_ok());
    let mut set = jwks("jwks_all.json");
    set.keys
        .retain(|k| k.common.key_id.as_deref() == Some("rsa-1"));
    set.keys[0].common.key_algorithm = Some(jsonwebtoken::jwk::KeyAlgorithm::RS256);
    let pinned = validator(KeySource::Jwks(set), CryptoBackend::default());
    assert_eq!(
        pinned.validate(&ps, now()),
        Err(ValidationError::KeyMismatch)
    );
}
