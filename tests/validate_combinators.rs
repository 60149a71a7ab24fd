//! ByIssuer, FirstSuccess, FixedValidator and CachingValidator.

mod validate_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use sip_oauth::identity::Impi;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{
    Authorization, ByIssuer, CachingValidator, FirstSuccess, FixedValidator, JwtConfig,
    JwtValidator, ValidationError, Validator,
};
use validate_support::*;

const OTHER_ISSUER: &str = "https://waf.third-party.example";

fn hs_for(issuer: &str) -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec()))
            .issuer(issuer)
            .audience(AUDIENCE),
    )
    .unwrap()
}

fn rs_for(issuer: &str) -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(KeySource::Pem(data("rsa_public.pem")))
            .issuer(issuer)
            .audience(AUDIENCE),
    )
    .unwrap()
}

fn auth(impi: &str, expires_at: Option<SystemTime>) -> Authorization {
    let mut a = Authorization::new(Impi::try_from(impi).unwrap());
    a.expires_at = expires_at;
    a
}

/// Counts calls to the inner validator, to see cache hits.
struct Counting<V> {
    inner: V,
    calls: AtomicUsize,
}

impl<V: Validator> Validator for Counting<V> {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.validate(token, now)
    }
}

fn counting<V>(inner: V) -> Counting<V> {
    Counting {
        inner,
        calls: AtomicUsize::new(0),
    }
}

#[test]
fn by_issuer_routes_to_the_issuers_keys() {
    let v = ByIssuer::new()
        .route(ISSUER, rs_for(ISSUER))
        .route(OTHER_ISSUER, hs_for(OTHER_ISSUER));
    let home = sign(Algorithm::RS256, None, &claims());
    let third = sign(Algorithm::HS256, None, &with("iss", json!(OTHER_ISSUER)));
    assert!(v.validate(&home, now()).is_ok());
    assert_eq!(
        v.validate(&third, now()).unwrap().issuer.as_deref(),
        Some(OTHER_ISSUER)
    );
    // A token claiming the home issuer but HMAC-signed is checked with the home RSA key.
    let forged = sign(Algorithm::HS256, None, &claims());
    assert_eq!(
        v.validate(&forged, now()),
        Err(ValidationError::KeyMismatch)
    );
    let unknown = sign(
        Algorithm::HS256,
        None,
        &with("iss", json!("https://x.example")),
    );
    assert_eq!(
        v.validate(&unknown, now()),
        Err(ValidationError::WrongIssuer)
    );
    let none = sign(Algorithm::HS256, None, &with("iss", Value::Null));
    assert_eq!(v.validate(&none, now()), Err(ValidationError::WrongIssuer));
    assert_eq!(
        v.validate("not a token", now()),
        Err(ValidationError::InvalidSyntax)
    );
    let fallback = ByIssuer::new().fallback(hs_for(ISSUER)).max_token_bytes(64);
    assert!(matches!(
        fallback.validate(&home, now()),
        Err(ValidationError::Oversized { .. })
    ));
}

#[test]
fn by_issuer_falls_back() {
    let lax =
        JwtValidator::new(JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec())).audience(AUDIENCE))
            .unwrap();
    let v = ByIssuer::new().route(ISSUER, rs_for(ISSUER)).fallback(lax);
    let none = sign(Algorithm::HS256, None, &with("iss", Value::Null));
    assert!(v.validate(&none, now()).is_ok());
}

#[test]
fn first_success_returns_the_first_acceptance() {
    let v = FirstSuccess::new().or(rs_for(ISSUER)).or(hs_for(ISSUER));
    assert!(
        v.validate(&sign(Algorithm::HS256, None, &claims()), now())
            .is_ok()
    );
    assert!(
        v.validate(&sign(Algorithm::RS256, None, &claims()), now())
            .is_ok()
    );
}

#[test]
fn first_success_reports_the_most_advanced_failure() {
    let v = FirstSuccess::new().or(rs_for(ISSUER)).or(hs_for(ISSUER));
    // The RSA validator stops at the key (KeyMismatch); the HMAC one verifies the signature
    // and finds the token expired, which is what the client needs to hear.
    let expired = sign(Algorithm::HS256, None, &with("exp", json!(NOW_SECS - 3600)));
    assert_eq!(v.validate(&expired, now()), Err(ValidationError::Expired));
    assert_eq!(
        FirstSuccess::new().validate("x.y.z", now()),
        Err(ValidationError::UnknownToken)
    );
}

#[test]
fn fixed_validator_answers_from_its_table() {
    let v = FixedValidator::new()
        .with_token("alice-token", auth("alice@home.example", None))
        .with_token(
            "old-token",
            auth("old@home.example", Some(at(NOW_SECS - 1))),
        );
    assert_eq!(
        v.validate("alice-token", now()).unwrap().impi.as_str(),
        "alice@home.example"
    );
    assert_eq!(
        v.validate("old-token", now()),
        Err(ValidationError::Expired)
    );
    assert_eq!(
        v.validate("other", now()),
        Err(ValidationError::UnknownToken)
    );
    let any = FixedValidator::any(auth("demo@home.example", None));
    assert_eq!(
        any.validate("whatever", now()).unwrap().impi.as_str(),
        "demo@home.example"
    );
    // Usable as a trait object.
    let boxed: Box<dyn Validator> = Box::new(any);
    assert!(boxed.validate("x", now()).is_ok());
}

