//! The REGISTER procedure, message by message: the seed scenario byte for byte, every
//! rejection path, and each security rule of the edge.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use sip_oauth::edge::{
    AuthEntityPlacement, DropReason, ExpiryPolicy, FlowId, Inbound, RejectCause, RequestDecision,
    ResponseDecision, Transport,
};
use sip_oauth::identity::HeaderText;
use sip_oauth::message::{HeaderName, Message};
use sip_oauth::token::{CredentialsHeader, TokenLocation};
use sip_oauth::validate::{Authorization, FixedValidator, ValidationError, Validator};

#[test]
fn seed_scenario_forwards_the_annex_u_register() {
    let out = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    golden("forward_register_wss.sip", &out);
    let msg = Message::parse(out.clone()).unwrap();
    let auths: Vec<_> = msg.find(HeaderName::Authorization).collect();
    assert_eq!(auths.len(), 1);
    assert_eq!(
        msg.value_str(auths[0]).unwrap(),
        format!(
            "Digest username=\"bob@{HOME}\", realm=\"{HOME}\", uri=\"sip:{HOME}\", \
             nonce=\"\", response=\"\", integrity-protected=\"auth-done\""
        )
    );
    assert!(!text(&out).contains(&sample_token()));
    assert!(!text(&out).contains("Bearer"));
}

#[test]
fn seed_scenario_relays_the_200_ok() {
    let e = edge();
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let ok = ok_for(&out);
    match e.on_response(ok, now()) {
        ResponseDecision::Relay {
            flow,
            bytes,
            status,
            registered,
        } => {
            assert_eq!(flow, FlowId(7));
            assert_eq!(status, 200);
            golden("relay_200_ok.sip", &bytes);
            let reg = registered.expect("a 2xx to REGISTER reports the registration");
            assert_eq!(reg.aor(), format!("sip:bob@{HOME}"));
            assert_eq!(
                reg.service_route().collect::<Vec<_>>(),
                [format!("sip:orig@scscf1.{HOME};lr")]
            );
            assert_eq!(
                reg.associated_uris().collect::<Vec<_>>(),
                [format!("sip:bob@{HOME}").as_str(), "tel:+15550100123"]
            );
            assert_eq!(
                reg.contacts().collect::<Vec<_>>(),
                [("sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws", 3600)]
            );
            // Only the client's Via is left.
            let relayed = Message::parse(bytes).unwrap();
            assert_eq!(relayed.find(HeaderName::Via).count(), 1);
        }
        other => panic!("expected relay, got {other:?}"),
    }
}

#[test]
fn output_is_deterministic() {
    let a = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let b = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    assert_eq!(a, b);
}

#[test]
fn forwarded_register_carries_the_p_cscf_headers() {
    let out = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let msg = Message::parse(out).unwrap();
    let vias: Vec<_> = msg
        .find(HeaderName::Via)
        .map(|h| msg.value_str(h).unwrap())
        .collect();
    assert_eq!(vias.len(), 2);
    assert!(vias[0].starts_with("SIP/2.0/UDP pcscf.visited.example:5060;branch=z9hG4bK"));
    assert_eq!(
        vias[1],
        "SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport=50312;received=198.51.100.7"
    );
    let one = |n: HeaderName| msg.value_str(msg.first(n).unwrap()).unwrap().to_owned();
    assert_eq!(one(HeaderName::MaxForwards), "69");
    assert_eq!(one(HeaderName::Require), "path");
    assert_eq!(one(HeaderName::PVisitedNetworkId), "visited.example");
    let path = one(HeaderName::Path);
    assert!(path.starts_with("<sip:") && path.ends_with("@pcscf.visited.example:5060;lr;ob>"));
    let user = &path[5..path.find('@').unwrap()];
    assert_eq!(
        edge().flow_for_path_token(user, &format!("sip:bob@{HOME}")),
        Ok(FlowId(7))
    );
    assert!(one(HeaderName::PChargingVector).starts_with("icid-value="));
}

