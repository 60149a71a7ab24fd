//! The configuration specifications: JSON and TOML documents build the same edge, unknown
//! keys and bad values are errors naming their key, and every key reaches the edge's or the
//! validator's behaviour, seen on a REGISTER.
#![cfg(feature = "serde")]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use sip_oauth::edge::{Edge, RejectCause, RequestDecision};
use sip_oauth::spec::{self, EdgeSpec, JwtSpec, Spec, SpecErrorKind};
use sip_oauth::token::TokenLocation;

const SECRET: &str = "spec-test-secret-0123456789abcdef0123";

fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Bob's claims, with `edit` applied, signed with [`SECRET`] under `alg` and `typ`.
fn token(
    alg: jsonwebtoken::Algorithm,
    typ: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> String {
    let mut claims = bob_claims(600);
    edit(&mut claims);
    let mut header = jsonwebtoken::Header::new(alg);
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn bob_token() -> String {
    token(jsonwebtoken::Algorithm::HS256, "JWT", |_| {})
}

/// Every key of the specification, in JSON.
fn full_json() -> String {
    format!(
        r#"{{
  "edge": {{
    "home_domain": "{HOME}", "edge_host": "{EDGE_HOST}",
    "flow_key": {{"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}},
    "previous_flow_key": {{"text": "the-key-before-0123"}}, "epoch": 1234567,
    "realm": "realm.example", "core_transport": "tcp",
    "token_location": ["transport", "header:X-Token"],
    "visited_network_id": "visited.example", "orig_ioi": "ioi.example",
    "auth_entity": "header:P-Auth-Entity", "challenge_scope": "sip:register",
    "authz_server": "https://waf.example/token", "expiry_policy": "reject",
    "reply_to_tag": "spec7", "allow_insecure_transport": true,
    "also_home_domains": ["second.example"], "min_token_lifetime_seconds": 30,
    "max_registrations": 5000,
    "limits": {{"max_message_bytes": 4000, "max_headers": 40, "max_line_bytes": 2000}}
  }},
  "jwt": {{
    "key": {{"hmac_secret": {{"text": "{SECRET}"}}}},
    "algorithms": ["HS256"], "issuer": ["{ISSUER}"], "audience": "sip:{HOME}",
    "required_scopes": ["sip:register"], "leeway_seconds": 20, "require_exp": true,
    "require_at_jwt": false, "max_token_bytes": 2000,
    "claims": {{"impi": ["alt_impi", "impi"], "impus": "impus", "require_impus": true,
               "wwsf": null, "auth_entity": "fixed:waf.example"}}
  }}
}}"#
    )
}

/// The same, in TOML.
fn full_toml() -> String {
    format!(
        r#"
[edge]
home_domain = "{HOME}"
edge_host = "{EDGE_HOST}"
flow_key = {{ base64 = "MDEyMzQ1Njc4OWFiY2RlZg" }}
previous_flow_key = {{ text = "the-key-before-0123" }}
epoch = 1234567
realm = "realm.example"
core_transport = "tcp"
token_location = "transport,header:X-Token"
visited_network_id = "visited.example"
orig_ioi = "ioi.example"
auth_entity = {{ header = "P-Auth-Entity" }}
challenge_scope = "sip:register"
authz_server = "https://waf.example/token"
expiry_policy = "reject"
reply_to_tag = "spec7"
allow_insecure_transport = true
also_home_domains = ["second.example"]
min_token_lifetime_seconds = 30
max_registrations = 5000
limits = {{ max_message_bytes = 4000, max_headers = 40, max_line_bytes = 2000 }}

[jwt]
algorithms = ["HS256"]
issuer = "{ISSUER}"
audience = ["sip:{HOME}"]
required_scopes = "sip:register"
leeway_seconds = 20
require_exp = true
require_at_jwt = false
max_token_bytes = 2000
key = {{ hmac_secret = {{ text = "{SECRET}" }} }}

[jwt.claims]
impi = ["alt_impi", "impi"]
impus = "impus"
require_impus = true
wwsf = ""
auth_entity = {{ fixed = "waf.example" }}
"#
    )
}

fn from_toml(text: &str) -> Result<Spec, sip_oauth::spec::SpecError> {
    let value: toml::Value = toml::from_str(text).unwrap();
    spec::deserialize("", value)
}

fn edge_of(spec: &Spec) -> Edge {
    let validator = spec.jwt.confined(spec.jwt.build().unwrap());
    Edge::from_shared(std::sync::Arc::new(spec.edge.build().unwrap()), validator)
}

#[test]
fn confinement_reaches_the_validator() {
    // Bob's token names home identities; an issuer confined elsewhere may not vouch.
    let json = full_json().replace(
        r#""key": {"#,
        r#""confine": {"impi_realms": ["partner.example"], "tel_prefixes": ["+49"]}, "key": {"#,
    );
    let spec = Spec::from_json(&json).unwrap();
    let (_, reply) = replied(edge_of(&spec).on_request(register_x_token(&bob_token()), &wss()));
    assert!(
        reply.starts_with("SIP/2.0 403 Forbidden (identity outside the issuer's domains)"),
        "{reply}"
    );
    // Unknown keys inside it are named.
    let bad = full_json().replace(r#""key": {"#, r#""confine": {"realms": []}, "key": {"#);
    let e = Spec::from_json(&bad).unwrap_err();
    assert!(e.to_string().starts_with("jwt.confine"), "{e}");
}

/// The sample REGISTER asking for 3600 s, its token in `X-Token`.
fn long_register(token: &str) -> Vec<u8> {
    register_with(
        &format!("Authorization: Bearer {}", sample_token()),
        &format!("X-Token: {token}"),
    )
}

/// The same asking for 300 s, within the token's lifetime.
fn register_x_token(token: &str) -> Vec<u8> {
    text(&long_register(token))
        .replace("xpires: 3600", "xpires: 300")
        .replace("expires=3600", "expires=300")
        .into_bytes()
}

#[test]
fn json_and_toml_build_the_same_edge() {
    let json = Spec::from_json(&full_json()).unwrap();
    let toml = from_toml(&full_toml()).unwrap();
    let (a, b) = (json.edge.build().unwrap(), toml.edge.build().unwrap());
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.registration_capacity(), 5000);
    let request = register_x_token(&bob_token());
    let out_a = forwarded(edge_of(&json).on_request(request.clone(), &wss()));
    let out_b = forwarded(edge_of(&toml).on_request(request, &wss()));
    assert_eq!(text(&out_a), text(&out_b));
}

#[test]
fn every_edge_key_reaches_the_forwarded_register() {
    let spec = Spec::from_json(&full_json()).unwrap();
    let request = register_x_token(&token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
        c["alt_impi"] = serde_json::json!(format!("alt@{HOME}"));
    }));
    let out = forwarded(edge_of(&spec).on_request(request, &wss()));
    let out = text(&out);
    assert!(out.contains("username=\"alt@"), "impi claim order: {out}");
    assert!(out.contains("realm=\"realm.example\""), "realm: {out}");
    assert!(
        out.contains("Via: SIP/2.0/TCP pcscf.visited.example:5060"),
        "core_transport: {out}"
    );
    assert!(
        out.contains("P-Visited-Network-ID: visited.example"),
        "{out}"
    );
    assert!(out.contains("orig-ioi=ioi.example"), "orig_ioi: {out}");
    assert!(
        out.contains("P-Auth-Entity: waf.example"),
        "auth_entity: {out}"
    );
    assert!(
        !out.contains("X-Token"),
        "the token stays at the edge: {out}"
    );
}