#[test]
fn cache_skips_the_inner_validator_on_a_hit() {
    let cache = CachingValidator::new(counting(hs_for(ISSUER)), 16);
    let token = sign(Algorithm::HS256, None, &claims());
    let first = cache.validate(&token, now()).unwrap();
    let second = cache
        .validate(&token, now() + Duration::from_secs(60))
        .unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(cache.inner().calls.load(Ordering::Relaxed), 1);
    assert_eq!(cache.len(), 1);
}

#[test]
fn cache_never_serves_past_exp() {
    let cache = CachingValidator::new(counting(hs_for(ISSUER)), 16);
    let token = sign(Algorithm::HS256, None, &claims());
    cache.validate(&token, now()).unwrap();
    // The inner validator allows 30 s leeway past exp; the cache allows none.
    let at_exp = at(NOW_SECS + 600);
    assert!(cache.validate(&token, at_exp).is_ok());
    assert_eq!(cache.inner().calls.load(Ordering::Relaxed), 2);
    let late = at(NOW_SECS + 700);
    assert_eq!(cache.validate(&token, late), Err(ValidationError::Expired));
}

#[test]
fn cache_max_age_and_tokens_without_exp() {
    let fixed = FixedValidator::any(auth("a@home.example", None));
    let no_age = CachingValidator::new(counting(fixed.clone()), 16);
    no_age.validate("t", now()).unwrap();
    no_age.validate("t", now()).unwrap();
    assert_eq!(
        no_age.inner().calls.load(Ordering::Relaxed),
        2,
        "no exp, no max age: not cached"
    );

    let aged = CachingValidator::new(counting(fixed), 16).max_age(Duration::from_secs(10));
    aged.validate("t", now()).unwrap();
    aged.validate("t", now() + Duration::from_secs(9)).unwrap();
    assert_eq!(aged.inner().calls.load(Ordering::Relaxed), 1);
    aged.validate("t", now() + Duration::from_secs(10)).unwrap();
    assert_eq!(aged.inner().calls.load(Ordering::Relaxed), 2);
}

#[test]
fn cache_does_not_confuse_tokens_or_cache_failures() {
    let cache = CachingValidator::new(counting(hs_for(ISSUER)), 16);
    let alice = sign(Algorithm::HS256, None, &claims());
    // Same length as Alice's IMPI, so the spliced token below lands in Alice's bucket.
    let bob = sign(
        Algorithm::HS256,
        None,
        &with("impi", json!("bobby_private@home.example")),
    );
    assert_eq!(
        cache.validate(&alice, now()).unwrap().impi.as_str(),
        "alice_private@home.example"
    );
    assert_eq!(
        cache.validate(&bob, now()).unwrap().impi.as_str(),
        "bobby_private@home.example"
    );
    // Same tail (signature), different body: the full comparison tells them apart.
    let (alice_input, alice_sig) = alice.rsplit_once('.').unwrap();
    let (bob_input, _) = bob.rsplit_once('.').unwrap();
    assert_eq!(alice_input.len(), bob_input.len());
    let spliced = format!("{bob_input}.{alice_sig}");
    assert_eq!(
        cache.validate(&spliced, now()),
        Err(ValidationError::BadSignature)
    );
    let calls = cache.inner().calls.load(Ordering::Relaxed);
    assert_eq!(
        cache.validate(&spliced, now()),
        Err(ValidationError::BadSignature)
    );
    assert_eq!(
        cache.inner().calls.load(Ordering::Relaxed),
        calls + 1,
        "failures are not cached"
    );
    assert_eq!(cache.len(), 2);
}

#[test]
fn cache_is_bounded() {
    let cache = CachingValidator::new(hs_for(ISSUER), 4);
    for i in 0..40 {
        let token = sign(Algorithm::HS256, None, &with("jti", json!(i)));
        cache.validate(&token, now()).unwrap();
        assert!(cache.len() <= 4);
    }
    cache.clear();
    assert!(cache.is_empty());
    let roomy = CachingValidator::new(hs_for(ISSUER), 8);
    for i in 0..8 {
        let token = sign(Algorithm::HS256, None, &with("jti", json!(i)));
        roomy.validate(&token, now()).unwrap();
    }
    assert_eq!(
        roomy.len(),
        8,
        "nothing is evicted before the cache is full"
    );
    let off = CachingValidator::new(counting(hs_for(ISSUER)), 0);
    let token = sign(Algorithm::HS256, None, &claims());
    off.validate(&token, now()).unwrap();
    off.validate(&token, now()).unwrap();
    assert_eq!(off.inner().calls.load(Ordering::Relaxed), 2);
}

#[test]
fn combinators_nest_as_trait_objects() {
    let v: Arc<dyn Validator> = Arc::new(CachingValidator::new(
        ByIssuer::new().route(
            ISSUER,
            FirstSuccess::new().or(rs_for(ISSUER)).or(hs_for(ISSUER)),
        ),
        128,
    ));
    assert!(
        v.validate(&sign(Algorithm::HS256, None, &claims()), now())
            .is_ok()
    );
    assert!(
        v.validate(&sign(Algorithm::RS256, None, &claims()), now())
            .is_ok()
    );
}