#[test]
fn no_token_is_challenged_with_401() {
    let req = register_with(&format!("Authorization: Bearer {}\r\n", sample_token()), "");
    let d = edge().on_request(req, &wss());
    let (flow, reply) = replied(d);
    assert_eq!(flow, FlowId(7));
    golden("reply_401_no_token.sip", reply.as_bytes());
    assert!(reply.contains(&format!("WWW-Authenticate: Bearer realm=\"{HOME}\"\r\n")));
    assert!(!reply.contains("error="));
}

#[test]
fn challenge_names_scope_and_authorisation_server_when_configured() {
    let config = config()
        .challenge_scope("sip:register")
        .unwrap()
        .authz_server("https://waf.operator.example/token")
        .unwrap();
    let e = edge_with(config, FixedValidator::new());
    let req = register_with(&format!("Authorization: Bearer {}\r\n", sample_token()), "");
    let (_, reply) = replied(e.on_request(req, &wss()));
    assert!(reply.contains(&format!(
        "WWW-Authenticate: Bearer realm=\"{HOME}\", scope=\"sip:register\", \
         authz_server=\"https://waf.operator.example/token\"\r\n"
    )));
}

#[test]
fn invalid_token_gets_401_invalid_token() {
    let e = edge_with(config(), FixedValidator::new());
    let d = e.on_request(REGISTER.to_vec(), &wss());
    let RequestDecision::Reply {
        bytes, rejection, ..
    } = d
    else {
        panic!("expected a reply");
    };
    let reply = text(&bytes);
    golden("reply_401_invalid_token.sip", &bytes);
    assert!(reply.starts_with("SIP/2.0 401 Unauthorized\r\n"));
    assert!(reply.contains("error=\"invalid_token\""));
    assert!(!reply.contains(&sample_token()));
    assert!(matches!(rejection.cause, RejectCause::Invalid(_)));
}

#[test]
fn expired_token_gets_401() {
    let mut auth = bob();
    auth.expires_at = Some(now() - Duration::from_secs(1));
    let e = edge_with(
        config(),
        FixedValidator::new().with_token(sample_token(), auth),
    );
    let (_, reply) = replied(e.on_request(REGISTER.to_vec(), &wss()));
    assert!(reply.starts_with("SIP/2.0 401 "));
    assert!(reply.contains("error=\"invalid_token\""));
}

struct NeedsScope;
impl Validator for NeedsScope {
    fn validate(&self, _: &str, _: SystemTime) -> Result<Arc<Authorization>, ValidationError> {
        Err(ValidationError::InsufficientScope {
            required: vec!["sip:register".to_owned()],
        })
    }
}

#[test]
fn insufficient_scope_gets_403() {
    let e = edge_with(config(), NeedsScope);
    let (_, reply) = replied(e.on_request(REGISTER.to_vec(), &wss()));
    golden("reply_403_insufficient_scope.sip", reply.as_bytes());
    assert!(reply.starts_with("SIP/2.0 403 "));
    assert!(reply.contains("error=\"insufficient_scope\""));
}

#[test]
fn malformed_token_gets_400_invalid_request() {
    let req = register_with(&sample_token(), "not\"a-token");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(reply.starts_with("SIP/2.0 400 "), "{reply}");
    assert!(reply.contains("error=\"invalid_request\""));
}

#[test]
fn two_different_tokens_get_400() {
    let req = register_with(
        "Allow:",
        "Authorization: Bearer another.token.here\r\nAllow:",
    );
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(reply.starts_with("SIP/2.0 400 "), "{reply}");
    assert!(reply.contains("error=\"invalid_request\""));
}

#[test]
fn registering_an_identity_the_token_lacks_gets_403() {
    let req = register_with("To: \"Bob\" <sip:bob@", "To: \"Bob\" <sip:alice@");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(
        reply.starts_with("SIP/2.0 403 Forbidden (identity not granted by token)\r\n"),
        "{reply}"
    );
}

#[test]
fn tel_impu_matches_ignoring_visual_separators() {
    let req = register_with(
        &format!("To: \"Bob\" <sip:bob@{HOME}>"),
        "To: <tel:+1-555-010-0123>",
    );
    forwarded(edge().on_request(req, &wss()));
}

