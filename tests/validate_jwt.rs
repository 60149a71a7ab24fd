//! JwtValidator: every rejection class, claim mapping and identity checks.

mod validate_support;

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use sip_oauth::identity::IdentityError;
use sip_oauth::validate::jwt::{AuthEntitySource, ClaimNames, JwtConfigError, KeyError, KeySource};
use sip_oauth::validate::{BearerError, JwtConfig, JwtValidator, ValidationError, Validator};
use validate_support::*;

fn hs_config() -> JwtConfig {
    JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec()))
        .issuer(ISSUER)
        .audience(AUDIENCE)
}

fn rs_config() -> JwtConfig {
    JwtConfig::new(KeySource::Pem(data("rsa_public.pem")))
        .issuer(ISSUER)
        .audience(AUDIENCE)
}

fn hs(config: JwtConfig) -> JwtValidator {
    JwtValidator::new(config).unwrap()
}

fn check(
    v: &JwtValidator,
    claims: &Value,
) -> Result<std::sync::Arc<sip_oauth::validate::Authorization>, ValidationError> {
    v.validate(&sign(Algorithm::HS256, None, claims), now())
}

#[test]
fn valid_token_yields_the_authorization() {
    let v = hs(hs_config());
    let auth = check(&v, &claims()).unwrap();
    assert_eq!(auth.impi.as_str(), "alice_private@home.example");
    let impus: Vec<_> = auth.impus.iter().map(|u| u.as_str()).collect();
    assert_eq!(impus, ["sip:alice@home.example", "tel:+15551234567"]);
    assert_eq!(
        auth.wwsf.as_ref().map(|w| w.as_str()),
        Some("wwsf.web.example")
    );
    assert!(auth.scopes.contains("sip") && auth.scopes.contains("openid"));
    assert_eq!(auth.issuer.as_deref(), Some(ISSUER));
    assert_eq!(auth.subject.as_deref(), Some("user-42"));
    assert_eq!(auth.expires_at, Some(at(NOW_SECS + 600)));
    assert_eq!(auth.auth_entity, None);
}

#[test]
fn expired_and_leeway() {
    let v = hs(hs_config().leeway(Duration::from_secs(30)));
    let e = check(&v, &with("exp", json!(NOW_SECS - 31))).unwrap_err();
    assert_eq!(e, ValidationError::Expired);
    assert_eq!(
        (e.bearer_error(), e.sip_status()),
        (BearerError::InvalidToken, 401)
    );
    assert!(check(&v, &with("exp", json!(NOW_SECS - 29))).is_ok());
    // Exactly at exp (no leeway) the token is no longer valid (RFC 7519 section 4.1.4).
    let strict = hs(hs_config().leeway(Duration::ZERO));
    assert_eq!(
        check(&strict, &with("exp", json!(NOW_SECS))),
        Err(ValidationError::Expired)
    );
    assert!(check(&strict, &with("exp", json!(NOW_SECS as f64 + 0.5))).is_ok());
}

#[test]
fn missing_exp_is_refused_unless_allowed() {
    let v = hs(hs_config());
    assert_eq!(
        check(&v, &with("exp", Value::Null)),
        Err(ValidationError::MissingClaim("exp"))
    );
    let lax = hs(hs_config().require_exp(false));
    assert!(
        check(&lax, &with("exp", Value::Null))
            .unwrap()
            .expires_at
            .is_none()
    );
}

#[test]
fn not_yet_valid_nbf_and_iat() {
    let v = hs(hs_config().leeway(Duration::from_secs(30)));
    assert_eq!(
        check(&v, &with("nbf", json!(NOW_SECS + 31))),
        Err(ValidationError::NotYetValid)
    );
    assert!(check(&v, &with("nbf", json!(NOW_SECS + 29))).is_ok());
    assert_eq!(
        check(&v, &with("iat", json!(NOW_SECS + 31))),
        Err(ValidationError::NotYetValid)
    );
}

#[test]
fn wrong_issuer() {
    let v = hs(hs_config());
    assert_eq!(
        check(&v, &with("iss", json!("https://evil.example"))),
        Err(ValidationError::WrongIssuer)
    );
    assert_eq!(
        check(&v, &with("iss", Value::Null)),
        Err(ValidationError::WrongIssuer)
    );
    let two = hs(hs_config().issuer("https://other.example"));
    assert!(check(&two, &with("iss", json!("https://other.example"))).is_ok());
}

