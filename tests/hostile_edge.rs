//! Hostile input at the edge and token layers: truncated, oversized and malformed
//! REGISTERs, smuggled and oversized bearer tokens, JWTs built to inject header text or
//! exhaust the validator, and responses whose flow token was tampered with. Every case
//! ends in a clear rejection or drop, and nothing that should not leave the edge is
//! forwarded. (Message-layer attacks are in `hostile_message.rs`.)

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use sip_oauth::edge::{
    DropReason, FlowId, FlowTokenError, RejectCause, RequestDecision, ResponseDecision,
};
use sip_oauth::message::{HeaderName, Limits, Message, ParseErrorKind};
use sip_oauth::token::ExtractError;
use sip_oauth::validate::jwt::{Algorithm, KeySource};
use sip_oauth::validate::{FixedValidator, JwtConfig, JwtValidator, ValidationError};

/// Room for what the edge adds to a request that was at the input limit.
const ROOMY: Limits = Limits {
    max_message_bytes: 1 << 22,
    max_headers: 1 << 14,
    max_line_bytes: 1 << 22,
};

fn find(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every CR is followed by LF and every LF preceded by CR, so no downstream parser can
/// see a line end the edge did not write.
fn line_ends_are_crlf(head: &[u8]) -> bool {
    head.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => head.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && head[i - 1] == b'\r',
        _ => true,
    })
}

/// What a forwarded request must be, whatever the client sent: it parses, carries
/// exactly one Authorization (the Annex U one), no client `integrity-protected`, only
/// CRLF line ends in its head, and never `token`.
fn assert_clean_forward(bytes: &[u8], token: &str) -> Message {
    let msg = Message::parse_with(bytes.to_vec().into(), &ROOMY)
        .unwrap_or_else(|e| panic!("forwarded request does not parse: {e}"));
    let auth: Vec<_> = msg.find(HeaderName::Authorization).collect();
    assert_eq!(auth.len(), 1, "{}", String::from_utf8_lossy(bytes));
    let value = msg.value_str(auth[0]).unwrap();
    assert!(value.starts_with("Digest "), "{value}");
    assert!(
        value.ends_with("integrity-protected=\"auth-done\""),
        "{value}"
    );
    assert_eq!(
        String::from_utf8_lossy(bytes)
            .matches("integrity-protected")
            .count(),
        1
    );
    assert!(!find(bytes, token.as_bytes()), "token forwarded");
    assert!(line_ends_are_crlf(&bytes[..msg.head_end() + 2]));
    msg
}

fn status_of(d: &RequestDecision) -> Option<u16> {
    match d {
        RequestDecision::Reply { bytes, .. } => Message::parse(bytes.clone()).ok()?.status(),
        _ => None,
    }
}