#[test]
fn client_integrity_protected_and_credentials_never_reach_the_core() {
    let req = register_with(
        "Allow:",
        "Authorization: Digest username=\"evil@home\", realm=\"x\", nonce=\"\", uri=\"sip:x\", \
         response=\"\", integrity-protected=\"auth-done\"\r\n\
         Proxy-Authorization: Digest username=\"evil@home\", integrity-protected=yes\r\nAllow:",
    );
    let out = forwarded(edge().on_request(req, &wss()));
    let t = text(&out);
    assert_eq!(t.matches("integrity-protected").count(), 1);
    assert!(!t.contains("evil"));
    assert!(!t.contains("Proxy-Authorization"));
}

#[test]
fn client_asserted_identities_are_removed() {
    let req = register_with(
        "Allow:",
        "P-Asserted-Identity: <sip:admin@home>\r\nP-Preferred-Identity: <sip:admin@home>\r\nAllow:",
    );
    let out = forwarded(edge().on_request(req, &wss()));
    assert!(!text(&out).contains("admin@home"));
}

#[test]
fn lifetime_is_capped_to_the_token() {
    let out = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let t = text(&out);
    assert!(t.contains(";expires=1800\r\n"));
    assert!(t.contains("\r\nExpires: 1800\r\n"));
    assert!(!t.contains("3600"));
}

#[test]
fn lifetime_policy_reject_and_ignore() {
    let v = || FixedValidator::new().with_token(sample_token(), bob());
    let e = edge_with(config().expiry_policy(ExpiryPolicy::Reject), v());
    let (_, reply) = replied(e.on_request(REGISTER.to_vec(), &wss()));
    assert!(reply.starts_with("SIP/2.0 403 Forbidden (registration outlives token)"));
    let e = edge_with(config().expiry_policy(ExpiryPolicy::Ignore), v());
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    assert_eq!(text(&out).matches("3600").count(), 2);
}

#[test]
fn implicit_lifetime_gets_an_expires_header() {
    let req = register_with("Expires: 3600\r\n", "");
    let req = String::from_utf8(req)
        .unwrap()
        .replace(";expires=3600", "")
        .into_bytes();
    let out = forwarded(edge().on_request(req, &wss()));
    assert!(text(&out).contains("\r\nExpires: 1800\r\n"));
}

#[test]
fn deregistration_and_binding_fetch_are_forwarded() {
    let dereg = String::from_utf8(register_with("Expires: 3600", "Expires: 0")).unwrap();
    let start = dereg.find("Contact:").unwrap();
    let end = start + dereg[start..].find("\r\n").unwrap();
    let dereg = format!("{}Contact: *{}", &dereg[..start], &dereg[end..]);
    let out = forwarded(edge().on_request(dereg.clone().into_bytes(), &wss()));
    assert!(text(&out).contains("\r\nContact: *\r\n"));
    assert!(text(&out).contains("\r\nExpires: 0\r\n"));

    let fetch = dereg
        .replace("Contact: *\r\n", "")
        .replace("Expires: 0\r\n", "");
    let d = edge().on_request(fetch.into_bytes(), &wss());
    match d {
        RequestDecision::Forward { bytes, admitted } => {
            assert_eq!(admitted.expires, None);
            assert!(!text(&bytes).contains("Expires"));
        }
        other => panic!("{other:?}"),
    }

    let bad = dereg.replace("Expires: 0", "Expires: 60");
    let (_, reply) = replied(edge().on_request(bad.into_bytes(), &wss()));
    assert!(reply.starts_with("SIP/2.0 400 "));
}

#[test]
fn max_forwards_exhausted_gets_483_and_missing_gets_70() {
    let req = register_with("Max-Forwards: 70", "Max-Forwards: 0");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(reply.starts_with("SIP/2.0 483 Too Many Hops\r\n"));
    let req = register_with("Max-Forwards: 70\r\n", "");
    let out = forwarded(edge().on_request(req, &wss()));
    assert!(text(&out).contains("\r\nMax-Forwards: 70\r\n"));
}

