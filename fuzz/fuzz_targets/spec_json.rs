//! Arbitrary text as a configuration document: `Spec::from_json`, `EdgeSpec::from_json`
//! and `JwtSpec::from_json` never panic, and neither do `EdgeSpec::build` and
//! `JwtSpec::build` on what they accept (specifications that name files are not built,
//! so the target reads none). Every error names a key under its document's root
//! (`(document)`, `edge...` or `jwt...`; an unknown key at the root is named itself) and
//! says what is wrong; no error and no `{:?}`
//! of a specification quotes a secret (a flow key or HMAC secret written inline). A
//! specification that builds gives an edge that handles the sample REGISTER.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sip_oauth::edge::{Edge, FlowId, Inbound, Transport};
use sip_oauth::spec::{EdgeSpec, JwtSpec, KeySpec, Secret, Spec, SpecError};

const REGISTER: &[u8] = include_bytes!("../../tests/data/samples/register_from_wic.sip");

/// The inline secrets of a document at `edge`/`jwt` (either may be absent), that occur
/// once in its text, so that finding one in an error or a `{:?}` means it was quoted.
fn secrets(text: &str, edge: Option<&Value>, jwt: Option<&Value>) -> Vec<String> {
    if text.contains('\\') {
        return Vec::new();
    }
    let mut found = Vec::new();
    let places = [
        edge.and_then(|e| e.get("flow_key")),
        jwt.and_then(|j| j.get("key"))
            .and_then(|k| k.get("hmac_secret")),
    ];
    for secret in places.into_iter().flatten() {
        for form in ["hex", "base64", "text"] {
            if let Some(Value::String(s)) = secret.get(form) {
                // Only secrets that cannot be mistaken for the field and variant names
                // or the punctuation of a `{:?}`.
                let plain = s.bytes().any(|c| c.is_ascii_digit())
                    && !s.bytes().any(|c| b" :,()[]{}".contains(&c));
                if s.len() >= 8 && plain && text.matches(s.as_str()).count() == 1 {
                    found.push(s.clone());
                }
            }
        }
    }
    found
}

fn check_error(e: &SpecError, root: &str, secrets: &[String]) {
    let named = if root.is_empty() {
        // An unknown key is named itself, at the root too.
        e.key == "(document)"
            || ["edge", "jwt"].iter().any(|r| {
                e.key == *r
                    || e.key.starts_with(&format!("{r}."))
                    || e.key.starts_with(&format!("{r}["))
            })
            || e.why.starts_with(&format!("unknown field `{}`", e.key))
    } else {
        e.key == root
            || e.key.starts_with(&format!("{root}."))
            || e.key.starts_with(&format!("{root}["))
            || e.key == "(document)"
    };
    assert!(named, "{root:?}: error names no key: {e:?}");
    assert!(!e.why.is_empty(), "{e:?}");
    assert_eq!(e.to_string(), format!("{}: {}", e.key, e.why));
    for s in secrets {
        assert!(!e.why.contains(s.as_str()), "error quotes a secret: {e}");
        assert!(!e.key.contains(s.as_str()), "error quotes a secret: {e}");
    }
}

fn check_debug(shown: String, secrets: &[String]) {
    for s in secrets {
        assert!(
            !shown.contains(s.as_str()),
            "{{:?}} shows a secret: {shown}"
        );
    }
}

fn names_files(edge: Option<&EdgeSpec>, jwt: Option<&JwtSpec>) -> bool {
    edge.is_some_and(|e| matches!(e.flow_key, Secret::File(_)))
        || jwt.is_some_and(|j| {
            matches!(
                j.key,
                KeySpec::PemFile(_)
                    | KeySpec::DerFile(_)
                    | KeySpec::JwksFile(_)
                    | KeySpec::HmacSecret(Secret::File(_))
            )
        })
}

/// Builds what was accepted; a whole specification that builds runs the sample REGISTER.
fn build(edge: Option<&EdgeSpec>, jwt: Option<&JwtSpec>, secrets: &[String]) {
    if names_files(edge, jwt) {
        return;
    }
    let config = edge.map(|e| e.build().map_err(|err| check_error(&err, "edge", secrets)));
    let validator = jwt.map(|j| j.build().map_err(|err| check_error(&err, "jwt", secrets)));
    if let (Some(Ok(config)), Some(Ok(validator))) = (config, validator) {
        check_debug(format!("{config:?}"), secrets);
        let edge = Edge::new(config, validator);
        let inbound = Inbound {
            flow: FlowId(1),
            peer: "198.51.100.7:50312".parse().unwrap(),
            transport: Transport::Wss,
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            secure_flow: false,
            transport_token: None,
        };
        let _ = edge.on_request(REGISTER.to_vec(), &inbound);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let value: Option<Value> = serde_json::from_str(text).ok();
    let value = value.as_ref();

    let whole = secrets(
        text,
        value.and_then(|v| v.get("edge")),
        value.and_then(|v| v.get("jwt")),
    );
    match Spec::from_json(text) {
        Ok(spec) => {
            check_debug(format!("{spec:?}"), &whole);
            build(Some(&spec.edge), Some(&spec.jwt), &whole);
        }
        Err(e) => check_error(&e, "", &whole),
    }

    let edge_secrets = secrets(text, value, None);
    match EdgeSpec::from_json(text) {
        Ok(edge) => {
            check_debug(format!("{edge:?}"), &edge_secrets);
            build(Some(&edge), None, &edge_secrets);
        }
        Err(e) => check_error(&e, "edge", &edge_secrets),
    }

    let jwt_secrets = secrets(text, None, value);
    match JwtSpec::from_json(text) {
        Ok(jwt) => {
            check_debug(format!("{jwt:?}"), &jwt_secrets);
            build(None, Some(&jwt), &jwt_secrets);
        }
        Err(e) => check_error(&e, "jwt", &jwt_secrets),
    }
});
