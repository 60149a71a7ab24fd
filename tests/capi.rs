//! The C ABI driven from Rust: the seed scenario byte for byte against the files the C test
//! uses (`tests/c/`), every NULL pointer, invalid JSON and UTF-8, out-of-range arguments,
//! key rotation, concurrent use, and garbage input that must yield a decision, never a panic.
#![cfg(feature = "capi")]
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::{null, null_mut};
use std::time::{Duration, UNIX_EPOCH};

use sip_oauth::capi::*;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{JwtConfig, JwtValidator, ValidationError, Validator};

const NOW: i64 = 1_800_000_000;
const FLOW: u64 = 7;
const SECRET: &str = "capi-example-secret-0123456789abcdef";
const EDGE_JSON: &str = r#"{"home_domain": "ims.mnc001.mcc001.3gppnetwork.org",
    "edge_host": "pcscf.visited.example:5060",
    "flow_key": {"hex": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"},
    "visited_network_id": "visited.example"}"#;
const VALIDATOR_JSON: &str = r#"{"key": {"hmac_secret": {"text": "capi-example-secret-0123456789abcdef"}},
    "algorithms": ["HS256"], "issuer": "https://waf.operator.example",
    "audience": "sip:ims.mnc001.mcc001.3gppnetwork.org",
    "required_scopes": ["sip:register"], "leeway_seconds": 30}"#;