#[test]
fn malformed_requests_get_400_naming_the_problem() {
    let req = register_with("CSeq: 1 REGISTER", "CSeq: 1 INVITE");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    // Aligned with the RFC 3261 validator: the reason names its Violation, no longer the ParseError.
    assert!(
        reply.starts_with("SIP/2.0 400 Bad Request (CSeq method does not match the request method"),
        "{reply}"
    );
    let req = register_with("Call-ID: 3mq0v1ccpo3db3lr8v9tqk\r\n", "");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    // Aligned with the RFC 3261 validator: the reason names its Violation, no longer the ParseError.
    assert!(
        reply.starts_with("SIP/2.0 400 Bad Request (missing mandatory Call-ID header"),
        "{reply}"
    );
    let req = register_with(
        "Call-ID: 3mq0v1ccpo3db3lr8v9tqk\r\n",
        "Call-ID: a\r\nCall-ID: b\r\n",
    );
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(
        reply.starts_with("SIP/2.0 400 Bad Request (Call-ID appears more than once"),
        "{reply}"
    );
}

#[test]
fn proxy_require_gets_420_with_unsupported() {
    let req = register_with("Allow:", "Proxy-Require: sec-agree\r\nAllow:");
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(reply.starts_with("SIP/2.0 420 Bad Extension\r\n"));
    assert!(reply.contains("\r\nUnsupported: sec-agree\r\n"));
}

#[test]
fn non_sip_request_uri_gets_416() {
    let req = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        "REGISTER http://example.com/ SIP/2.0",
    );
    let (_, reply) = replied(edge().on_request(req, &wss()));
    assert!(reply.starts_with("SIP/2.0 416 "));
}

#[test]
fn other_requests_are_left_to_the_host() {
    let invite =
        b"INVITE sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\n\
        Max-Forwards: 70\r\nTo: <sip:alice@example.com>\r\nFrom: <sip:bob@example.com>;tag=1\r\n\
        Call-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@a.invalid;transport=ws>\r\n\
        Content-Length: 0\r\n\r\n";
    // From a connection that registered nothing, an INVITE is refused (TS 24.229
    // 5.2.6.3: only registered clients originate).
    let (_, reply) = replied(edge().on_request(invite.to_vec(), &wss()));
    assert!(reply.starts_with("SIP/2.0 403 "), "{reply}");
    assert!(reply.contains("not registered"), "{reply}");
    // A non-REGISTER is proxy-checked first, so one without To, From, Call-ID and Max-Forwards is refused for that.
    let bare =
        b"INVITE sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\n\
        CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let (_, reply) = replied(edge().on_request(bare.to_vec(), &wss()));
    assert!(
        reply.starts_with("SIP/2.0 400 Bad Request (missing mandatory To header"),
        "{reply}"
    );
    let ack =
        b"ACK sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\n\
        CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        edge().on_request(ack.to_vec(), &wss()),
        RequestDecision::Drop(DropReason::Ack)
    );
    assert_eq!(
        edge().on_request(OK_FROM_SCSCF.to_vec(), &wss()),
        RequestDecision::Drop(DropReason::WrongDirection)
    );
    assert!(matches!(
        edge().on_request(b"garbage".to_vec(), &wss()),
        RequestDecision::Drop(DropReason::Unparseable(_))
    ));
}

#[test]
fn udp_and_tcp_clients_get_received_and_rport() {
    let udp = String::from_utf8(REGISTER.to_vec()).unwrap().replace(
        "Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport",
        "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK7739204;rport",
    );
    let inbound = Inbound {
        transport: Transport::Udp,
        peer: "203.0.113.9:40000".parse().unwrap(),
        ..wss()
    };
    // A lab edge on plain sockets (RFC 6750 5.3 refuses tokens over them by default).
    let edge = edge_with(
        config().allow_insecure_transport(true),
        FixedValidator::new().with_token(sample_token(), bob()),
    );
    let out = forwarded(edge.on_request(udp.clone().into_bytes(), &inbound));
    golden("forward_register_udp.sip", &out);
    assert!(text(&out).contains(
        "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK7739204;rport=40000;received=203.0.113.9\r\n"
    ));
    let tcp = udp.replace("SIP/2.0/UDP 10.0.0.5:5060", "SIP/2.0/TCP 10.0.0.5:5060");
    let out = forwarded(edge.on_request(
        tcp.into_bytes(),
        &Inbound {
            transport: Transport::Tcp,
            ..inbound
        },
    ));
    assert!(text(&out).contains(
        "Via: SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bK7739204;rport=40000;received=203.0.113.9\r\n"
    ));
}