#[test]
fn home_domains_and_the_minimum_lifetime_reach_the_edge() {
    let spec = Spec::from_json(&full_json()).unwrap();
    let raw = String::from_utf8(register_x_token(&bob_token()))
        .unwrap()
        .replacen(
            &format!("REGISTER sip:{HOME} "),
            "REGISTER sip:second.example ",
            1,
        );
    let out = forwarded(edge_of(&spec).on_request(raw.into_bytes(), &wss()));
    assert!(
        text(&out).contains("uri=\"sip:second.example\""),
        "{}",
        text(&out)
    );
    let raw = String::from_utf8(register_x_token(&bob_token()))
        .unwrap()
        .replacen(
            &format!("REGISTER sip:{HOME} "),
            "REGISTER sip:third.example ",
            1,
        );
    let (_, reply) = replied(edge_of(&spec).on_request(raw.into_bytes(), &wss()));
    assert!(reply.starts_with("SIP/2.0 403"), "{reply}");
    // 30 s is enough under this configuration, not under the default of 60 s.
    let short = token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
        c["exp"] = serde_json::json!(secs(now()) + 45)
    });
    let short_register = || {
        let raw = String::from_utf8(register_x_token(&short)).unwrap();
        raw.replace("=300", "=40")
            .replace(": 300", ": 40")
            .into_bytes()
    };
    let d = edge_of(&spec).on_request(short_register(), &wss());
    assert!(matches!(d, RequestDecision::Forward { .. }), "{d:?}");
    let default = Spec::from_json(&full_json().replace(
        r#""min_token_lifetime_seconds": 30"#,
        r#""min_token_lifetime_seconds": 60"#,
    ))
    .unwrap();
    let (_, reply) = replied(edge_of(&default).on_request(short_register(), &wss()));
    assert!(reply.starts_with("SIP/2.0 401"), "{reply}");
}

