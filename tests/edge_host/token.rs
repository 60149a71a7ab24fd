//! Access tokens for the test users: HS256 JWS (RFC 7515) with the claims of a WebRTC IMS
//! client's token (RFC 9068 `typ: at+jwt`), signed with [`super::SECRET`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AUDIENCE, HOME, ISSUER, SECRET};

/// A token for `user` of the home domain, valid for `lifetime` from now.
pub fn for_user(user: &str, lifetime: Duration) -> String {
    signed(SECRET.as_bytes(), user, lifetime)
}

/// The same, signed with `secret`.
pub fn signed(secret: &[u8], user: &str, lifetime: Duration) -> String {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": "interop-1"});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user,
        "impi": format!("{user}@{HOME}"),
        "impus": [format!("sip:{user}@{HOME}")],
        "wwsf": "wwsf.example",
        "scope": "sip",
        "iat": iat,
        "exp": iat + lifetime.as_secs(),
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(input.as_bytes());
    let sig = mac.finalize().into_bytes();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}