#[test]
fn token_in_other_places_is_found_and_removed() {
    let token = sample_token();
    let without = String::from_utf8(register_with(
        &format!("Authorization: Bearer {token}\r\n"),
        "",
    ))
    .unwrap();
    let v = || FixedValidator::new().with_token(sample_token(), bob());

    // A named header.
    let req = without.replace("Allow:", &format!("X-Access-Token: {token}\r\nAllow:"));
    let e = edge_with(
        config().token_location(TokenLocation::Header("X-Access-Token".into())),
        v(),
    );
    let out = forwarded(e.on_request(req.into_bytes(), &wss()));
    assert!(!text(&out).contains("X-Access-Token"));

    // A Request-URI parameter.
    let req = without.replacen(
        &format!("sip:{HOME} SIP/2.0"),
        &format!("sip:{HOME};access_token={token} SIP/2.0"),
        1,
    );
    let e = edge_with(
        config().token_location(TokenLocation::RequestUriParam("access_token".into())),
        v(),
    );
    let out = forwarded(e.on_request(req.into_bytes(), &wss()));
    assert!(text(&out).starts_with(&format!("REGISTER sip:{HOME} SIP/2.0\r\n")));

    // A Contact URI parameter.
    let req = without.replacen(
        ";transport=ws>",
        &format!(";transport=ws;access_token={token}>"),
        1,
    );
    let e = edge_with(
        config().token_location(TokenLocation::ContactUriParam("access_token".into())),
        v(),
    );
    let out = forwarded(e.on_request(req.into_bytes(), &wss()));
    assert!(text(&out).contains("Contact: <sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;"));

    // An auth-param of another credentials header.
    let req = without.replace(
        "Allow:",
        &format!("Authorization: Custom access_token=\"{token}\"\r\nAllow:"),
    );
    let e = edge_with(
        config().token_location(TokenLocation::AuthParam {
            header: CredentialsHeader::Authorization,
            param: "access_token".into(),
        }),
        v(),
    );
    let out = forwarded(e.on_request(req.into_bytes(), &wss()));
    assert!(!text(&out).contains("Custom"));

    // From the WebSocket handshake.
    let e = edge_with(config().token_location(TokenLocation::Transport), v());
    let header = format!("Bearer {token}");
    let inbound = Inbound {
        transport_token: Some(&header),
        ..wss()
    };
    forwarded(e.on_request(without.clone().into_bytes(), &inbound));

    // First of a list: the transport has none, the Authorization header has it.
    let e = edge_with(
        config().token_location(TokenLocation::FirstOf(vec![
            TokenLocation::Transport,
            TokenLocation::AuthorizationBearer,
        ])),
        v(),
    );
    forwarded(e.on_request(REGISTER.to_vec(), &wss()));
}

#[test]
fn third_party_authorisation_entity_is_named_where_configured() {
    let mut auth = bob();
    auth.auth_entity = Some(HeaderText::try_from("waf.thirdparty.example").unwrap());
    let v = || FixedValidator::new().with_token(sample_token(), auth.clone());
    let e = edge_with(
        config()
            .auth_entity(AuthEntityPlacement::AuthParam("auth-entity".into()))
            .unwrap(),
        v(),
    );
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    assert!(
        text(&out).contains(
            "integrity-protected=\"auth-done\", auth-entity=\"waf.thirdparty.example\"\r\n"
        )
    );
    let e = edge_with(
        config()
            .auth_entity(AuthEntityPlacement::Header("P-Auth-Entity".into()))
            .unwrap(),
        v(),
    );
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    assert!(text(&out).contains("\r\nP-Auth-Entity: waf.thirdparty.example\r\n"));
}

