//! Shared helpers for the validator tests: test keys, token signing and standard claims.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use sip_oauth::validate::CryptoBackend;

/// The instant every test runs at.
pub const NOW_SECS: u64 = 1_800_000_000;
pub const ISSUER: &str = "https://waf.home.example";
pub const AUDIENCE: &str = "epcscf.home.example";
pub const HMAC_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS)
}

pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn data(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/data/jwt/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

pub fn data_str(path: &str) -> String {
    String::from_utf8(data(path)).unwrap()
}

pub fn jwks(path: &str) -> JwkSet {
    serde_json::from_slice(&data(path)).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims of a valid access token at [`now`].
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "exp": NOW_SECS + 600,
        "nbf": NOW_SECS - 60,
        "iat": NOW_SECS - 60,
        "impi": "alice_private@home.example",
        "impus": ["sip:alice@home.example", "tel:+15551234567"],
        "wwsf": "wwsf.web.example",
        "scope": "openid sip",
    })
}

/// Claims with `key` set to `value` (`Value::Null` removes it).
pub fn with(key: &str, value: Value) -> Value {
    let mut c = claims();
    let obj = c.as_object_mut().unwrap();
    if value.is_null() {
        obj.remove(key);
    } else {
        obj.insert(key.to_owned(), value);
    }
    c
}

/// Encoding key for `alg` from the committed test keys.
pub fn encoding_key(alg: Algorithm) -> EncodingKey {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            EncodingKey::from_secret(HMAC_SECRET)
        }
        Algorithm::ES256 => EncodingKey::from_ec_pem(&data("ec256_private.pem")).unwrap(),
        Algorithm::ES384 => EncodingKey::from_ec_pem(&data("ec384_private.pem")).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&data("ed25519_private.pem")).unwrap(),
        _ => EncodingKey::from_rsa_pem(&data("rsa_private.pem")).unwrap(),
    }
}

/// Public key PEM matching [`encoding_key`].
pub fn public_pem(alg: Algorithm) -> Vec<u8> {
    match alg {
        Algorithm::ES256 => data("ec256_public.pem"),
        Algorithm::ES384 => data("ec384_public.pem"),
        Algorithm::EdDSA => data("ed25519_public.pem"),
        _ => data("rsa_public.pem"),
    }
}

/// The `kid` of the key of [`encoding_key`] in `jwks_all.json`.
pub fn kid(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ec256-1",
        Algorithm::ES384 => "ec384-1",
        Algorithm::EdDSA => "ed-1",
        _ => "rsa-1",
    }
}

/// Signs `header` and `claims` (both JSON texts) as a compact JWS, through the provider
/// directly so the process-wide `jsonwebtoken` default is never consulted.
pub fn sign_raw(alg: Algorithm, key: &EncodingKey, header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let provider = CryptoBackend::default().provider();
    let signer = (provider.signer_factory)(&alg, key).unwrap();
    let sig = signer.try_sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

/// Signs `claims` with the test key of `alg`, optionally naming `kid`.
pub fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({"alg": format!("{alg:?}"), "typ": "at+jwt"});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    sign_raw(
        alg,
        &encoding_key(alg),
        &header.to_string(),
        &claims.to_string(),
    )
}
