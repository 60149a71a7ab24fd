//! Feeds arbitrary token text to the JWT validator, configured once for HS256 with a
//! shared secret and once for RS256 with a JWK Set. Validation never panics, and a token
//! it accepts yields identities that are safe to write into a SIP header.
//!
//! The first input byte picks the mode: even, the rest is the token text; odd, the rest
//! is a JOSE header and a claims set separated by a NUL byte, which the target encodes
//! and signs with the HS256 secret itself, so the claim checks see well-signed tokens
//! with arbitrary contents.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use sip_oauth::identity::{HeaderText, Impi, Impu};
use sip_oauth::validate::jwt::{Algorithm, AuthEntitySource, ClaimNames, KeySource};
use sip_oauth::validate::{Authorization, JwtConfig, JwtValidator, Validator};

const SECRET: &[u8] = b"fuzz-secret-0123456789abcdef0123";
const ISSUER: &str = "https://waf.home.example";
const AUDIENCE: &str = "epcscf.home.example";
const JWKS: &str = include_str!("../../tests/data/jwt/jwks_rotation_before.json");

fn claims() -> ClaimNames {
    ClaimNames {
        auth_entity: AuthEntitySource::Claim("auth_entity".to_owned()),
        ..ClaimNames::default()
    }
}

fn validators() -> &'static [JwtValidator; 2] {
    static V: OnceLock<[JwtValidator; 2]> = OnceLock::new();
    V.get_or_init(|| {
        let hs = JwtValidator::new(
            JwtConfig::new(KeySource::Hmac(SECRET.to_vec()))
                .algorithms([Algorithm::HS256])
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .claims(claims()),
        )
        .expect("HS256 config");
        let set = serde_json::from_str(JWKS).expect("JWK Set");
        let rs = JwtValidator::new(
            JwtConfig::new(KeySource::Jwks(set))
                .algorithms([Algorithm::RS256])
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .claims(claims()),
        )
        .expect("RS256 config");
        [hs, rs]
    })
}

/// No character that would end a header line or a quoted-string, or split a header
/// value (`;` only when `semicolon` is false: an IMPU sits inside `<...>`, where `;`
/// starts a URI parameter).
fn header_safe(s: &str, semicolon: bool) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '"' | '\\' | ',' | '<' | '>')
            || (c == ';' && !semicolon)
    })
}

fn check(auth: &Authorization) {
    let impi = auth.impi.as_str();
    assert!(header_safe(impi, false), "unsafe IMPI {impi:?}");
    assert!(Impi::try_from(impi).is_ok());
    for impu in &auth.impus {
        assert!(header_safe(impu.as_str(), true), "unsafe IMPU {impu:?}");
        assert!(Impu::try_from(impu.as_str()).is_ok());
    }
    for text in [&auth.wwsf, &auth.auth_entity].into_iter().flatten() {
        let s = text.as_str();
        assert!(!s.chars().any(|c| c.is_control() || matches!(c, '"' | '\\')), "{s:?}");
        assert!(HeaderText::try_from(s).is_ok());
    }
}

fn signed(header: &[u8], claims: &[u8]) -> String {
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).expect("any key length");
    mac.update(token.as_bytes());
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut token);
    token
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else {
        return;
    };
    let token = if mode & 1 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let cut = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        let (header, claims) = rest.split_at(cut);
        signed(header, claims.get(1..).unwrap_or_default())
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    for v in validators() {
        if let Ok(auth) = v.validate(&token, now) {
            check(&auth);
        }
        let _ = v.verify_signature_only(&token);
    }
});