#[test]
fn epoch_and_previous_flow_key_reach_the_flow_tokens() {
    use sip_oauth::edge::{FlowId, FlowTokenCodec, FlowTokenError};
    let spec = Spec::from_json(&full_json()).unwrap();
    assert_eq!(spec.edge.epoch, Some(1234567));
    let config = spec.edge.build().unwrap();
    let codec = config.flow_codec();
    assert_eq!(codec.epoch(), 1234567);
    // A branch minted with the previous key in this epoch still verifies.
    let before = FlowTokenCodec::new(b"the-key-before-0123")
        .unwrap()
        .with_epoch(1234567);
    let b = before.branch(FlowId(9), &[b"t"], None);
    assert_eq!(codec.flow_from_branch(&b), Ok(FlowId(9)));
    // One of another epoch does not.
    let b = before
        .clone()
        .with_epoch(1)
        .branch(FlowId(9), &[b"t"], None);
    assert_eq!(
        codec.flow_from_branch(&b),
        Err(FlowTokenError::EarlierEpoch { minted: 1 })
    );
    // Without the keys the defaults hold: epoch 0, no previous key.
    let json = full_json().replace(
        r#""previous_flow_key": {"text": "the-key-before-0123"}, "epoch": 1234567,"#,
        "",
    );
    let config = Spec::from_json(&json).unwrap().edge.build().unwrap();
    assert_eq!(config.flow_codec().epoch(), 0);
    let b = before.with_epoch(0).branch(FlowId(9), &[b"t"], None);
    assert_eq!(
        config.flow_codec().flow_from_branch(&b),
        Err(FlowTokenError::BadMac)
    );
    // A short previous key is refused and named.
    let json = full_json().replace("the-key-before-0123", "short");
    let e = Spec::from_json(&json).unwrap().edge.build().unwrap_err();
    assert_eq!(e.key, "edge.previous_flow_key");
}

#[test]
fn allow_insecure_transport_reaches_the_edge() {
    let request = register_x_token(&bob_token());
    let mut udp = wss();
    udp.transport = sip_oauth::edge::Transport::Udp;
    // Allowed: the token over UDP is judged like any other.
    let spec = Spec::from_json(&full_json()).unwrap();
    assert!(spec.edge.allow_insecure_transport == Some(true));
    let d = edge_of(&spec).on_request(request.clone(), &udp);
    assert!(matches!(d, RequestDecision::Forward { .. }), "{d:?}");
    // Absent (the default, RFC 6750 5.3): refused.
    let json = full_json().replace("\"allow_insecure_transport\": true,", "");
    let spec = Spec::from_json(&json).unwrap();
    assert_eq!(spec.edge.allow_insecure_transport, None);
    let (_, reply) = replied(edge_of(&spec).on_request(request, &udp));
    assert!(
        reply.starts_with("SIP/2.0 403 Forbidden (bearer token needs a secure transport)"),
        "{reply}"
    );
}