#[test]
fn responses_that_are_not_ours_are_dropped() {
    let e = edge();
    // The sample's branch was not minted by this edge.
    assert!(matches!(
        e.on_response(OK_FROM_SCSCF.to_vec(), now()),
        ResponseDecision::Drop(DropReason::Tampered(_))
    ));
    let foreign = text(OK_FROM_SCSCF).replace("pcscf.visited.example:5060", "other.example");
    assert_eq!(
        e.on_response(foreign.into_bytes(), now()),
        ResponseDecision::Drop(DropReason::NotOurs)
    );
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let ok = String::from_utf8(ok_for(&out)).unwrap();
    let trying = ok.replace("SIP/2.0 200 OK", "SIP/2.0 100 Trying");
    assert_eq!(
        e.on_response(trying.into_bytes(), now()),
        ResponseDecision::Drop(DropReason::HopByHop)
    );
    // Flip one character of the minted branch.
    let at = ok.find("branch=z9hG4bKoa").unwrap() + 20;
    let mut tampered = ok.clone().into_bytes();
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    assert!(matches!(
        e.on_response(tampered, now()),
        ResponseDecision::Drop(DropReason::Tampered(_))
    ));
    // A key rotation invalidates old branches.
    let other = edge_with(
        sip_oauth::edge::Config::new(HOME, EDGE_HOST, b"another-key-0123456789").unwrap(),
        FixedValidator::new(),
    );
    assert!(matches!(
        other.on_response(ok.into_bytes(), now()),
        ResponseDecision::Drop(DropReason::Tampered(_))
    ));
}

