//! Crypto backend selection.
//!
//! With both `aws-lc-rs` and `rust-crypto` enabled (as Cargo feature unification can do in a
//! host application), `jsonwebtoken` cannot pick a process-wide provider and its own `decode`
//! panics. Validators of this library hold their provider and never consult the process
//! default, so they keep working in that build.

mod validate_support;

use jsonwebtoken::Algorithm;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{CryptoBackend, JwtConfig, JwtValidator, Validator};
use validate_support::*;

#[test]
fn default_backend_is_the_fast_one_when_compiled_in() {
    let backends = CryptoBackend::available();
    assert!(!backends.is_empty());
    assert_eq!(backends[0], CryptoBackend::default());
    #[cfg(feature = "aws-lc-rs")]
    assert_eq!(CryptoBackend::default(), CryptoBackend::AwsLc);
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    assert_eq!(CryptoBackend::default(), CryptoBackend::RustCrypto);
}

#[test]
fn validators_work_without_a_process_default_provider() {
    for &backend in CryptoBackend::available() {
        for alg in [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
            Algorithm::HS256,
        ] {
            let source = if alg == Algorithm::HS256 {
                KeySource::Hmac(HMAC_SECRET.to_vec())
            } else {
                KeySource::Pem(public_pem(alg))
            };
            let v = JwtValidator::new(
                JwtConfig::new(source)
                    .issuer(ISSUER)
                    .audience(AUDIENCE)
                    .backend(backend),
            )
            .unwrap();
            assert_eq!(v.backend(), backend);
            assert!(
                v.validate(&sign(alg, None, &claims()), now()).is_ok(),
                "{alg:?} {backend:?}"
            );
        }
    }
}

/// Demonstrates the hazard the library avoids, and that it is avoided: in a build with both
/// backends, plain `jsonwebtoken::decode` panics while `JwtValidator` answers.
#[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto"))]
#[test]
fn both_backends_enabled_never_panics_through_the_library() {
    let token = sign(Algorithm::RS256, None, &claims());
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(&data("rsa_public.pem")).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    let direct = std::panic::catch_unwind(|| {
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
    });
    assert!(
        direct.is_err(),
        "jsonwebtoken without an installed provider panics"
    );

    let v = JwtValidator::new(
        JwtConfig::new(KeySource::Pem(data("rsa_public.pem")))
            .issuer(ISSUER)
            .audience(AUDIENCE),
    )
    .unwrap();
    for _ in 0..3 {
        assert!(v.validate(&token, now()).is_ok());
    }
}