#[test]
fn wrong_audience_string_or_array() {
    let v = hs(hs_config());
    assert_eq!(
        check(&v, &with("aud", json!("someone-else"))),
        Err(ValidationError::WrongAudience)
    );
    assert_eq!(
        check(&v, &with("aud", json!(["a", "b"]))),
        Err(ValidationError::WrongAudience)
    );
    assert_eq!(
        check(&v, &with("aud", Value::Null)),
        Err(ValidationError::WrongAudience)
    );
    assert!(check(&v, &with("aud", json!(["a", AUDIENCE]))).is_ok());
    // With no audience configured, a token naming one is refused (RFC 7519 section 4.1.3).
    let none = hs(JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec())).allow_any_audience());
    assert_eq!(check(&none, &claims()), Err(ValidationError::WrongAudience));
    assert!(check(&none, &with("aud", Value::Null)).is_ok());
}

#[test]
fn bad_signature() {
    let v = hs(hs_config());
    let token = sign(Algorithm::HS256, None, &claims());
    let (input, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", b64(&[0u8; 32]));
    assert_eq!(
        v.validate(&forged, now()),
        Err(ValidationError::BadSignature)
    );
    // Claims swapped under a valid signature.
    let other = sign(
        Algorithm::HS256,
        None,
        &with("impi", json!("mallory@home.example")),
    );
    let (head, _) = token.split_once('.').unwrap();
    let (_, rest) = other.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let (_, sig) = token.rsplit_once('.').unwrap();
    let spliced = format!("{head}.{payload}.{sig}");
    assert_eq!(
        v.validate(&spliced, now()),
        Err(ValidationError::BadSignature)
    );
    // Signed with another secret.
    let key = EncodingKey::from_secret(b"another secret that is long enough.......");
    let header = r#"{"alg":"HS256"}"#;
    let wrong = sign_raw(Algorithm::HS256, &key, header, &claims().to_string());
    assert_eq!(
        v.validate(&wrong, now()),
        Err(ValidationError::BadSignature)
    );
    // RSA signature from another key pair.
    let rv = JwtValidator::new(rs_config()).unwrap();
    let key2 = EncodingKey::from_rsa_pem(&data("rsa2_private.pem")).unwrap();
    let t = sign_raw(
        Algorithm::RS256,
        &key2,
        r#"{"alg":"RS256"}"#,
        &claims().to_string(),
    );
    assert_eq!(rv.validate(&t, now()), Err(ValidationError::BadSignature));
}

#[test]
fn alg_none_is_refused() {
    let v = hs(hs_config());
    let token = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(claims().to_string().as_bytes())
    );
    assert_eq!(v.validate(&token, now()), Err(ValidationError::Unsecured));
    let upper = format!(
        "{}.{}.",
        b64(br#"{"alg":"NONE"}"#),
        b64(claims().to_string().as_bytes())
    );
    assert_eq!(v.validate(&upper, now()), Err(ValidationError::Unsecured));
}

#[test]
fn hs256_signed_with_the_rsa_public_key_pem_is_refused() {
    // The classic algorithm-confusion forgery: the attacker knows the public key and uses its
    // PEM text as an HMAC secret.
    let v = JwtValidator::new(rs_config()).unwrap();
    let key = EncodingKey::from_secret(&data("rsa_public.pem"));
    let forged = sign_raw(
        Algorithm::HS256,
        &key,
        r#"{"alg":"HS256"}"#,
        &claims().to_string(),
    );
    assert_eq!(
        v.validate(&forged, now()),
        Err(ValidationError::KeyMismatch)
    );
    // Even when HS256 is explicitly on the allow-list.
    let v =
        JwtValidator::new(rs_config().algorithms([Algorithm::HS256, Algorithm::RS256])).unwrap();
    assert_eq!(
        v.validate(&forged, now()),
        Err(ValidationError::KeyMismatch)
    );
}

#[test]
fn rsa_token_against_hmac_key_and_disallowed_algorithms() {
    let v = hs(hs_config());
    let rs = sign(Algorithm::RS256, None, &claims());
    assert_eq!(v.validate(&rs, now()), Err(ValidationError::KeyMismatch));
    let only_rs256 = JwtValidator::new(rs_config().algorithms([Algorithm::RS256])).unwrap();
    let ps = sign(Algorithm::PS256, None, &claims());
    assert_eq!(
        only_rs256.validate(&ps, now()),
        Err(ValidationError::AlgorithmNotAllowed)
    );
    let unknown = format!("{}.{}.AAAA", b64(br#"{"alg":"HS1024"}"#), b64(b"{}"));
    assert_eq!(
        v.validate(&unknown, now()),
        Err(ValidationError::AlgorithmNotAllowed)
    );
    // An allow-list that fits no key is a configuration error.
    let err = JwtValidator::new(hs_config().algorithms([Algorithm::RS256])).unwrap_err();
    assert_eq!(err, JwtConfigError::Key(KeyError::NoUsableKey));
}

#[test]
fn weak_hmac_secret_is_a_configuration_error() {
    let err = JwtValidator::new(JwtConfig::new(KeySource::Hmac(b"short".to_vec()))).unwrap_err();
    assert!(matches!(
        err,
        JwtConfigError::Key(KeyError::WeakSecret { len: 5, .. })
    ));
    // A 32-byte secret allows HS256 but not HS512 (RFC 7518 section 3.2).
    let v = JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(HMAC_SECRET[..32].to_vec()))
            .allow_any_audience()
            .require_exp(false),
    )
    .unwrap();
    let key = EncodingKey::from_secret(&HMAC_SECRET[..32]);
    let c = with("aud", Value::Null).to_string();
    assert!(
        v.validate(
            &sign_raw(Algorithm::HS256, &key, r#"{"alg":"HS256"}"#, &c),
            now()
        )
        .is_ok()
    );
    let t = sign_raw(Algorithm::HS512, &key, r#"{"alg":"HS512"}"#, &c);
    assert_eq!(v.validate(&t, now()), Err(ValidationError::KeyMismatch));
}

#[test]
fn missing_identity_claims() {
    let v = hs(hs_config());
    let mut c = with("impi", Value::Null);
    c.as_object_mut().unwrap().remove("sub");
    assert_eq!(check(&v, &c), Err(ValidationError::MissingClaim("impi")));
    let required = ClaimNames {
        require_impus: true,
        ..ClaimNames::default()
    };
    let v = hs(hs_config().claims(required));
    assert_eq!(
        check(&v, &with("impus", Value::Null)),
        Err(ValidationError::MissingClaim("impus"))
    );
    assert_eq!(
        check(&v, &with("impus", json!([]))),
        Err(ValidationError::MissingClaim("impus"))
    );
}

#[test]
fn impi_falls_back_to_sub() {
    let v = hs(hs_config());
    let c = with("impi", Value::Null);
    let mut c = c;
    c["sub"] = json!("bob@home.example");
    assert_eq!(check(&v, &c).unwrap().impi.as_str(), "bob@home.example");
    // `sub` that is not an NAI cannot serve as IMPI.
    let c = with("impi", Value::Null);
    assert!(matches!(
        check(&v, &c),
        Err(ValidationError::InvalidIdentity {
            claim: "impi",
            source: IdentityError::NotNai
        })
    ));
}

#[test]
fn malformed_identity_claims_cannot_inject() {
    let v = hs(hs_config());
    let cases: &[(&str, Value, &str, IdentityError)] = &[
        (
            "impi",
            json!("alice@home.example\r\nVia: x"),
            "impi",
            IdentityError::ControlCharacter,
        ),
        (
            "impi",
            json!("al\"ice@home.example"),
            "impi",
            IdentityError::Quote,
        ),
        (
            "impi",
            json!("alice,bob@home.example"),
            "impi",
            IdentityError::ForbiddenCharacter,
        ),
        (
            "impi",
            json!("alice@home.example\u{0}"),
            "impi",
            IdentityError::ControlCharacter,
        ),
        (
            "impus",
            json!("sip:a@b\nX: y"),
            "impus",
            IdentityError::ControlCharacter,
        ),
        (
            "impus",
            json!(["sip:a@b", "sip:c@d, <sip:e@f>"]),
            "impus",
            IdentityError::ForbiddenCharacter,
        ),
        (
            "impus",
            json!(["sip:a@b,sip:c@d"]),
            "impus",
            IdentityError::ForbiddenCharacter,
        ),
        (
            "impus",
            json!(["sip:\"a\"@b"]),
            "impus",
            IdentityError::Quote,
        ),
        (
            "impus",
            json!(["https://a"]),
            "impus",
            IdentityError::BadScheme,
        ),
        (
            "wwsf",
            json!("w\r\nx"),
            "wwsf",
            IdentityError::ControlCharacter,
        ),
        ("wwsf", json!("w\"x"), "wwsf", IdentityError::Quote),
    ];
    for (claim, value, role, source) in cases {
        let got = check(&v, &with(claim, value.clone()));
        assert_eq!(
            got,
            Err(ValidationError::InvalidIdentity {
                claim: role,
                source: *source
            }),
            "{claim} = {value}"
        );
        assert_eq!(got.unwrap_err().sip_status(), 401);
    }
}

#[test]
fn claims_of_the_wrong_type() {
    let v = hs(hs_config());
    assert_eq!(
        check(&v, &with("exp", json!("tomorrow"))),
        Err(ValidationError::InvalidClaim("exp"))
    );
    assert_eq!(
        check(&v, &with("impi", json!(42))),
        Err(ValidationError::InvalidClaim("impi"))
    );
    assert_eq!(
        check(&v, &with("impus", json!([1, 2]))),
        Err(ValidationError::InvalidClaim("impus"))
    );
    assert_eq!(
        check(&v, &with("aud", json!({"x": 1}))),
        Err(ValidationError::InvalidClaim("aud"))
    );
}

#[test]
fn configurable_claim_names_and_auth_entity() {
    let names = ClaimNames {
        impi: vec!["private_id".into()],
        impus: Some("public_ids".into()),
        require_impus: true,
        wwsf: Some("web_origin".into()),
        auth_entity: AuthEntitySource::Claim("azp".into()),
    };
    let v = hs(hs_config().claims(names));
    let mut c = claims();
    let obj = c.as_object_mut().unwrap();
    obj.insert("private_id".into(), json!("carol@visited.example"));
    obj.insert("public_ids".into(), json!("sips:carol@visited.example"));
    obj.insert("web_origin".into(), json!("https://web.example"));
    obj.insert("azp".into(), json!("waf.third-party.example"));
    let auth = check(&v, &c).unwrap();
    assert_eq!(auth.impi.as_str(), "carol@visited.example");
    assert_eq!(auth.impus[0].as_str(), "sips:carol@visited.example");
    assert_eq!(auth.wwsf.as_ref().unwrap().as_str(), "https://web.example");
    assert_eq!(
        auth.auth_entity.as_ref().unwrap().as_str(),
        "waf.third-party.example"
    );

    let by_iss = ClaimNames {
        auth_entity: AuthEntitySource::Issuer,
        ..ClaimNames::default()
    };
    let auth = check(&hs(hs_config().claims(by_iss)), &claims()).unwrap();
    assert_eq!(auth.auth_entity.as_ref().unwrap().as_str(), ISSUER);

    let too_many = ClaimNames {
        impi: vec!["a".into(); 5],
        ..ClaimNames::default()
    };
    assert!(matches!(
        JwtValidator::new(hs_config().claims(too_many)),
        Err(JwtConfigError::ImpiClaims { .. })
    ));
}

#[test]
fn insufficient_scope_from_scope_or_scp() {
    let v = hs(hs_config().required_scope("sip").required_scope("ims"));
    let e = check(&v, &claims()).unwrap_err();
    assert_eq!(
        e,
        ValidationError::InsufficientScope {
            required: vec!["sip".into(), "ims".into()]
        }
    );
    assert_eq!(
        (e.bearer_error().as_str(), e.sip_status()),
        ("insufficient_scope", 403)
    );
    assert!(check(&v, &with("scope", json!("ims sip"))).is_ok());
    let mut c = with("scope", Value::Null);
    c["scp"] = json!(["sip", "ims"]);
    assert!(check(&v, &c).is_ok());
    assert!(matches!(
        check(&v, &with("scope", Value::Null)),
        Err(ValidationError::InsufficientScope { .. })
    ));
}

#[test]
fn oversized_token_is_refused_before_decoding() {
    let v = hs(hs_config().max_token_bytes(512));
    let mut c = claims();
    c["padding"] = json!("x".repeat(600));
    let e = check(&v, &c).unwrap_err();
    assert!(matches!(e, ValidationError::Oversized { max: 512, .. }));
    assert_eq!(
        (e.bearer_error(), e.sip_status()),
        (BearerError::InvalidRequest, 400)
    );
    // The default limit is 8 KiB.
    let v = hs(hs_config());
    let junk = "a".repeat(8 * 1024 + 1);
    assert_eq!(
        v.validate(&junk, now()),
        Err(ValidationError::Oversized {
            len: 8193,
            max: 8192
        })
    );
}

#[test]
fn syntax_and_structure() {
    let v = hs(hs_config());
    for (token, want) in [
        ("", ValidationError::InvalidSyntax),
        ("abc def", ValidationError::InvalidSyntax),
        ("a\r\nb", ValidationError::InvalidSyntax),
        ("abc", ValidationError::Malformed),
        ("a.b", ValidationError::Malformed),
        ("a.b.c.d", ValidationError::Malformed),
        ("a+b/c=", ValidationError::Malformed),
        ("!!!.e30.AAAA", ValidationError::InvalidSyntax),
        ("e30.e30.AAAA", ValidationError::Malformed),
    ] {
        let got = v.validate(token, now());
        assert_eq!(got, Err(want.clone()), "{token:?}");
    }
    assert_eq!(ValidationError::InvalidSyntax.sip_status(), 400);
    // A correctly signed payload that is not JSON.
    let key = EncodingKey::from_secret(HMAC_SECRET);
    let t = sign_raw(Algorithm::HS256, &key, r#"{"alg":"HS256"}"#, "not json");
    assert_eq!(v.validate(&t, now()), Err(ValidationError::Malformed));
    // Duplicate claims are refused, not resolved.
    let dup = r#"{"iss":"x","iss":"https://waf.home.example","aud":"epcscf.home.example","exp":1800000600,"impi":"a@b.example"}"#;
    let t = sign_raw(Algorithm::HS256, &key, r#"{"alg":"HS256"}"#, dup);
    assert_eq!(v.validate(&t, now()), Err(ValidationError::Malformed));
}

#[test]
fn typ_at_jwt_accepted_and_optionally_required() {
    let key = EncodingKey::from_secret(HMAC_SECRET);
    let c = claims().to_string();
    let plain = sign_raw(Algorithm::HS256, &key, r#"{"alg":"HS256","typ":"JWT"}"#, &c);
    let bare = sign_raw(Algorithm::HS256, &key, r#"{"alg":"HS256"}"#, &c);
    let at = sign_raw(
        Algorithm::HS256,
        &key,
        r#"{"alg":"HS256","typ":"application/at+jwt"}"#,
        &c,
    );
    let id = sign_raw(
        Algorithm::HS256,
        &key,
        r#"{"alg":"HS256","typ":"dpop+jwt"}"#,
        &c,
    );
    let v = hs(hs_config());
    assert!(v.validate(&plain, now()).is_ok());
    assert!(v.validate(&bare, now()).is_ok());
    assert!(v.validate(&at, now()).is_ok());
    assert_eq!(v.validate(&id, now()), Err(ValidationError::WrongType));
    let strict = hs(hs_config().require_at_jwt(true));
    assert_eq!(
        strict.validate(&plain, now()),
        Err(ValidationError::WrongType)
    );
    assert!(strict.validate(&at, now()).is_ok());
    let crit = sign_raw(
        Algorithm::HS256,
        &key,
        r#"{"alg":"HS256","crit":["exp"]}"#,
        &c,
    );
    assert_eq!(
        v.validate(&crit, now()),
        Err(ValidationError::CriticalHeader)
    );
}

#[test]
fn public_keys_from_pem_and_der() {
    let der = JwtValidator::new(
        JwtConfig::new(KeySource::Der(data("rsa_public.der")))
            .issuer(ISSUER)
            .audience(AUDIENCE),
    )
    .unwrap();
    assert!(
        der.validate(&sign(Algorithm::RS256, None, &claims()), now())
            .is_ok()
    );
    assert_eq!(
        JwtValidator::new(JwtConfig::new(KeySource::Pem(b"not a key".to_vec()))).unwrap_err(),
        JwtConfigError::Key(KeyError::InvalidPem)
    );
    assert_eq!(
        JwtValidator::new(JwtConfig::new(KeySource::Der(vec![0x30, 0x00]))).unwrap_err(),
        JwtConfigError::Key(KeyError::InvalidDer)
    );
}

#[test]
fn errors_never_echo_the_token() {
    let v = hs(hs_config());
    let token = sign(Algorithm::HS256, None, &with("exp", json!(1)));
    let e = v.validate(&token, now()).unwrap_err();
    for text in [e.description().to_owned(), e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(&token[..20]));
    }
}

#[test]
fn a_validator_without_audience_must_be_allowed_explicitly() {
    let e = JwtValidator::new(JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec()))).unwrap_err();
    assert_eq!(e, JwtConfigError::NoAudience);
    let text = e.to_string();
    assert!(text.contains("no audience configured"), "{text}");
    assert!(text.contains("allow any audience"), "{text}");
    // Allowed explicitly: a token naming no audience is accepted, one naming any is not.
    let any = hs(JwtConfig::new(KeySource::Hmac(HMAC_SECRET.to_vec())).allow_any_audience());
    assert!(check(&any, &with("aud", Value::Null)).is_ok());
    assert_eq!(check(&any, &claims()), Err(ValidationError::WrongAudience));
    // With an audience, allowing any changes nothing.
    let both = hs(hs_config().allow_any_audience());
    assert!(check(&both, &claims()).is_ok());
    assert_eq!(
        check(&both, &with("aud", Value::Null)),
        Err(ValidationError::WrongAudience)
    );
}

fn jwks_validator(max_keys_without_kid: Option<usize>) -> JwtValidator {
    let mut config = JwtConfig::new(KeySource::Jwks(jwks("jwks_all.json")))
        .issuer(ISSUER)
        .audience(AUDIENCE);
    if let Some(n) = max_keys_without_kid {
        config = config.max_keys_without_kid(n);
    }
    JwtValidator::new(config).unwrap()
}

fn rsa2_without_kid() -> String {
    let key = EncodingKey::from_rsa_pem(&data("rsa2_private.pem")).unwrap();
    sign_raw(
        Algorithm::RS256,
        &key,
        r#"{"alg":"RS256"}"#,
        &claims().to_string(),
    )
}

#[test]
fn a_token_without_kid_is_checked_against_one_key_by_default() {
    // jwks_all.json: rsa-1, rsa-2, ec256-1, ec384-1, ed-1. A kid-less token signed by
    // rsa-2, the second RS256 key, is checked against rsa-1 only.
    let v = jwks_validator(None);
    assert_eq!(
        v.validate(&rsa2_without_kid(), now()),
        Err(ValidationError::BadSignature)
    );
    // The first key usable for the algorithm is the one tried: rsa-1 for RS256, ec256-1 for
    // ES256 (the RSA keys before it do not fit).
    assert!(
        v.validate(&sign(Algorithm::RS256, None, &claims()), now())
            .is_ok()
    );
    assert!(
        v.validate(&sign(Algorithm::ES256, None, &claims()), now())
            .is_ok()
    );
    // With kid, the named key is used whatever the limit.
    let key = EncodingKey::from_rsa_pem(&data("rsa2_private.pem")).unwrap();
    let named = sign_raw(
        Algorithm::RS256,
        &key,
        r#"{"alg":"RS256","kid":"rsa-2"}"#,
        &claims().to_string(),
    );
    assert!(v.validate(&named, now()).is_ok());
    // 0 is taken as 1.
    assert_eq!(
        jwks_validator(Some(0)).validate(&rsa2_without_kid(), now()),
        Err(ValidationError::BadSignature)
    );
}

#[test]
fn a_raised_limit_admits_a_token_without_kid_signed_by_a_later_key() {
    assert!(
        jwks_validator(Some(2))
            .validate(&rsa2_without_kid(), now())
            .is_ok()
    );
    assert!(
        jwks_validator(Some(64))
            .validate(&rsa2_without_kid(), now())
            .is_ok()
    );
}