#[test]
fn core_errors_are_relayed() {
    let e = edge();
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    let forbidden = String::from_utf8(ok_for(&out))
        .unwrap()
        .replace("SIP/2.0 200 OK", "SIP/2.0 403 Forbidden");
    match e.on_response(forbidden.into_bytes(), now()) {
        ResponseDecision::Relay {
            flow,
            status,
            registered,
            bytes,
        } => {
            assert_eq!((flow, status, registered), (FlowId(7), 403, None));
            assert!(text(&bytes).starts_with("SIP/2.0 403 Forbidden\r\n"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn routes_of_a_register_are_removed_before_it_goes_to_the_core() {
    // RFC 3261 16.4: the edge's own URI on top of Route is removed; a REGISTER goes to
    // the configured core, so the client's further Routes are removed as well.
    let req = register_with(
        "Supported: path,gruu,outbound\r\n",
        "Supported: path,gruu,outbound\r\n\
         Route: <sip:pcscf.visited.example:5060;lr>, <sip:elsewhere.example;lr>\r\n\
         Route: <sip:third.example;lr>\r\n",
    );
    let out = forwarded(edge().on_request(req, &wss()));
    let out = text(&out);
    assert!(!out.contains("Route:"), "{out}");
    assert!(
        !out.contains("elsewhere.example") && !out.contains("third.example"),
        "{out}"
    );
    // Only the edge's own Route: removed too, the rest unchanged.
    let req = register_with(
        "Supported: path,gruu,outbound\r\n",
        "Supported: path,gruu,outbound\r\nRoute: <sip:pcscf.visited.example:5060;lr>\r\n",
    );
    let with_route = forwarded(edge().on_request(req, &wss()));
    let without = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    assert_eq!(text(&with_route), text(&without));
}

/// The core's answer to the sample REGISTER as forwarded: the sample 200 OK with its
/// status line replaced and `extra` header lines added after CSeq.
fn core_answer(status_line: &str, extra: &str) -> Vec<u8> {
    let fwd = forwarded(edge().on_request(REGISTER.to_vec(), &wss()));
    let ok = String::from_utf8(ok_for(&fwd)).unwrap();
    ok.replacen("SIP/2.0 200 OK", status_line, 1)
        .replacen(
            "CSeq: 1 REGISTER\r\n",
            &format!("CSeq: 1 REGISTER\r\n{extra}"),
            1,
        )
        .into_bytes()
}

#[test]
fn ck_and_ik_never_reach_the_client() {
    // TS 24.229 5.2.2: the P-CSCF removes ck and ik from challenges toward the UE. A 401
    // with a Bearer challenge is relayed (the client can answer it), its AKA one without
    // the keys.
    let resp = core_answer(
        "SIP/2.0 401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"bm9uY2U\", \
         algorithm=AKAv1-MD5, CK=\"00112233445566778899aabbccddeeff\", \
         ik=\"ffeeddccbbaa99887766554433221100\", qop=\"auth\"\r\n\
         WWW-Authenticate: Bearer realm=\"ims.example\"\r\n\
         Proxy-Authenticate: Digest realm=\"p.example\", nonce=\"x\", ck=\"0011\"\r\n",
    );
    let (flow, out) = relayed(edge().on_response(resp, now()));
    assert_eq!(flow, FlowId(7));
    assert!(out.starts_with("SIP/2.0 401 Unauthorized\r\n"), "{out}");
    assert!(
        out.contains(
            "WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"bm9uY2U\", \
             algorithm=AKAv1-MD5, qop=\"auth\"\r\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("WWW-Authenticate: Bearer realm=\"ims.example\"\r\n"),
        "{out}"
    );
    assert!(
        out.contains("Proxy-Authenticate: Digest realm=\"p.example\", nonce=\"x\"\r\n"),
        "{out}"
    );
    let lower = out.to_ascii_lowercase();
    assert!(!lower.contains("ck=") && !lower.contains("ik="), "{out}");
}

#[test]
fn a_digest_challenge_from_the_core_becomes_a_403() {
    // The bearer client cannot answer Digest or AKA: relaying the 401 would have it
    // resend its token in a loop.
    let resp = core_answer(
        "SIP/2.0 401 Unauthorized",
        "WWW-Authenticate: Digest realm=\"ims.example\", nonce=\"n\", ck=\"0011\", ik=\"2233\"\r\n",
    );
    let d = edge().on_response(resp, now());
    let ResponseDecision::Relay { status, .. } = &d else {
        panic!("{d:?}");
    };
    assert_eq!(*status, 403);
    let (flow, out) = relayed(d);
    assert_eq!(flow, FlowId(7));
    assert!(
        out.starts_with(
            "SIP/2.0 403 Forbidden (the home network asked for credentials a bearer client cannot give)\r\n"
        ),
        "{out}"
    );
    assert!(!out.contains("WWW-Authenticate"), "{out}");
    assert!(!out.contains("pcscf.visited.example:5060;branch"), "{out}");
    assert!(
        out.contains("Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;received=198.51.100.7"),
        "{out}"
    );
    assert!(
        out.contains(";tag=8c1f5e\r\n") && out.contains("CSeq: 1 REGISTER\r\n"),
        "{out}"
    );
}

#[test]
fn charging_headers_stay_in_the_network() {
    let resp = core_answer(
        "SIP/2.0 200 OK",
        "P-Charging-Function-Addresses: ccf=192.0.2.10; ecf=192.0.2.11\r\n\
         P-Charging-Vector: icid-value=1234bc9876e;orig-ioi=home.example\r\n\
         p-charging-function-addresses: ccf=192.0.2.12\r\n",
    );
    let (_, out) = relayed(edge().on_response(resp, now()));
    assert!(out.starts_with("SIP/2.0 200 OK\r\n"), "{out}");
    assert!(!out.to_ascii_lowercase().contains("p-charging"), "{out}");
    assert!(out.contains("Service-Route:"), "{out}");
}

#[test]
fn a_423_the_token_cannot_satisfy_asks_for_a_fresh_token() {
    // The token of `bob()` has 1800 s left at `now()`, carried in the edge's branch.
    let long = core_answer("SIP/2.0 423 Interval Too Brief", "Min-Expires: 3600\r\n");
    let d = edge().on_response(long.clone(), now());
    let (flow, out) = relayed(d);
    assert_eq!(flow, FlowId(7));
    assert!(
        out.starts_with(
            "SIP/2.0 401 Unauthorized (token expires before the minimum registration interval)\r\n"
        ),
        "{out}"
    );
    assert!(out.contains("WWW-Authenticate: Bearer realm="), "{out}");
    assert!(out.contains("error=\"invalid_token\""), "{out}");
    assert!(!out.contains("Min-Expires"), "{out}");
    // Later, less of the token is left.
    let later = now() + Duration::from_secs(1500);
    let short = core_answer("SIP/2.0 423 Interval Too Brief", "Min-Expires: 600\r\n");
    let (_, out) = relayed(edge().on_response(short.clone(), later));
    assert!(out.starts_with("SIP/2.0 401"), "{out}");
    // A Min-Expires the token covers: the 423 is relayed for the client to retry.
    let (_, out) = relayed(edge().on_response(short, now()));
    assert!(
        out.starts_with("SIP/2.0 423 Interval Too Brief\r\n"),
        "{out}"
    );
    assert!(out.contains("Min-Expires: 600\r\n"), "{out}");
}
