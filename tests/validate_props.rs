//! Property tests: validation is total, and accepted identities are header-safe.

mod validate_support;

use proptest::prelude::*;
use sip_oauth::identity::{HeaderText, Impi, Impu};
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{ByIssuer, JwtConfig, JwtValidator, Validator};
use validate_support::*;

fn header_unsafe(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || c == '"' || c == '\\')
}

proptest! {
    #[test]
    fn accepted_identities_are_header_safe(s in "\\PC{0,40}|[ -~\r\n\0]{0,40}") {
        if let Ok(v) = Impi::try_from(s.as_str()) {
            prop_assert!(!header_unsafe(v.as_str()));
            prop_assert!(!v.as_str().contains([',', ';', '<', '>', ' ']));
        }
        if let Ok(v) = Impu::try_from(s.as_str()) {
            prop_assert!(!header_unsafe(v.as_str()));
            prop_assert!(!v.as_str().contains([',', '<', '>', ' ']));
        }
        if let Ok(v) = HeaderText::try_from(s.as_str()) {
            prop_assert!(!header_unsafe(v.as_str()));
        }
    }

    #[test]
    fn validation_is_total_on_arbitrary_input(s in "[A-Za-z0-9_.=+/~ -]{0,200}|\\PC{0,200}") {
        let v = JwtValidator::new(
            JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec())).allow_any_audience(),
        )
        .unwrap();
        let e = v.validate(&s, now()).unwrap_err();
        prop_assert!(matches!(e.sip_status(), 400 | 401 | 403));
        let _ = ByIssuer::new().fallback(v).validate(&s, now());
    }

    #[test]
    fn validation_is_total_on_jws_shaped_input(
        header in proptest::collection::vec(any::<u8>(), 0..64),
        payload in proptest::collection::vec(any::<u8>(), 0..256),
        sig in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let v = JwtValidator::new(
            JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec())).allow_any_audience(),
        )
        .unwrap();
        let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&sig));
        prop_assert!(v.validate(&token, now()).is_err());
    }
}