#[test]
fn challenge_keys_reach_the_401_and_the_reply_tag() {
    let spec = Spec::from_json(&full_json()).unwrap();
    let request = register_with(&format!("Authorization: Bearer {}\r\n", sample_token()), "");
    let (_, reply) = replied(edge_of(&spec).on_request(request, &wss()));
    assert!(reply.starts_with("SIP/2.0 401"), "{reply}");
    assert!(reply.contains("realm=\"realm.example\""), "{reply}");
    assert!(reply.contains("scope=\"sip:register\""), "{reply}");
    assert!(
        reply.contains("authz_server=\"https://waf.example/token\""),
        "{reply}"
    );
    assert!(reply.contains(";tag=spec7"), "{reply}");
}

#[test]
fn expiry_policy_and_limits_reach_the_edge() {
    let spec = Spec::from_json(&full_json()).unwrap();
    // The sample asks for 3600 s; the token lives 600 s, and the policy is `reject`.
    let (_, reply) = replied(edge_of(&spec).on_request(long_register(&bob_token()), &wss()));
    assert!(reply.starts_with("SIP/2.0 403"), "{reply}");
    // max_message_bytes = 4000.
    let mut big = text(&register_x_token(&bob_token())).to_owned();
    big = big.replacen(
        "\r\n\r\n",
        &format!("\r\nX-Pad: {}\r\n\r\n", "p".repeat(1900)),
        1,
    );
    big = big.replacen(
        "\r\n\r\n",
        &format!("\r\nX-Pad: {}\r\n\r\n", "p".repeat(1900)),
        1,
    );
    let d = edge_of(&spec).on_request(big.into_bytes(), &wss());
    assert!(!matches!(d, RequestDecision::Forward { .. }), "{d:?}");
}

/// The JWT keys, each shown by a token refused only because of it.
#[test]
fn every_jwt_key_reaches_the_validator() {
    let spec = Spec::from_json(&full_json()).unwrap();
    let edge = edge_of(&spec);
    let short = |c: &mut serde_json::Value| c["exp"] = serde_json::json!(secs(now()) + 300);
    let fine = token(jsonwebtoken::Algorithm::HS256, "JWT", short);
    let admit = |t: &str| {
        matches!(
            edge.on_request(register_x_token(t), &wss()),
            RequestDecision::Forward { .. }
        )
    };
    assert!(admit(&fine));
    let refused: [(&str, String); 7] = [
        (
            "algorithms",
            token(jsonwebtoken::Algorithm::HS384, "JWT", short),
        ),
        (
            "issuer",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                short(c);
                c["iss"] = "https://other.example".into()
            }),
        ),
        (
            "audience",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                short(c);
                c["aud"] = "sip:other.example".into()
            }),
        ),
        (
            "required_scopes",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                short(c);
                c["scope"] = "sip:other".into()
            }),
        ),
        (
            "require_exp",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        (
            "require_impus",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                short(c);
                c.as_object_mut().unwrap().remove("impus");
            }),
        ),
        (
            "max_token_bytes",
            token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
                short(c);
                c["pad"] = "x".repeat(2000).into()
            }),
        ),
    ];
    for (key, t) in &refused {
        assert!(!admit(t), "jwt.{key} was not applied");
    }
    // The leeway of 20 s: a token 19 s past `exp` still verifies, so it is refused by
    // the edge as expiring too soon; one 21 s past it does not verify at all.
    let edge = edge_of(&spec);
    let expired = |by: i64| {
        token(jsonwebtoken::Algorithm::HS256, "JWT", |c| {
            c["exp"] = serde_json::json!(secs(now()) - by)
        })
    };
    let cause = |t: &str| match edge.on_request(register_x_token(t), &wss()) {
        RequestDecision::Reply { rejection, .. } => rejection.cause,
        other => panic!("not refused: {other:?}"),
    };
    assert!(
        matches!(
            cause(&expired(19)),
            RejectCause::ExpiresTooSoon { remaining: 0, .. }
        ),
        "jwt.leeway_seconds was not applied"
    );
    assert_eq!(
        cause(&expired(21)),
        RejectCause::Invalid(sip_oauth::validate::ValidationError::Expired)
    );
}