fn file(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/c/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares with `tests/c/expected/<name>`; `BLESS=1` writes the file instead.
fn expect_file(name: &str, actual: &[u8]) {
    let path = format!("{}/tests/c/expected/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "differs from {path}"
    );
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Takes an error string handed out by the library, freeing it.
fn take_error(e: *mut c_char) -> String {
    assert!(!e.is_null(), "an error message is expected");
    let text = unsafe { CStr::from_ptr(e) }.to_str().unwrap().to_owned();
    unsafe { sip_oauth_string_free(e) };
    text
}

struct EdgeGuard(*mut SipOauthEdge);

impl Drop for EdgeGuard {
    fn drop(&mut self) {
        unsafe { sip_oauth_edge_free(self.0) };
    }
}

impl EdgeGuard {
    /// The handle (a method, so closures borrow the guard, which is `Sync`, not the pointer).
    fn ptr(&self) -> *mut SipOauthEdge {
        self.0
    }
}

// The C ABI documents the edge handle as usable from several threads at once.
unsafe impl Send for EdgeGuard {}
unsafe impl Sync for EdgeGuard {}

fn try_edge(edge_json: &str, validator_json: &str) -> Result<EdgeGuard, (c_int, String)> {
    let (e, v) = (c(edge_json), c(validator_json));
    let mut out = null_mut();
    let mut err = null_mut();
    let rc = unsafe { sip_oauth_edge_new(e.as_ptr(), v.as_ptr(), &mut out, &mut err) };
    if rc == SIP_OAUTH_OK {
        assert!(err.is_null());
        assert!(!out.is_null());
        Ok(EdgeGuard(out))
    } else {
        assert!(out.is_null());
        Err((rc, take_error(err)))
    }
}

fn edge() -> EdgeGuard {
    try_edge(EDGE_JSON, VALIDATOR_JSON).unwrap()
}

/// A decision read out into Rust values, and freed.
#[derive(Debug)]
struct Out {
    action: c_int,
    flow: u64,
    status: c_int,
    bytes: Vec<u8>,
    reason: String,
    detail: serde_json::Value,
}

fn read(d: *mut SipOauthDecision) -> Out {
    assert!(!d.is_null());
    unsafe {
        let ptr = sip_oauth_decision_bytes(d);
        let len = sip_oauth_decision_len(d);
        let bytes = if ptr.is_null() {
            assert_eq!(len, 0);
            Vec::new()
        } else {
            std::slice::from_raw_parts(ptr, len).to_vec()
        };
        let out = Out {
            action: sip_oauth_decision_action(d),
            flow: sip_oauth_decision_flow(d),
            status: sip_oauth_decision_status(d),
            bytes,
            reason: CStr::from_ptr(sip_oauth_decision_reason(d))
                .to_str()
                .unwrap()
                .to_owned(),
            detail: serde_json::from_slice(
                CStr::from_ptr(sip_oauth_decision_detail_json(d)).to_bytes(),
            )
            .unwrap(),
        };
        sip_oauth_decision_free(d);
        out
    }
}

fn on_request(edge: &EdgeGuard, msg: &[u8]) -> Out {
    let peer = c("198.51.100.7");
    let mut d = null_mut();
    let rc = unsafe {
        sip_oauth_edge_on_request(
            edge.0,
            msg.as_ptr(),
            msg.len(),
            FLOW,
            peer.as_ptr(),
            50312,
            SIP_OAUTH_TRANSPORT_WSS,
            NOW,
            null(),
            &mut d,
            null_mut(),
        )
    };
    assert_eq!(rc, SIP_OAUTH_OK);
    read(d)
}

fn on_response(edge: &EdgeGuard, msg: &[u8]) -> Out {
    let mut d = null_mut();
    let rc = unsafe {
        sip_oauth_edge_on_response(edge.0, msg.as_ptr(), msg.len(), NOW, &mut d, null_mut())
    };
    assert_eq!(rc, SIP_OAUTH_OK);
    read(d)
}

/// The 200 OK template with its top Via branch replaced by the forwarded request's.
fn ok_for(forwarded: &[u8]) -> Vec<u8> {
    let fwd = std::str::from_utf8(forwarded).unwrap();
    let branch = fwd
        .split("branch=")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap();
    String::from_utf8(file("input/ok_from_scscf.sip"))
        .unwrap()
        .replacen("branch=z9hG4bKedge.1", &format!("branch={branch}"), 1)
        .into_bytes()
}

fn valid() -> Vec<u8> {
    file("input/register_valid.sip")
}

fn bad() -> Vec<u8> {
    file("input/register_bad_token.sip")
}

fn token_of(msg: &[u8]) -> String {
    let text = std::str::from_utf8(msg).unwrap();
    let line = text
        .split("\r\n")
        .find(|l| l.starts_with("Authorization: Bearer "))
        .unwrap();
    line["Authorization: Bearer ".len()..].to_owned()
}

#[test]
fn embedded_token_is_hs256_with_the_secret_and_expires_an_hour_after_now() {
    let config = JwtConfig::new(KeySource::Hmac(SECRET.as_bytes().to_vec()))
        .audience("sip:ims.mnc001.mcc001.3gppnetwork.org");
    let v = JwtValidator::new(config).unwrap();
    let token = token_of(&valid());
    let at = |s: i64| UNIX_EPOCH + Duration::from_secs(s as u64);
    let auth = v.validate(&token, at(NOW)).unwrap();
    assert_eq!(auth.expires_at, Some(at(NOW + 3600)));
    assert_eq!(
        v.validate(&token, at(NOW + 3600 + 31)),
        Err(ValidationError::Expired)
    );
    assert_eq!(
        v.validate(&token_of(&bad()), at(NOW)),
        Err(ValidationError::BadSignature)
    );
}

#[test]
fn seed_scenario_through_the_c_abi() {
    let e = edge();
    let fwd = on_request(&e, &valid());
    assert_eq!(fwd.action, SIP_OAUTH_ACTION_FORWARD, "{}", fwd.reason);
    expect_file("forward_register.sip", &fwd.bytes);
    let text = String::from_utf8(fwd.bytes.clone()).unwrap();
    assert!(text.contains("integrity-protected=\"auth-done\""));
    assert!(!text.contains("Bearer"));
    assert_eq!(fwd.detail["impi"], "bob@ims.mnc001.mcc001.3gppnetwork.org");
    assert_eq!(fwd.detail["expires"], 3600);

    let rej = on_request(&e, &bad());
    assert_eq!(
        (rej.action, rej.flow, rej.status),
        (SIP_OAUTH_ACTION_REPLY, FLOW, 401)
    );
    expect_file("reply_401_bad_token.sip", &rej.bytes);
    assert_eq!(rej.reason, "401 Unauthorized: token refused: bad signature");
    assert_eq!(rej.detail["bearer_error"], "invalid_token");

    let rel = on_response(&e, &ok_for(&fwd.bytes));
    assert_eq!(
        (rel.action, rel.flow, rel.status),
        (SIP_OAUTH_ACTION_REPLY, FLOW, 200)
    );
    expect_file("relay_200_ok.sip", &rel.bytes);
    assert_eq!(
        rel.detail["registered"]["associated_uris"],
        serde_json::json!([
            "sip:bob@ims.mnc001.mcc001.3gppnetwork.org",
            "tel:+15550100123"
        ])
    );
}

#[test]
fn other_methods_and_foreign_responses() {
    let e = edge();
    let options = String::from_utf8(valid())
        .unwrap()
        .replace("REGISTER sip:", "OPTIONS sip:")
        .replace("CSeq: 1 REGISTER", "CSeq: 1 OPTIONS");
    // An OPTIONS from a connection that registered nothing is refused by the edge.
    let out = on_request(&e, options.as_bytes());
    assert_eq!(out.action, SIP_OAUTH_ACTION_REPLY);
    assert_eq!(out.status, 403, "{}", out.reason);
    assert!(out.reason.contains("not registered"), "{}", out.reason);

    let foreign = on_response(&e, &file("input/ok_from_scscf.sip"));
    assert_eq!(foreign.action, SIP_OAUTH_ACTION_DROP);
    assert!(foreign.reason.starts_with("drop: "), "{}", foreign.reason);
}

#[test]
fn transport_token_and_ipv6_peer() {
    let config = EDGE_JSON.replace(
        "\"visited_network_id\"",
        "\"token_location\": \"transport\", \"visited_network_id\"",
    );
    let e = try_edge(&config, VALIDATOR_JSON).unwrap();
    let token = c(&token_of(&valid()));
    let peer = c("[2001:db8::7]");
    let msg = valid();
    let mut d = null_mut();
    let rc = unsafe {
        sip_oauth_edge_on_request(
            e.0,
            msg.as_ptr(),
            msg.len(),
            FLOW,
            peer.as_ptr(),
            443,
            SIP_OAUTH_TRANSPORT_WSS,
            NOW,
            token.as_ptr(),
            &mut d,
            null_mut(),
        )
    };
    assert_eq!(rc, SIP_OAUTH_OK);
    let out = read(d);
    assert_eq!(out.action, SIP_OAUTH_ACTION_FORWARD, "{}", out.reason);
    assert!(
        String::from_utf8(out.bytes)
            .unwrap()
            .contains("received=2001:db8::7")
    );
}

#[test]
fn null_pointers_are_refused() {
    let e = edge();
    let (ej, vj) = (c(EDGE_JSON), c(VALIDATOR_JSON));
    let peer = c("192.0.2.1");
    let msg = valid();
    unsafe {
        let mut out = null_mut();
        let mut err = null_mut();
        assert_eq!(
            sip_oauth_edge_new(null(), vj.as_ptr(), &mut out, &mut err),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(take_error(err), "edge_json is NULL");
        assert_eq!(
            sip_oauth_edge_new(ej.as_ptr(), null(), &mut out, null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            sip_oauth_edge_new(ej.as_ptr(), vj.as_ptr(), null_mut(), null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert!(out.is_null());

        let mut d = null_mut();
        let call = |edge, bytes, len, peer, out| {
            sip_oauth_edge_on_request(
                edge,
                bytes,
                len,
                1,
                peer,
                5060,
                SIP_OAUTH_TRANSPORT_UDP,
                NOW,
                null(),
                out,
                null_mut(),
            )
        };
        assert_eq!(
            call(null(), msg.as_ptr(), msg.len(), peer.as_ptr(), &mut d),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            call(e.0, null(), 10, peer.as_ptr(), &mut d),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            call(e.0, msg.as_ptr(), msg.len(), null(), &mut d),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            call(e.0, msg.as_ptr(), msg.len(), peer.as_ptr(), null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert!(d.is_null());
        // An empty message may come with a NULL pointer: it is a decision (drop), not an error.
        assert_eq!(call(e.0, null(), 0, peer.as_ptr(), &mut d), SIP_OAUTH_OK);
        assert_eq!(read(d).action, SIP_OAUTH_ACTION_DROP);

        let mut d = null_mut();
        assert_eq!(
            sip_oauth_edge_on_response(null(), msg.as_ptr(), msg.len(), NOW, &mut d, null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            sip_oauth_edge_on_response(e.0, null(), 1, NOW, &mut d, null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            sip_oauth_edge_on_response(e.0, msg.as_ptr(), msg.len(), NOW, null_mut(), null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            sip_oauth_edge_replace_jwks(null(), ej.as_ptr(), null_mut()),
            SIP_OAUTH_ERR_NULL
        );
        assert_eq!(
            sip_oauth_edge_replace_jwks(e.0, null(), null_mut()),
            SIP_OAUTH_ERR_NULL
        );

        assert_eq!(sip_oauth_decision_action(null()), SIP_OAUTH_ACTION_NONE);
        assert_eq!(sip_oauth_decision_flow(null()), 0);
        assert_eq!(sip_oauth_decision_status(null()), 0);
        assert!(sip_oauth_decision_bytes(null()).is_null());
        assert_eq!(sip_oauth_decision_len(null()), 0);
        assert!(sip_oauth_decision_reason(null()).is_null());
        assert!(sip_oauth_decision_detail_json(null()).is_null());
        sip_oauth_decision_free(null_mut());
        sip_oauth_edge_free(null_mut());
        sip_oauth_string_free(null_mut());
    }
}

#[test]
fn oversized_length_is_refused_before_reading() {
    let e = edge();
    let peer = c("192.0.2.1");
    let byte = 0u8;
    let mut d = null_mut();
    let mut err = null_mut();
    let rc = unsafe {
        sip_oauth_edge_on_request(
            e.0,
            &byte,
            usize::MAX,
            1,
            peer.as_ptr(),
            5060,
            SIP_OAUTH_TRANSPORT_UDP,
            NOW,
            null(),
            &mut d,
            &mut err,
        )
    };
    assert_eq!(rc, SIP_OAUTH_ERR_ARGUMENT);
    assert_eq!(take_error(err), "bytes: length exceeds the address space");
}

#[test]
fn invalid_json_and_configuration_are_reported() {
    let cases: [(&str, &str, c_int, &str); 8] = [
        (
            "{",
            VALIDATOR_JSON,
            SIP_OAUTH_ERR_JSON,
            "edge configuration",
        ),
        (
            EDGE_JSON,
            "[]",
            SIP_OAUTH_ERR_JSON,
            "validator configuration",
        ),
        (
            &EDGE_JSON.replace("\"visited_network_id\"", "\"visited_network\""),
            VALIDATOR_JSON,
            SIP_OAUTH_ERR_JSON,
            "unknown field",
        ),
        (
            EDGE_JSON,
            &VALIDATOR_JSON.replace("[\"HS256\"]", "[\"none\"]"),
            SIP_OAUTH_ERR_JSON,
            "unknown variant",
        ),
        (
            &EDGE_JSON.replace(
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "0001",
            ),
            VALIDATOR_JSON,
            SIP_OAUTH_ERR_CONFIG,
            "flow token key",
        ),
        (
            &EDGE_JSON.replace("pcscf.visited.example:5060", "pcscf example"),
            VALIDATOR_JSON,
            SIP_OAUTH_ERR_CONFIG,
            "edge_host",
        ),
        (
            EDGE_JSON,
            r#"{"key": {"hmac_secret": {"text": "too short"}}}"#,
            SIP_OAUTH_ERR_KEYS,
            "too short",
        ),
        (
            EDGE_JSON,
            r#"{"key": {"pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}"#,
            SIP_OAUTH_ERR_KEYS,
            "PEM",
        ),
    ];
    for (edge_json, validator_json, code, needle) in cases {
        let (rc, message) = try_edge(edge_json, validator_json).err().unwrap();
        assert_eq!(rc, code, "{message}");
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }
}

#[test]
fn invalid_utf8_is_refused() {
    let bad = CString::new(vec![b'{', 0xff, b'}']).unwrap();
    let vj = c(VALIDATOR_JSON);
    let mut out = null_mut();
    let mut err = null_mut();
    let rc = unsafe { sip_oauth_edge_new(bad.as_ptr(), vj.as_ptr(), &mut out, &mut err) };
    assert_eq!(rc, SIP_OAUTH_ERR_UTF8);
    assert_eq!(take_error(err), "edge_json is not valid UTF-8");

    let e = edge();
    let msg = valid();
    let peer = c("192.0.2.1");
    let mut d = null_mut();
    for (peer_addr, token, what) in [
        (bad.as_ptr(), null(), "peer_addr"),
        (peer.as_ptr(), bad.as_ptr(), "transport_token"),
    ] {
        let rc = unsafe {
            sip_oauth_edge_on_request(
                e.0,
                msg.as_ptr(),
                msg.len(),
                1,
                peer_addr,
                5060,
                SIP_OAUTH_TRANSPORT_WS,
                NOW,
                token,
                &mut d,
                &mut err,
            )
        };
        assert_eq!(rc, SIP_OAUTH_ERR_UTF8);
        assert_eq!(take_error(err), format!("{what} is not valid UTF-8"));
    }
    let rc = unsafe { sip_oauth_edge_replace_jwks(e.0, bad.as_ptr(), &mut err) };
    assert_eq!(rc, SIP_OAUTH_ERR_UTF8);
    take_error(err);
}

#[test]
fn out_of_range_arguments_are_refused() {
    let e = edge();
    let msg = valid();
    for (peer, transport, now, what) in [
        ("192.0.2.1", 5, NOW, "transport"),
        ("192.0.2.1", -1, NOW, "transport"),
        ("pcscf.example", SIP_OAUTH_TRANSPORT_TCP, NOW, "peer_addr"),
        ("192.0.2.256", SIP_OAUTH_TRANSPORT_TCP, NOW, "peer_addr"),
    ] {
        let peer = c(peer);
        let mut d = null_mut();
        let mut err = null_mut();
        let rc = unsafe {
            sip_oauth_edge_on_request(
                e.0,
                msg.as_ptr(),
                msg.len(),
                1,
                peer.as_ptr(),
                5060,
                transport,
                now,
                null(),
                &mut d,
                &mut err,
            )
        };
        let message = take_error(err);
        assert_eq!(rc, SIP_OAUTH_ERR_ARGUMENT, "{message}");
        assert!(message.starts_with(what), "{message}");
        assert!(d.is_null());
    }
}

#[test]
fn jwks_rotation() {
    let e = edge();
    let other = c(r#"{"keys": [{"kty": "oct", "alg": "HS256",
        "k": "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlci1zZWNyZXQ"}]}"#);
    let same = c(r#"{"keys": [{"kty": "oct", "alg": "HS256",
        "k": "Y2FwaS1leGFtcGxlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"}]}"#);
    let mut err = null_mut();
    assert_eq!(
        unsafe { sip_oauth_edge_replace_jwks(e.0, other.as_ptr(), &mut err) },
        SIP_OAUTH_OK
    );
    assert!(err.is_null());
    assert_eq!(on_request(&e, &valid()).status, 401);
    assert_eq!(
        unsafe { sip_oauth_edge_replace_jwks(e.0, same.as_ptr(), &mut err) },
        SIP_OAUTH_OK
    );
    assert_eq!(on_request(&e, &valid()).action, SIP_OAUTH_ACTION_FORWARD);

    for (set, code) in [
        ("{\"keys\": []}", SIP_OAUTH_ERR_KEYS),
        (
            "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2hvcnQ\"}]}",
            SIP_OAUTH_ERR_KEYS,
        ),
        ("not json", SIP_OAUTH_ERR_JSON),
    ] {
        let set = c(set);
        let rc = unsafe { sip_oauth_edge_replace_jwks(e.0, set.as_ptr(), &mut err) };
        assert_eq!(rc, code);
        take_error(err);
        // The keys in place stay.
        assert_eq!(on_request(&e, &valid()).action, SIP_OAUTH_ACTION_FORWARD);
    }
}

#[test]
fn one_edge_serves_several_threads() {
    let e = edge();
    let expected = on_request(&e, &valid()).bytes;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..20 {
                    assert_eq!(on_request(&e, &valid()).bytes, expected);
                    assert_eq!(on_request(&e, &bad()).status, 401);
                }
            });
        }
        s.spawn(|| {
            let same = c(r#"{"keys": [{"kty": "oct", "alg": "HS256",
                "k": "Y2FwaS1leGFtcGxlLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"}]}"#);
            for _ in 0..20 {
                let rc = unsafe { sip_oauth_edge_replace_jwks(e.ptr(), same.as_ptr(), null_mut()) };
                assert_eq!(rc, SIP_OAUTH_OK);
            }
        });
    });
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn garbage_input_gets_a_decision_never_a_panic() {
    let e = edge();
    let known = [
        SIP_OAUTH_ACTION_FORWARD,
        SIP_OAUTH_ACTION_REPLY,
        SIP_OAUTH_ACTION_DROP,
    ];
    let msg = valid();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut inputs: Vec<Vec<u8>> = (0..=msg.len())
        .step_by(7)
        .map(|n| msg[..n].to_vec())
        .collect();
    for _ in 0..300 {
        let mut m = msg.clone();
        for _ in 0..(rng.next() % 8 + 1) {
            let i = (rng.next() as usize) % m.len();
            m[i] = rng.next() as u8;
        }
        inputs.push(m);
        let len = (rng.next() % 512) as usize;
        inputs.push((0..len).map(|_| rng.next() as u8).collect());
    }
    inputs.push(vec![0; 70_000]);
    for input in &inputs {
        let req = on_request(&e, input);
        assert!(known.contains(&req.action), "{req:?}");
        let resp = on_response(&e, input);
        assert!(known.contains(&resp.action), "{resp:?}");
        assert!(!String::from_utf8_lossy(&req.bytes).contains("Bearer ey"));
    }
}

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(sip_oauth_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn responses_at_a_time_apply_the_423_rule() {
    let e = edge();
    let fwd = on_request(&e, &valid());
    assert_eq!(fwd.action, SIP_OAUTH_ACTION_FORWARD, "{}", fwd.reason);
    // The token expires an hour after NOW; the registrar wants two.
    let brief = String::from_utf8(ok_for(&fwd.bytes))
        .unwrap()
        .replacen("SIP/2.0 200 OK", "SIP/2.0 423 Interval Too Brief", 1)
        .replacen(
            "CSeq: 1 REGISTER\r\n",
            "CSeq: 1 REGISTER\r\nMin-Expires: 7200\r\n",
            1,
        )
        .into_bytes();
    let mut d = null_mut();
    let rc = unsafe {
        sip_oauth_edge_on_response(e.0, brief.as_ptr(), brief.len(), NOW, &mut d, null_mut())
    };
    assert_eq!(rc, SIP_OAUTH_OK);
    let out = read(d);
    assert_eq!(
        (out.action, out.flow, out.status),
        (SIP_OAUTH_ACTION_REPLY, FLOW, 401)
    );
    assert!(
        String::from_utf8(out.bytes)
            .unwrap()
            .contains("error=\"invalid_token\""),
        "{}",
        out.reason
    );
    let rc = unsafe {
        sip_oauth_edge_on_response(null(), brief.as_ptr(), brief.len(), NOW, &mut d, null_mut())
    };
    assert_eq!(rc, SIP_OAUTH_ERR_NULL);
    assert!(d.is_null());
}