fn rejection(d: &RequestDecision) -> (u16, RejectCause) {
    match d {
        RequestDecision::Reply {
            rejection: r,
            bytes,
            ..
        } => {
            // The answer itself is a well-formed response.
            let msg = Message::parse(bytes.clone()).unwrap();
            assert_eq!(msg.status(), Some(r.status));
            (r.status, r.cause.clone())
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn unparseable(d: &RequestDecision) -> ParseErrorKind {
    match d {
        RequestDecision::Drop(DropReason::Unparseable(e)) => e.kind.clone(),
        other => panic!("expected an unparseable drop, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Framing and size

#[test]
fn truncated_register_is_never_forwarded() {
    let edge = edge();
    let token = sample_token();
    for n in 0..REGISTER.len() {
        let d = edge.on_request(REGISTER[..n].to_vec(), &wss());
        match &d {
            RequestDecision::Forward { .. } => panic!("forwarded a register cut at {n}"),
            RequestDecision::Drop(DropReason::Unparseable(_)) => {}
            RequestDecision::Reply { bytes, .. } => {
                assert!(!find(bytes, token.as_bytes()));
                assert_eq!(status_of(&d).map(|s| s / 100), Some(4), "cut at {n}");
            }
            other => panic!("cut at {n}: {other:?}"),
        }
    }
    // Only the whole message goes through.
    assert_clean_forward(
        &forwarded(edge.on_request(REGISTER.to_vec(), &wss())),
        &token,
    );
}

#[test]
fn content_length_lies_are_rejected_and_extra_bytes_not_forwarded() {
    let edge = edge();
    let token = sample_token();
    // Larger than the body: the datagram is truncated.
    let d = edge.on_request(
        register_with("Content-Length: 0", "Content-Length: 10"),
        &wss(),
    );
    assert!(matches!(
        unparseable(&d),
        ParseErrorKind::BodyTruncated { .. }
    ));
    // Negative, huge, or not a number.
    for bad in ["-1", "99999999999999999999999", "1e3", "0x10", "+0", ""] {
        let d = edge.on_request(
            register_with("Content-Length: 0", &format!("Content-Length: {bad}")),
            &wss(),
        );
        assert!(
            matches!(
                unparseable(&d),
                ParseErrorKind::InvalidContentLength | ParseErrorKind::NumberOutOfRange(_)
            ),
            "{bad}: {d:?}"
        );
    }
    // Smaller than what follows: the rest of the datagram is not part of the message,
    // and in particular a smuggled second request never reaches the core.
    let mut smuggled = REGISTER.to_vec();
    smuggled.extend_from_slice(b"INVITE sip:victim@x SIP/2.0\r\nX-Smuggled: yes\r\n\r\n");
    let out = forwarded(edge.on_request(smuggled, &wss()));
    assert_clean_forward(&out, &token);
    assert!(!find(&out, b"X-Smuggled"));
    assert!(!find(&out, b"INVITE sip:victim"));
    // Two Content-Lengths that disagree.
    let d = edge.on_request(
        register_with("Content-Length: 0", "Content-Length: 0\r\nl: 5"),
        &wss(),
    );
    assert_eq!(unparseable(&d), ParseErrorKind::ConflictingContentLength);
}

#[test]
fn thousands_of_headers_are_dropped() {
    let mut many = String::new();
    for i in 0..5000 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    let d = edge().on_request(
        register_with(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\n{many}"),
        ),
        &wss(),
    );
    let kind = unparseable(&d);
    assert!(
        matches!(
            kind,
            ParseErrorKind::TooManyHeaders { .. } | ParseErrorKind::MessageTooLarge { .. }
        ),
        "{kind:?}"
    );
    // Just under the header limit still works.
    let limit = Limits::DEFAULT.max_headers;
    let sample_headers = Message::parse(REGISTER.to_vec()).unwrap().headers().len();
    let mut some = String::new();
    for i in 0..limit - sample_headers {
        some.push_str(&format!("X-H{i}: v\r\n"));
    }
    let out = forwarded(edge().on_request(
        register_with(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\n{some}"),
        ),
        &wss(),
    ));
    assert_clean_forward(&out, &sample_token());
    // One more is refused.
    some.push_str("X-One-More: v\r\n");
    let d = edge().on_request(
        register_with(
            "Max-Forwards: 70\r\n",
            &format!("Max-Forwards: 70\r\n{some}"),
        ),
        &wss(),
    );
    assert!(matches!(
        unparseable(&d),
        ParseErrorKind::TooManyHeaders { .. }
    ));
}

#[test]
fn a_one_mebibyte_header_line_is_dropped() {
    let long = "a".repeat(1 << 20);
    let d = edge().on_request(
        register_with("User-Agent: SIP.js/0.21.2", &format!("User-Agent: {long}")),
        &wss(),
    );
    assert!(matches!(
        unparseable(&d),
        ParseErrorKind::MessageTooLarge { .. } | ParseErrorKind::LineTooLong { .. }
    ));
    // Within the message limit but over the line limit.
    let long = "a".repeat(Limits::DEFAULT.max_line_bytes + 1);
    let d = edge().on_request(
        register_with("User-Agent: SIP.js/0.21.2", &format!("User-Agent: {long}")),
        &wss(),
    );
    assert!(matches!(
        unparseable(&d),
        ParseErrorKind::LineTooLong { .. }
    ));
}

#[test]
fn repeated_separators_in_contact_and_via() {
    let edge = edge();
    let token = sample_token();
    for n in [1usize, 2, 100, 7000] {
        let semis = ";".repeat(n);
        let commas = ",".repeat(n);
        let cases = [
            register_with(";reg-id=1;", &format!("{semis}reg-id=1{semis}")),
            register_with("Contact: <", &format!("Contact: {commas}<")),
            register_with(";expires=3600\r\n", &format!(";expires=3600{commas}\r\n")),
            register_with(";rport\r\n", &format!(";rport{semis}\r\n")),
            register_with(";rport\r\n", &format!(";rport{commas}\r\n")),
            register_with("Via: SIP/2.0/WSS", &format!("Via: {commas}SIP/2.0/WSS")),
            register_with(
                "branch=z9hG4bK7739204",
                &format!("branch=z9hG4bK7739204{semis}"),
            ),
        ];
        for (i, case) in cases.into_iter().enumerate() {
            match edge.on_request(case, &wss()) {
                RequestDecision::Forward { bytes, .. } => {
                    assert_clean_forward(&bytes, &token);
                }
                d @ RequestDecision::Reply { .. } => {
                    let (status, _) = rejection(&d);
                    assert_eq!(status, 400, "case {i} with {n}");
                }
                RequestDecision::Drop(DropReason::Unparseable(_)) => {}
                other => panic!("case {i} with {n}: {other:?}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Stray bytes

#[test]
fn nul_bare_cr_and_bare_lf_anywhere_are_never_forwarded() {
    let edge = edge();
    let token = sample_token();
    for stray in [b'\0', b'\r', b'\n'] {
        for at in 0..=REGISTER.len() {
            let mut inserted = REGISTER.to_vec();
            inserted.insert(at, stray);
            let mut replaced = REGISTER.to_vec();
            if at < replaced.len() {
                replaced[at] = stray;
            }
            for input in [inserted, replaced] {
                match edge.on_request(input.clone(), &wss()) {
                    // A stray CR or LF never survives into the forwarded head (checked
                    // inside); a NUL may, where the message layer keeps control bytes
                    // of values it does not interpret verbatim (see
                    // `control_bytes_in_values_are_kept_verbatim` in hostile_message.rs).
                    RequestDecision::Forward { bytes, .. } => {
                        assert_clean_forward(&bytes, &token);
                    }
                    RequestDecision::Reply { bytes, .. } => {
                        assert!(!find(&bytes, token.as_bytes()));
                        let reply = Message::parse(bytes).unwrap();
                        assert!(reply.status().is_some_and(|s| s >= 400));
                    }
                    RequestDecision::Drop(_)
                    | RequestDecision::Originate { .. }
                    | RequestDecision::Pending(_) => {}
                }
            }
        }
    }
}

#[test]
fn invalid_utf8_in_display_names() {
    let edge = edge();
    let token = sample_token();
    for (from, to) in [
        ("To: \"Bob\"", "To: \"B\u{fffd}b\""),
        ("From: \"Bob\"", "From: \"B\u{fffd}b\""),
        ("Contact: <", "Contact: \"B\u{fffd}b\" <"),
    ] {
        let mut input = register_with(from, to);
        // Turn the replacement character into bytes that are not UTF-8 at all.
        let at = input
            .windows(3)
            .position(|w| w == "\u{fffd}".as_bytes())
            .unwrap();
        input.splice(at..at + 3, [0xff, 0xc0, 0x80]);
        let d = edge.on_request(input, &wss());
        let (status, cause) = rejection(&d);
        assert_eq!(status, 400, "{from}: {cause:?}");
        assert!(matches!(cause, RejectCause::Request(_)), "{cause:?}");
        if let RequestDecision::Reply { bytes, .. } = d {
            assert!(!find(&bytes, token.as_bytes()));
        }
    }
}

// ---------------------------------------------------------------------------
// Bearer tokens in the request

#[test]
fn two_authorization_headers_with_different_tokens() {
    let edge = edge();
    let token = sample_token();
    // As two fields, in either order, and as one field holding two credentials.
    let second = format!("Authorization: Bearer {token}\r\nAuthorization: Bearer other.token");
    let swapped = format!("Authorization: Bearer other.token\r\nAuthorization: Bearer {token}");
    let one_field = format!("Authorization: Bearer {token}, Bearer other.token");
    for header in [second, swapped, one_field] {
        let d = edge.on_request(
            register_with(&format!("Authorization: Bearer {token}"), &header),
            &wss(),
        );
        match rejection(&d) {
            (400, RejectCause::BadToken(_)) => {}
            other => panic!("{header}: {other:?}"),
        }
    }
    // The same token twice is one token: admitted, and neither copy leaves.
    let twice = format!("Authorization: Bearer {token}\r\nAuthorization: Bearer {token}");
    let out = forwarded(edge.on_request(
        register_with(&format!("Authorization: Bearer {token}"), &twice),
        &wss(),
    ));
    assert_clean_forward(&out, &token);
}

fn with_bearer(value: &str) -> Vec<u8> {
    register_with(
        &format!("Authorization: Bearer {}", sample_token()),
        &format!("Authorization: Bearer{value}"),
    )
}

#[test]
fn empty_oversized_and_non_b64token_bearer_values() {
    let edge = edge();
    for empty in ["", " ", "  \t"] {
        let (status, cause) = rejection(&edge.on_request(with_bearer(empty), &wss()));
        assert_eq!(status, 400, "{empty:?}");
        assert!(
            matches!(cause, RejectCause::BadToken(ExtractError::Malformed(_))),
            "{cause:?}"
        );
    }
    // 64 KiB does not fit a header line: dropped before anything looks at it.
    let huge = format!(" {}", "A".repeat(64 * 1024));
    let kind = unparseable(&edge.on_request(with_bearer(&huge), &wss()));
    assert!(matches!(
        kind,
        ParseErrorKind::LineTooLong { .. } | ParseErrorKind::MessageTooLarge { .. }
    ));
    // With limits that let it through, the validator refuses it and the answer does not
    // echo it.
    let roomy = edge_with(
        config().limits(ROOMY),
        sip_oauth::validate::FixedValidator::new(),
    );
    let d = roomy.on_request(with_bearer(&huge), &wss());
    let (status, cause) = rejection(&d);
    assert_eq!(status, 401);
    assert!(matches!(cause, RejectCause::Invalid(_)));
    if let RequestDecision::Reply { bytes, .. } = &d {
        assert!(!find(bytes, "A".repeat(64).as_bytes()));
    }
    for bad in [
        " abc def",
        " a\"b",
        " a==b",
        " =abc",
        " \u{e4}bc",
        " a;b",
        " a<b>",
        " \"quoted.token\"",
        " a\\b",
    ] {
        let (status, cause) = rejection(&edge.on_request(with_bearer(bad), &wss()));
        assert_eq!(status, 400, "{bad:?}");
        assert!(
            matches!(cause, RejectCause::BadToken(_)),
            "{bad:?}: {cause:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// JWTs built to inject or exhaust

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT with the given header and claims text, signed with HMAC-SHA256 under `secret`.
fn hs256_raw(header: &str, claims: &str, secret: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

fn jwt_edge() -> sip_oauth::edge::Edge {
    edge_with(config(), jwt_validator())
}

#[test]
fn a_well_formed_minted_token_is_admitted() {
    // The control case for the injection tests below: the same minting, clean claims.
    let token = hs256_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &bob_claims(600).to_string(),
        HS_SECRET,
    );
    let out = forwarded(jwt_edge().on_request(register_carrying(&token), &wss()));
    assert_clean_forward(&out, &token);
}

#[test]
fn identities_carrying_header_syntax_are_refused() {
    let edge = jwt_edge();
    let home = HOME;
    // Each breaks a header line or a quoted-string.
    let breaking = [
        format!("bob@{home}\r\nVia: SIP/2.0/UDP evil"),
        format!("bob@{home}\nX-Injected: 1"),
        format!("bob@{home}\rX-Injected: 1"),
        format!("bob\"@{home}"),
        format!("bob@{home}\", response=\"forged"),
        format!("bob@{home}\u{0}"),
        format!("bob\\@{home}"),
    ];
    // Each would split an unquoted header value (an IMPI or IMPU), but is harmless in
    // the quoted text the WWSF identity is written as. An IMPU is written inside `<...>`,
    // where `;` only starts a URI parameter, so it may carry one.
    let splitting = [
        format!("bob,evil@{home}"),
        format!("bob@{home};x=1"),
        format!("bob@{home}>"),
        format!("<bob@{home}"),
    ];
    let mut cases = Vec::new();
    for bad in breaking.iter() {
        for claim in ["impi", "impus", "wwsf"] {
            cases.push((claim, bad.clone(), false));
        }
    }
    for bad in splitting.iter() {
        cases.push(("impi", bad.clone(), false));
        cases.push(("impus", bad.clone(), bad.ends_with(";x=1")));
        cases.push(("wwsf", bad.clone(), true));
    }
    for (claim, bad, admitted) in cases {
        let mut claims = bob_claims(600);
        match claim {
            "impus" => claims["impus"] = serde_json::json!([format!("sip:{bad}")]),
            other => claims[other] = serde_json::json!(bad),
        }
        let token = hs256_raw(r#"{"alg":"HS256"}"#, &claims.to_string(), HS_SECRET);
        let d = edge.on_request(register_carrying(&token), &wss());
        if admitted {
            let out = forwarded(d);
            assert_clean_forward(&out, &token);
            assert!(!find(&out, b"evil"), "{claim} = {bad:?}");
            continue;
        }
        assert!(
            !matches!(d, RequestDecision::Forward { .. }),
            "{claim} = {bad:?} forwarded"
        );
        let (status, cause) = rejection(&d);
        assert_eq!(status, 401, "{claim} = {bad:?}: {cause:?}");
        assert!(
            matches!(
                cause,
                RejectCause::Invalid(ValidationError::InvalidIdentity { .. })
            ),
            "{claim} = {bad:?}: {cause:?}"
        );
        if let RequestDecision::Reply { bytes, .. } = d {
            assert!(!find(&bytes, b"Injected"));
            assert!(!find(&bytes, b"evil"));
            assert!(!find(&bytes, b"forged"));
            assert!(!find(&bytes, token.as_bytes()));
        }
    }
}

#[test]
fn alg_none_is_refused() {
    let claims = b64(bob_claims(600).to_string().as_bytes());
    for header in [
        r#"{"alg":"none"}"#,
        r#"{"alg":"None"}"#,
        r#"{"alg":"NONE","typ":"JWT"}"#,
    ] {
        for sig in ["", "AAAA"] {
            let token = format!("{}.{claims}.{sig}", b64(header.as_bytes()));
            let d = jwt_edge().on_request(register_carrying(&token), &wss());
            let (status, cause) = rejection(&d);
            assert_eq!(status, 401, "{header}.{sig}: {cause:?}");
            assert!(matches!(cause, RejectCause::Invalid(_)), "{cause:?}");
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    let pem = std::fs::read(format!(
        "{}/tests/data/jwt/rsa_public.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rs = JwtValidator::new(
        JwtConfig::new(KeySource::Pem(pem.clone()))
            .algorithms([Algorithm::RS256])
            .issuer(ISSUER)
            .audience(format!("sip:{HOME}")),
    )
    .unwrap();
    let edge = edge_with(config(), rs);
    for header in [r#"{"alg":"HS256"}"#, r#"{"alg":"HS256","typ":"JWT"}"#] {
        let token = hs256_raw(header, &bob_claims(600).to_string(), &pem);
        let d = edge.on_request(register_carrying(&token), &wss());
        let (status, cause) = rejection(&d);
        assert_eq!(status, 401);
        assert!(
            matches!(
                cause,
                RejectCause::Invalid(
                    ValidationError::AlgorithmNotAllowed | ValidationError::KeyMismatch
                )
            ),
            "{cause:?}"
        );
    }
}

#[test]
fn huge_jose_header_is_refused() {
    let pad = "x".repeat(20_000);
    let header = format!(r#"{{"alg":"HS256","pad":"{pad}"}}"#);
    let token = hs256_raw(&header, &bob_claims(600).to_string(), HS_SECRET);
    // Larger than a header line: the message is dropped unread.
    let kind = unparseable(&jwt_edge().on_request(register_carrying(&token), &wss()));
    assert!(
        matches!(kind, ParseErrorKind::LineTooLong { .. }),
        "{kind:?}"
    );
    // With parser limits that let it through, the validator's own size cap refuses it
    // before decoding anything (RFC 6750 `invalid_request`).
    let roomy = edge_with(config().limits(ROOMY), jwt_validator());
    let (status, cause) = rejection(&roomy.on_request(register_carrying(&token), &wss()));
    assert_eq!(status, 400);
    assert!(
        matches!(
            cause,
            RejectCause::Invalid(ValidationError::Oversized { .. })
        ),
        "{cause:?}"
    );
}

#[test]
fn json_bomb_is_refused_or_ignored_without_exhausting_the_stack() {
    // Deeply nested arrays, validly signed, with a token size cap raised far enough to
    // let them in. The validator either refuses them or skips the unknown claim
    // iteratively; the result is never a crash and never a forward of anything else.
    let validator = JwtValidator::new(
        JwtConfig::new(KeySource::Hmac(HS_SECRET.to_vec()))
            .algorithms([Algorithm::HS256])
            .allow_any_audience()
            .max_token_bytes(1 << 20),
    )
    .unwrap();
    let edge = edge_with(config().limits(ROOMY), validator);
    let token = sample_token();
    for depth in [200usize, 3000, 100_000] {
        let nest = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let mut claims = bob_claims(600);
        claims.as_object_mut().unwrap().remove("aud");
        let claims = claims.to_string();
        // In an unknown claim, in a claim the validator reads, and in the JOSE header.
        let payloads = [
            format!(r#"{{"x":{nest},{}"#, &claims[1..]),
            format!(
                r#"{{"impus":{nest},{}"#,
                &claims[1..].replace("\"impus\"", "\"old\"")
            ),
        ];
        for payload in payloads {
            let jwt = hs256_raw(r#"{"alg":"HS256"}"#, &payload, HS_SECRET);
            match edge.on_request(register_carrying(&jwt), &wss()) {
                RequestDecision::Forward { bytes, .. } => {
                    assert_clean_forward(&bytes, &jwt);
                    assert!(!find(&bytes, token.as_bytes()));
                }
                d => assert_eq!(rejection(&d).0, 401, "depth {depth}"),
            }
        }
        let header = format!(r#"{{"alg":"HS256","x":{nest}}}"#);
        let jwt = hs256_raw(&header, &bob_claims(600).to_string(), HS_SECRET);
        let (status, _) = rejection(&edge.on_request(register_carrying(&jwt), &wss()));
        assert_eq!(status, 401, "header depth {depth}");
    }
}

// ---------------------------------------------------------------------------
// Flow tokens in responses

const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sextet(c: u8) -> Option<u32> {
    B64URL.iter().position(|&x| x == c).map(|p| p as u32)
}

#[test]
fn every_single_character_change_of_the_branch() {
    let edge = edge();
    let fwd = forwarded(edge.on_request(REGISTER.to_vec(), &wss()));
    let ok = ok_for(&fwd);
    let text = String::from_utf8(ok.clone()).unwrap();
    let branch = text
        .split("branch=")
        .nth(1)
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
        .to_owned();
    let at = text.find(&branch).unwrap();
    let prefix = "z9hG4bKoa";
    assert!(branch.starts_with(prefix));
    assert_eq!(branch.len(), prefix.len() + 52);
    // The untouched response routes to the client's flow.
    let flow = wss().flow;
    assert!(matches!(
        edge.on_response(ok.clone(), now()),
        ResponseDecision::Relay { flow: f, .. } if f == flow
    ));
    // Branch layout (39 bytes, base64url without padding, 52 characters, no padding
    // bits): the flow id, a transaction hash, the token's expiry, the epoch, and the MAC
    // over all of them. Every byte is authenticated, so every change is refused.
    let mut mac_failures = 0;
    let alphabet: Vec<u8> = B64URL.iter().copied().chain(*b"!.").collect();
    for i in 0..branch.len() {
        let orig = branch.as_bytes()[i];
        for &c in &alphabet {
            if c == orig {
                continue;
            }
            let mut t = ok.clone();
            t[at + i] = c;
            let d = edge.on_response(t, now());
            let what = format!("char {i} {} -> {}: {d:?}", orig as char, c as char);
            let expected = if i < prefix.len() {
                // Not a branch this edge minted.
                FlowTokenError::Foreign
            } else if sextet(c).is_none() {
                FlowTokenError::Encoding
            } else {
                mac_failures += 1;
                FlowTokenError::BadMac
            };
            assert_eq!(
                d,
                ResponseDecision::Drop(DropReason::Tampered(expected)),
                "{what}"
            );
        }
    }
    assert_eq!(mac_failures, 52 * 63);
}

#[test]
fn a_branch_of_an_earlier_start_is_dropped_with_its_own_reason() {
    // Connection ids are reused after a restart: a response to a request forwarded
    // before it must not reach the connection that now has the id.
    let before = edge_with(
        config().epoch(1),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    let after = edge_with(
        config().epoch(2),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    let ok = ok_for(&forwarded(before.on_request(REGISTER.to_vec(), &wss())));
    assert!(matches!(
        before.on_response(ok.clone(), now()),
        ResponseDecision::Relay { .. }
    ));
    let d = after.on_response(ok, now());
    assert_eq!(
        d,
        ResponseDecision::Drop(DropReason::EarlierEpoch(FlowTokenError::EarlierEpoch {
            minted: 1
        }))
    );
    let ResponseDecision::Drop(reason) = d else {
        unreachable!()
    };
    assert_eq!(
        reason.to_string(),
        "flow token from an earlier start of this edge: flow token minted by an earlier start of this edge (epoch 1)"
    );
}

#[test]
fn every_single_character_change_of_the_path_token() {
    let c = config();
    let codec = c.flow_codec();
    let aor = format!("sip:bob@{HOME}");
    let uri = sip_oauth::message::header::Uri::parse(&aor).unwrap();
    let token = codec.path_token(FlowId(7), &uri).unwrap();
    assert_eq!(codec.flow_from_path_token(&token, &aor), Ok(FlowId(7)));
    // 36 bytes (flow id, epoch, AOR binding and MAC) fill 48 characters exactly: every
    // bit is MAC'd.
    assert_eq!(token.len(), 48);
    for i in 0..token.len() {
        for &ch in B64URL.iter().chain(b"!.%=") {
            if ch == token.as_bytes()[i] {
                continue;
            }
            let mut t = token.clone().into_bytes();
            t[i] = ch;
            let t = String::from_utf8(t).unwrap();
            let e = codec.flow_from_path_token(&t, &aor).unwrap_err();
            if sextet(ch).is_some() {
                assert_eq!(e, FlowTokenError::BadMac, "{i} -> {}", ch as char);
            } else {
                assert_eq!(e, FlowTokenError::Encoding, "{i} -> {}", ch as char);
            }
        }
    }
    // The token the edge wrote into the forwarded Path is that same token.
    let fwd = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    assert!(find(&fwd, token.as_bytes()));
}

#[test]
fn a_path_token_presented_for_another_aor_or_start_is_refused() {
    let fwd = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let fwd = text(&fwd);
    let path = fwd.split("Path: <sip:").nth(1).unwrap();
    let token = &path[..path.find('@').unwrap()];
    let e = edge();
    // Bob's AOR, in any equivalent spelling.
    assert_eq!(
        e.flow_for_path_token(token, &format!("sip:bob@{HOME}")),
        Ok(FlowId(7))
    );
    assert_eq!(
        e.flow_for_path_token(token, &format!("sip:%62ob@{}", HOME.to_uppercase())),
        Ok(FlowId(7))
    );
    // Another user's: its own reason.
    let other = e
        .flow_for_path_token(token, &format!("sip:alice@{HOME}"))
        .unwrap_err();
    assert_eq!(other, FlowTokenError::OtherAor);
    assert_eq!(
        DropReason::from(other).to_string(),
        "flow token of another address of record: Path flow token minted for another address of record"
    );
    // After a restart (a new epoch): its own reason.
    let restarted = edge_with(config().epoch(5), FixedValidator::new());
    let stale = restarted
        .flow_for_path_token(token, &format!("sip:bob@{HOME}"))
        .unwrap_err();
    assert_eq!(stale, FlowTokenError::EarlierEpoch { minted: 0 });
    assert!(matches!(
        DropReason::from(stale),
        DropReason::EarlierEpoch(_)
    ));
}

#[test]
fn a_token_spelled_with_quoted_pairs_is_read_unescaped_and_removed_whole() {
    use sip_oauth::token::{CredentialsHeader, TokenLocation};
    let edge = edge_with(
        config().token_location(TokenLocation::AuthParam {
            header: CredentialsHeader::Authorization,
            param: "access_token".to_owned(),
        }),
        sip_oauth::validate::FixedValidator::new().with_token("abc.def", bob()),
    );
    // `"ab\c.def"` is the quoted-string spelling of `abc.def` (RFC 3261 25.1).
    let input = register_with(
        &format!("Authorization: Bearer {}", sample_token()),
        "Authorization: Digest username=\"bob\", access_token=\"ab\\c.def\"",
    );
    let out = forwarded(edge.on_request(input, &wss()));
    assert_clean_forward(&out, "abc.def");
    assert!(!find(&out, b"ab\\c.def"));
    assert!(!find(&out, b"access_token"));
}

#[test]
fn an_empty_element_before_the_edge_via_is_not_an_entry() {
    // Found by the `edge_response` fuzz target: `Via: ,<edge's via>` holds one entry.
    // The field goes as a whole, and the client's Via is relayed untouched.
    let edge = edge();
    let ok = ok_for(&forwarded(edge.on_request(REGISTER.to_vec(), &wss())));
    let ok = String::from_utf8(ok)
        .unwrap()
        .replacen("Via: ", "Via: ,", 1);
    let (flow, text) = relayed(edge.on_response(ok.into_bytes(), now()));
    assert_eq!(flow, wss().flow);
    let msg = Message::parse(text.clone().into_bytes()).unwrap();
    let vias: Vec<_> = msg
        .find(HeaderName::Via)
        .map(|h| msg.value_str(h).unwrap().to_owned())
        .collect();
    assert_eq!(vias.len(), 1, "{text}");
    assert!(vias[0].contains("8h2kqv9r1c4p.invalid"), "{text}");
    assert!(!text.contains("branch=z9hG4bKoa"), "{text}");
}

#[test]
fn a_client_cannot_steer_its_register_past_the_core_with_route() {
    // A preloaded Route toward a host of the client's choosing (its header name in
    // lower and upper case, one field a list) never leaves the edge (RFC 3261 16.4).
    let req = register_with(
        "Supported: path,gruu,outbound\r\n",
        "Supported: path,gruu,outbound\r\nroute: <sip:attacker.example;lr>\r\n\
         ROUTE: <sip:attacker.example:5061;transport=tcp;lr>,<sips:attacker.example>\r\n",
    );
    let out = forwarded(edge().on_request(req, &wss()));
    assert!(!find(&out, b"attacker"), "{}", text(&out));
}

#[test]
fn keys_in_a_challenge_never_reach_the_client_however_spelled() {
    // TS 24.229 5.2.2. A challenge that does not parse cannot be shown to be free of
    // ck and ik, so it is removed whole; a parsed one loses them in any case.
    let fwd = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let ok = String::from_utf8(ok_for(&fwd)).unwrap();
    for challenge in [
        "Digest realm=\"r\", CK=00112233, Ik=\"4455\"",
        "Digest ck=\"0011\",ik=\"2233\"",
        "Digest realm=\"r\", ck=\"unterminated",
        "Digest ,,, ck=1",
    ] {
        let resp = ok
            .replacen("SIP/2.0 200 OK", "SIP/2.0 401 Unauthorized", 1)
            .replacen(
                "CSeq: 1 REGISTER\r\n",
                &format!(
                    "CSeq: 1 REGISTER\r\nWWW-Authenticate: Bearer realm=\"r\"\r\n\
                     WWW-Authenticate: {challenge}\r\n"
                ),
                1,
            );
        match edge().on_response(resp.into_bytes(), now()) {
            ResponseDecision::Relay { bytes, .. } => {
                let out = text(&bytes).to_ascii_lowercase();
                assert!(
                    !out.contains("ck=") && !out.contains("ik="),
                    "{challenge}: {out}"
                );
                assert!(
                    out.contains("www-authenticate: bearer realm=\"r\""),
                    "{out}"
                );
            }
            other @ ResponseDecision::ToCore { .. } => {
                panic!("a core response sent back to the core: {other:?}")
            }
            ResponseDecision::Drop(_) => {}
        }
    }
}