#[test]
fn require_at_jwt_and_claim_defaults_reach_the_validator() {
    let base = Spec::from_json(&full_json()).unwrap();
    let doc = full_json().replace("\"require_at_jwt\": false", "\"require_at_jwt\": true");
    let strict = Spec::from_json(&doc).unwrap();
    let short = |c: &mut serde_json::Value| c["exp"] = serde_json::json!(secs(now()) + 300);
    let r = register_x_token;
    let plain = token(jsonwebtoken::Algorithm::HS256, "JWT", short);
    let at = token(jsonwebtoken::Algorithm::HS256, "at+jwt", short);
    assert!(matches!(
        edge_of(&base).on_request(r(&plain), &wss()),
        RequestDecision::Forward { .. }
    ));
    assert!(!matches!(
        edge_of(&strict).on_request(r(&plain), &wss()),
        RequestDecision::Forward { .. }
    ));
    assert!(matches!(
        edge_of(&strict).on_request(r(&at), &wss()),
        RequestDecision::Forward { .. }
    ));
}

#[test]
fn capi_spellings_and_text_spellings_agree() {
    let parse = |v: &str| -> TokenLocation {
        let doc = format!(
            r#"{{"home_domain": "a.example", "edge_host": "b.example",
                "flow_key": {{"text": "0123456789abcdef"}}, "token_location": {v}}}"#
        );
        EdgeSpec::from_json(&doc).unwrap().token_location.unwrap()
    };
    assert_eq!(
        parse(r#""authorization_bearer""#),
        parse(r#""authorization""#)
    );
    assert_eq!(
        parse(r#""proxy_authorization_bearer""#),
        parse(r#""proxy-authorization""#)
    );
    assert_eq!(
        parse(r#"{"header": "X-Token"}"#),
        parse(r#""header:X-Token""#)
    );
    assert_eq!(
        parse(r#"{"auth_param": {"header": "proxy_authorization", "param": "tok"}}"#),
        parse(r#""proxy-auth-param:tok""#)
    );
    assert_eq!(
        parse(r#"{"request_uri_param": "t"}"#),
        parse(r#""uri-param:t""#)
    );
    assert_eq!(
        parse(r#"{"contact_uri_param": "t"}"#),
        parse(r#""contact-uri-param:t""#)
    );
    assert_eq!(
        parse(r#"{"first_of": ["transport", {"header": "X-Token"}]}"#),
        parse(r#""transport, header:X-Token""#)
    );
    assert_eq!(
        parse(r#"["authorization", "transport"]"#),
        parse(r#""any""#)
    );
    assert_eq!("any".parse::<TokenLocation>().unwrap(), parse(r#""any""#));
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let cases = [
        (
            full_json().replace("\"realm\"", "\"relm\""),
            "edge.relm",
            "relm",
        ),
        (
            full_json().replace("\"leeway_seconds\"", "\"leeway\""),
            "jwt.leeway",
            "leeway",
        ),
        (
            full_json().replace("\"require_impus\"", "\"need_impus\""),
            "jwt.claims.need_impus",
            "need_impus",
        ),
        (
            full_json().replace("\"max_headers\"", "\"headers\""),
            "edge.limits.headers",
            "headers",
        ),
        (full_json().replace("\"jwt\":", "\"jwts\":"), "jwts", "jwts"),
    ];
    for (doc, key, name) in cases {
        let e = Spec::from_json(&doc).unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.kind),
            (key, SpecErrorKind::Document),
            "{e}"
        );
        assert!(
            e.to_string().contains(&format!("unknown field `{name}`")),
            "{e}"
        );
    }
    let e = from_toml(&full_toml().replace("orig_ioi", "orig_iot")).unwrap_err();
    assert_eq!(e.key, "edge.orig_iot", "{e}");
    assert!(e.to_string().contains("orig_iot"), "{e}");
    let e = EdgeSpec::from_json(
        r#"{"home_domain": "a.example", "edge_host": "b.example",
        "flow_key": {"text": "0123456789abcdef"}, "home_domian": "x"}"#,
    )
    .unwrap_err();
    assert_eq!(e.key, "edge.home_domian", "{e}");
}

#[test]
fn bad_values_are_errors_naming_the_key() {
    let json = full_json();
    let cases: Vec<(String, &str, SpecErrorKind)> = vec![
        (
            json.replace(
                r#"{"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}"#,
                r#"{"hex": "0g"}"#,
            ),
            "edge.flow_key",
            SpecErrorKind::Value,
        ),
        (
            json.replace(
                r#"{"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}"#,
                r#"{"base64": "*"}"#,
            ),
            "edge.flow_key",
            SpecErrorKind::Value,
        ),
        (
            json.replace(
                r#"{"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}"#,
                r#"{"hex": "0001"}"#,
            ),
            "edge.flow_key",
            SpecErrorKind::Value,
        ),
        (
            json.replace(
                r#"{"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}"#,
                r#"{"hexa": "00"}"#,
            ),
            "edge.flow_key",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#"["HS256"]"#, r#"["HS256", "none"]"#),
            "jwt.algorithms[1]",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#"["HS256"]"#, "[]"),
            "jwt.algorithms",
            SpecErrorKind::Value,
        ),
        (
            json.replace(r#"["transport", "header:X-Token"]"#, r#""cookie:x""#),
            "edge.token_location",
            SpecErrorKind::Document,
        ),
        (
            json.replace(
                r#"["transport", "header:X-Token"]"#,
                r#"["transport", "header:X Token"]"#,
            ),
            "edge.token_location[1]",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#"["transport", "header:X-Token"]"#, "[]"),
            "edge.token_location",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""leeway_seconds": 20"#, r#""leeway_seconds": 86400"#),
            "jwt.leeway_seconds",
            SpecErrorKind::Value,
        ),
        (
            json.replace(r#""leeway_seconds": 20"#, r#""leeway_seconds": -1"#),
            "jwt.leeway_seconds",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""leeway_seconds": 20"#, r#""leeway_seconds": 1e40"#),
            "jwt.leeway_seconds",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""max_headers": 40"#, r#""max_headers": 0"#),
            "edge.limits.max_headers",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""max_token_bytes": 2000"#, r#""max_token_bytes": 0"#),
            "jwt.max_token_bytes",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""reject""#, r#""refuse""#),
            "edge.expiry_policy",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#""core_transport": "tcp""#, r#""core_transport": "sctp""#),
            "edge.core_transport",
            SpecErrorKind::Document,
        ),
        (
            json.replace("header:P-Auth-Entity", "cookie:x"),
            "edge.auth_entity",
            SpecErrorKind::Document,
        ),
        (
            json.replace("fixed:waf.example", "claim:"),
            "jwt.claims.auth_entity",
            SpecErrorKind::Document,
        ),
        (
            json.replace(r#"["alt_impi", "impi"]"#, "[]"),
            "jwt.claims.impi",
            SpecErrorKind::Value,
        ),
        (
            json.replace("realm.example", "realm\\r\\nX-Evil: 1"),
            "edge.realm",
            SpecErrorKind::Value,
        ),
        (
            json.replace(EDGE_HOST, "pcscf example"),
            "edge.edge_host",
            SpecErrorKind::Value,
        ),
        (
            json.replace("\"spec7\"", "\"a b\""),
            "edge.reply_to_tag",
            SpecErrorKind::Value,
        ),
        (
            json.replace("ioi.example", "ioi;x"),
            "edge.orig_ioi",
            SpecErrorKind::Value,
        ),
        (
            json.replace(SECRET, "short"),
            "jwt.key",
            SpecErrorKind::Keys,
        ),
        (
            json.replace(r#""require_exp": true"#, r#""require_exp": "yes""#),
            "jwt.require_exp",
            SpecErrorKind::Document,
        ),
    ];
    for (doc, key, kind) in cases {
        let e = Spec::from_json(&doc)
            .and_then(|s| s.edge.build().map(|_| s))
            .and_then(|s| s.jwt.build().map(|_| ()))
            .expect_err(key);
        assert_eq!((e.key.as_str(), e.kind), (key, kind), "{e}");
        assert!(e.to_string().starts_with(&format!("{key}: ")), "{e}");
        assert!(!e.to_string().contains(SECRET), "{e}");
    }
}

#[test]
fn syntax_errors_and_trailing_text_are_document_errors() {
    let e = JwtSpec::from_json("{").unwrap_err();
    assert_eq!((e.key.as_str(), e.kind), ("jwt", SpecErrorKind::Document));
    let e = JwtSpec::from_json(r#"{"key": {"pem": "x"}} x"#).unwrap_err();
    assert_eq!((e.key.as_str(), e.kind), ("jwt", SpecErrorKind::Document));
    let e = JwtSpec::from_json("{}").unwrap_err();
    assert!(e.to_string().contains("missing field `key`"), "{e}");
}

/// Found by the `spec_json` fuzz target: the `?` ending an unknown key's own name was cut
/// as if it marked the unknown part of a syntax error's path.
#[test]
fn an_unknown_key_ending_in_a_question_mark_is_named_whole() {
    let e = Spec::from_json(r#"{"edg?": 1}"#).unwrap_err();
    assert_eq!(e.key, "edg?", "{e}");
    let e = Spec::from_json(r#"{"edge": {"realm?": 1}}"#).unwrap_err();
    assert_eq!(e.key, "edge.realm?", "{e}");
    let e = JwtSpec::from_json("{").unwrap_err();
    assert_eq!(e.key, "jwt", "{e}");
}

/// Found by the `spec_json` fuzz target: a document that is an array was read as the
/// specification's values in order, and its errors named `[0]`, no key.
#[test]
fn a_document_that_is_not_an_object_is_refused_naming_the_document() {
    let e = Spec::from_json(r#"["edge", {"key": {"pem": "x"}}]"#).unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.kind),
        ("(document)", SpecErrorKind::Document),
        "{e}"
    );
    let whole = full_json();
    let edge_start = whole.find("\"edge\": ").unwrap() + "\"edge\": ".len();
    let jwt_start = whole.find(",\n  \"jwt\": ").unwrap();
    let edge = &whole[edge_start..jwt_start];
    let jwt = &whole[jwt_start + ",\n  \"jwt\": ".len()..whole.len() - 2];
    // The same values in an array, in order, are not a specification either.
    let e = Spec::from_json(&format!(" \n[{edge}, {jwt}]")).unwrap_err();
    assert_eq!(e.key, "(document)", "{e}");
    assert!(Spec::from_json(&format!("{{\"edge\": {edge}, \"jwt\": {jwt}}}")).is_ok());
    for (e, key) in [
        (EdgeSpec::from_json("[1]").unwrap_err(), "edge"),
        (JwtSpec::from_json("\"x\"").unwrap_err(), "jwt"),
    ] {
        assert_eq!(
            (e.key.as_str(), e.kind),
            (key, SpecErrorKind::Document),
            "{e}"
        );
    }
}

#[test]
fn key_files_are_read() {
    let dir = std::env::temp_dir().join(format!("sip-oauth-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = dir.join("secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let pem = format!(
        "{}/examples/keys/rs256_public.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let docs = [
        format!(
            r#"{{"key": {{"hmac_secret": {{"file": {:?}}}}}, "allow_any_audience": true}}"#,
            secret
        ),
        format!(r#"{{"key": {{"pem_file": {pem:?}}}, "audience": "sip:{HOME}"}}"#),
    ];
    for doc in docs {
        JwtSpec::from_json(&doc).unwrap().build().unwrap();
    }
    let missing = format!(
        r#"{{"key": {{"jwks_file": {:?}}}, "allow_any_audience": true}}"#,
        dir.join("none.json")
    );
    let e = JwtSpec::from_json(&missing).unwrap().build().unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.kind),
        ("jwt.key", SpecErrorKind::Keys),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audience_is_required_unless_any_is_allowed() {
    let base = r#"{"key": {"hmac_secret": {"text": "spec-test-secret-0123456789abcdef0123"}}"#;
    let e = JwtSpec::from_json(&format!("{base}}}"))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(
        (e.key.as_str(), e.kind),
        ("jwt.audience", SpecErrorKind::Value),
        "{e}"
    );
    assert!(e.to_string().contains("allow_any_audience"), "{e}");
    let e = JwtSpec::from_json(&format!(r#"{base}, "allow_any_audience": false}}"#))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(e.key.as_str(), "jwt.audience", "{e}");
    JwtSpec::from_json(&format!(r#"{base}, "allow_any_audience": true}}"#))
        .unwrap()
        .build()
        .unwrap();
    JwtSpec::from_json(&format!(r#"{base}, "audience": "sip:{HOME}"}}"#))
        .unwrap()
        .build()
        .unwrap();
}

#[test]
fn max_keys_without_kid_reaches_the_validator() {
    use base64::Engine;
    use sip_oauth::validate::Validator;
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    // Two oct keys without kid; the token (no kid) is signed with the second.
    let doc = |extra: &str| {
        format!(
            r#"{{"key": {{"jwks": {{"keys": [
                {{"kty": "oct", "k": "{}"}}, {{"kty": "oct", "k": "{}"}}]}}}},
              "audience": "sip:{HOME}"{extra}}}"#,
            b64(b"another-secret-of-at-least-32-bytes!!"),
            b64(SECRET.as_bytes()),
        )
    };
    let t = token(jsonwebtoken::Algorithm::HS256, "JWT", |_| {});
    let one = JwtSpec::from_json(&doc("")).unwrap().build().unwrap();
    assert_eq!(
        one.validate(&t, now()).unwrap_err(),
        sip_oauth::validate::ValidationError::BadSignature
    );
    let two = JwtSpec::from_json(&doc(r#", "max_keys_without_kid": 2"#))
        .unwrap()
        .build()
        .unwrap();
    assert!(two.validate(&t, now()).is_ok());
    let e = JwtSpec::from_json(&doc(r#", "max_keys_without_kid": 0"#)).unwrap_err();
    assert_eq!(e.kind, SpecErrorKind::Document, "{e}");
}

#[test]
fn an_unknown_key_is_named_whole_whatever_it_ends_with() {
    // Fuzz findings: the key's own trailing `?` or `.` is part of its name.
    for name in ["ed-ge.", "ed?ge?", "x..", "."] {
        let doc = format!(r#"{{"{name}": 1}}"#);
        let e = Spec::from_json(&doc).unwrap_err();
        assert_eq!(e.key, name, "{e}");
        assert!(
            e.to_string().starts_with(&format!("{name}: unknown field")),
            "{e}"
        );
    }
    // A syntax error inside a known table names the table.
    let e = Spec::from_json(r#"{"edge": {"home_domain": }}"#).unwrap_err();
    assert!(e.key.starts_with("edge"), "{e}");
}

#[test]
fn introspection_and_a_key_set_url_are_read_from_json() {
    let json = full_json().replace(
        r#""jwt": {"#,
        r#""introspection": {"url": "http://waf.example/introspect", "client_id": "ep",
            "client_secret": {"text": "s3cret"}, "timeout_ms": 500, "retry_after_seconds": 5,
            "cache": 0},
          "jwt": {"#,
    );
    let spec = Spec::from_json(&json).unwrap();
    let i = spec.introspection.as_ref().unwrap();
    assert_eq!(i.timeout(), std::time::Duration::from_millis(500));
    let v = i.build(&spec.jwt).unwrap();
    assert_eq!(
        v.unavailable(),
        sip_oauth::validate::ValidationError::Unavailable { retry_after: 5 }
    );
    let typo = json.replace("\"timeout_ms\"", "\"timeout\"");
    assert_eq!(
        Spec::from_json(&typo).unwrap_err().key,
        "introspection.timeout"
    );
    // No introspection: absent.
    assert!(
        Spec::from_json(&full_json())
            .unwrap()
            .introspection
            .is_none()
    );
}
