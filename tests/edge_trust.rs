//! Trust at the seams of the REGISTER procedure: only the home domains get `auth-done`,
//! a registration is never turned into a de-registration by a token about to expire,
//! and the address of record is compared as strictly as a registrar compares it.

mod common;

use std::time::Duration;

use common::*;
use sip_oauth::edge::{RejectCause, RequestDecision};
use sip_oauth::identity::Impu;
use sip_oauth::validate::{Authorization, FixedValidator};

fn decide(auth: Authorization, raw: Vec<u8>) -> RequestDecision {
    edge_with(config(), FixedValidator::any(auth)).on_request(raw, &wss())
}

fn refusal(d: &RequestDecision) -> (u16, RejectCause, String) {
    match d {
        RequestDecision::Reply {
            rejection, bytes, ..
        } => (
            rejection.status,
            rejection.cause.clone(),
            text(bytes).to_owned(),
        ),
        other => panic!("not refused: {other:?}"),
    }
}

/// Bob's grant, expiring `secs` after [`now`] (negative: before).
fn bob_for(secs: i64) -> Authorization {
    let mut auth = bob();
    auth.expires_at = Some(if secs >= 0 {
        now() + Duration::from_secs(secs as u64)
    } else {
        now() - Duration::from_secs(secs.unsigned_abs())
    });
    auth
}

#[test]
fn a_register_for_a_foreign_domain_is_refused_without_an_annex_u_header() {
    let raw = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        "REGISTER sip:other.example SIP/2.0",
    );
    let d = decide(bob(), raw);
    let (status, cause, reply) = refusal(&d);
    assert_eq!((status, cause), (403, RejectCause::ForeignDomain));
    assert!(reply.starts_with("SIP/2.0 403 Forbidden (not a home domain of this edge)"));
    assert!(!reply.contains("auth-done"));
}

#[test]
fn a_configured_second_home_domain_is_served_and_named_in_the_annex_u_uri() {
    let raw = register_with(
        &format!("REGISTER sip:{HOME} SIP/2.0"),
        "REGISTER sip:IMS.second.example SIP/2.0",
    );
    let config = config().also_home_domain("ims.second.example").unwrap();
    let d = edge_with(config, FixedValidator::any(bob())).on_request(raw, &wss());
    let out = forwarded(d);
    assert!(
        text(&out).contains("uri=\"sip:ims.second.example\""),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("integrity-protected=\"auth-done\""));
    assert!(config_refuses("bad domain"));
}

fn config_refuses(domain: &str) -> bool {
    config().also_home_domain(domain).is_err()
}

#[test]
fn a_token_about_to_expire_is_refused_so_the_client_renews_it() {
    // 1 s and 59 s before `exp`: below the default minimum of 60 s.
    for secs in [1, 59] {
        let d = decide(bob_for(secs), REGISTER.to_vec());
        let (status, cause, reply) = refusal(&d);
        assert_eq!(status, 401, "{secs} s");
        assert_eq!(
            cause,
            RejectCause::ExpiresTooSoon {
                remaining: secs as u32,
                minimum: 60
            }
        );
        assert!(reply.contains("error=\"invalid_token\""), "{reply}");
        assert!(reply.contains("expires too soon"), "{reply}");
        assert!(!reply.contains("Expires: 0"), "{reply}");
    }
    // 60 s: admitted, capped to the token's lifetime, never to 0.
    let out = forwarded(decide(bob_for(60), REGISTER.to_vec()));
    assert!(text(&out).contains("\r\nExpires: 60\r\n"), "{}", text(&out));
    assert!(text(&out).contains(";expires=60"), "{}", text(&out));
}

#[test]
fn a_token_inside_the_leeway_after_exp_is_refused_not_turned_into_a_removal() {
    // The validator accepts a token up to its leeway past `exp`; 1 s after is such one.
    let token = mint_hs256(-1, HS_SECRET);
    let d = edge_with(config(), jwt_validator()).on_request(register_carrying(&token), &wss());
    let (status, cause, reply) = refusal(&d);
    assert_eq!(status, 401);
    assert!(
        matches!(cause, RejectCause::ExpiresTooSoon { remaining: 0, .. }),
        "{cause:?}"
    );
    assert!(reply.contains("error=\"invalid_token\""), "{reply}");
}

#[test]
fn with_no_minimum_a_spent_token_still_never_caps_a_registration_to_zero() {
    let e = edge_with(config().min_token_lifetime(0), jwt_validator());
    let d = e.on_request(register_carrying(&mint_hs256(-1, HS_SECRET)), &wss());
    let (status, cause, _) = refusal(&d);
    assert_eq!(status, 401);
    assert_eq!(
        cause,
        RejectCause::ExpiresTooSoon {
            remaining: 0,
            minimum: 0
        }
    );
    // One second left is enough when no minimum is asked for.
    let e = edge_with(
        config().min_token_lifetime(0),
        FixedValidator::any(bob_for(1)),
    );
    let out = forwarded(e.on_request(REGISTER.to_vec(), &wss()));
    assert!(text(&out).contains("\r\nExpires: 1\r\n"));
}

#[test]
fn a_de_registration_goes_through_whatever_the_token_has_left() {
    let raw = register_with("Expires: 3600", "Expires: 0");
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace(";expires=3600", ";expires=0");
    let out = forwarded(decide(bob_for(5), raw.into_bytes()));
    assert!(text(&out).contains("\r\nExpires: 0\r\n"));
}

#[test]
fn a_password_in_the_address_of_record_is_refused() {
    let raw = register_with(
        &format!("To: \"Bob\" <sip:bob@{HOME}>"),
        &format!("To: \"Bob\" <sip:bob:secret@{HOME}>"),
    );
    let (status, cause, reply) = refusal(&decide(bob(), raw));
    assert_eq!((status, cause), (403, RejectCause::PasswordInAor));
    assert!(reply.starts_with("SIP/2.0 403 Forbidden (password in the address of record)"));
}

#[test]
fn tel_and_user_phone_identities_compare_as_numbers_with_their_context() {
    let mut auth = bob();
    auth.impus.clear();
    auth.impus
        .push(Impu::try_from("tel:7042;phone-context=example.com").unwrap());
    let to = |aor: &str| {
        register_with(
            &format!("To: \"Bob\" <sip:bob@{HOME}>"),
            &format!("To: \"Bob\" <{aor}>"),
        )
    };
    // The same local number in the same context, even written as a sip URI.
    for aor in [
        "tel:70-42;phone-context=EXAMPLE.com",
        &format!("sip:7042;phone-context=example.com@{HOME};user=phone"),
    ] {
        assert!(
            matches!(
                decide(auth.clone(), to(aor)),
                RequestDecision::Forward { .. }
            ),
            "{aor}"
        );
    }
    // The same digits in another context, or a sip URI that is a name, are not it.
    for aor in [
        "tel:7042;phone-context=example.net".to_owned(),
        format!("sip:7042@{HOME}"),
    ] {
        let (status, cause, _) = refusal(&decide(auth.clone(), to(&aor)));
        assert_eq!(
            (status, cause),
            (403, RejectCause::IdentityMismatch),
            "{aor}"
        );
    }
}

mod token_copies {
    use super::*;
    use sip_oauth::edge::DropReason;
    use sip_oauth::token::TokenLocation;

    const ONE: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLW9uZS1vZi10d28";
    const TWO: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUifQ.c2lnbmF0dXJlLXR3by1vZi10d28";

    fn edge_reading(location: TokenLocation) -> sip_oauth::edge::Edge {
        edge_with(
            config().token_location(location),
            FixedValidator::any(bob()),
        )
    }

    fn tail(t: &str) -> &str {
        &t[t.len() - 20..]
    }

    #[test]
    fn a_token_in_authorization_and_another_in_the_request_uri_both_stay_at_the_edge() {
        let location = TokenLocation::FirstOf(vec![
            TokenLocation::AuthorizationBearer,
            TokenLocation::RequestUriParam("access_token".into()),
        ]);
        let raw = String::from_utf8(register_carrying(ONE)).unwrap().replacen(
            &format!("REGISTER sip:{HOME} "),
            &format!("REGISTER sip:{HOME};access_token={TWO} "),
            1,
        );
        let out = forwarded(edge_reading(location).on_request(raw.into_bytes(), &wss()));
        let out = text(&out);
        assert!(!out.contains(tail(ONE)), "{out}");
        assert!(!out.contains(tail(TWO)), "{out}");
        assert!(
            out.starts_with(&format!("REGISTER sip:{HOME} SIP/2.0\r\n")),
            "{out}"
        );
    }

    #[test]
    fn every_uri_copy_goes_whatever_its_spelling() {
        // The token in the Request-URI as is and in the Contact %-escaped: one strategy
        // reads URI parameters, so both are its places.
        let escaped = TWO.replace('.', "%2E").replace('J', "%4a");
        let raw = String::from_utf8(register_with("Authorization: Bearer ", "X-Was: "))
            .unwrap()
            .replacen(
                &format!("REGISTER sip:{HOME} "),
                &format!("REGISTER sip:{HOME};access_token={TWO} "),
                1,
            )
            .replacen(
                ";transport=ws>",
                &format!(";transport=ws;access_token={escaped}>"),
                1,
            );
        let location = TokenLocation::RequestUriParam("access_token".into());
        let out = forwarded(edge_reading(location).on_request(raw.into_bytes(), &wss()));
        let out = text(&out);
        assert!(!out.contains("access_token"), "{out}");
        assert!(
            out.contains("<sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>"),
            "{out}"
        );
    }

    #[test]
    fn a_copy_outside_the_strategy_in_another_spelling_stops_the_request() {
        let location = TokenLocation::RequestUriParam("access_token".into());
        let raw = String::from_utf8(register_with("Authorization: Bearer ", "X-Was: "))
            .unwrap()
            .replacen(
                &format!("REGISTER sip:{HOME} "),
                &format!("REGISTER sip:{HOME};access_token={TWO} "),
                1,
            );
        // The same token as a quoted-string with every character a quoted-pair, and
        // %-escaped in an unrelated URI.
        let quoted: String = TWO.chars().flat_map(|c| ['\\', c]).collect();
        let percent: String = TWO.bytes().map(|b| format!("%{b:02X}")).collect();
        for copy in [
            format!("X-Copy: \"{quoted}\"\r\n"),
            format!("X-Copy: <sip:x@y.example;t={percent}>\r\n"),
        ] {
            let raw = raw.replacen(
                "Content-Length: 0\r\n",
                &format!("{copy}Content-Length: 0\r\n"),
                1,
            );
            let d = edge_reading(location.clone()).on_request(raw.into_bytes(), &wss());
            assert!(
                matches!(d, RequestDecision::Drop(DropReason::TokenLeak)),
                "{copy}: {d:?}"
            );
        }
    }

    #[test]
    fn every_field_of_a_named_token_header_goes() {
        let location = TokenLocation::Header("X-Access-Token".into());
        let raw = String::from_utf8(register_with(
            &format!("Authorization: Bearer {}\r\n", sample_token()),
            &format!("X-Access-Token: {ONE}\r\nx-access-token: {ONE}\r\n"),
        ))
        .unwrap();
        let out = forwarded(edge_reading(location).on_request(raw.into_bytes(), &wss()));
        assert!(!text(&out).to_ascii_lowercase().contains("x-access-token"));
    }
}

mod third_party_waf {
    use super::*;
    use sip_oauth::edge::AuthEntityPlacement;
    use sip_oauth::identity::{HeaderText, Impi};
    use sip_oauth::validate::{ByIssuer, Confined, ValidationError, Validator};

    /// What a partner WAF vouches for: Ann of the partner, registering `impu`.
    fn partner(impi: &str, impu: &str) -> Authorization {
        let mut auth = Authorization::new(Impi::try_from(impi).unwrap());
        auth.impus.push(Impu::try_from(impu).unwrap());
        auth.expires_at = Some(now() + Duration::from_secs(1800));
        auth.auth_entity = Some(HeaderText::try_from("waf.partner.example").unwrap());
        auth
    }

    fn confined(auth: Authorization) -> Confined<FixedValidator> {
        Confined::new(FixedValidator::any(auth))
            .impi_realms(["partner.example"])
            .impu_domains(["partner.example"])
            .tel_prefixes(["+49 30"])
    }

    #[test]
    fn a_partner_may_vouch_only_for_its_own_identities() {
        let ok = confined(partner("ann@partner.example", "sip:ann@partner.example"));
        assert!(ok.validate("t", now()).is_ok());
        let tel = confined(partner("ann@partner.example", "tel:+49-30-1234"));
        assert!(tel.validate("t", now()).is_ok());
        for (impi, impu, what) in [
            ("ann@home.example", "sip:ann@partner.example", "impi"),
            ("ann@partner.example", "sip:bob@ims.home.example", "impu"),
            ("ann@partner.example", "tel:+4940123", "tel impu"),
            (
                "ann@partner.example",
                "tel:1234;phone-context=+4930",
                "tel impu",
            ),
            (
                "ann@partner.example",
                "sip:+4940123@partner.example;user=phone",
                "tel impu",
            ),
        ] {
            assert_eq!(
                confined(partner(impi, impu)).validate("t", now()),
                Err(ValidationError::OutsideConfinement { what }),
                "{impi} {impu}"
            );
        }
    }

    #[test]
    fn the_edge_answers_403_when_an_issuer_vouches_outside_its_domains() {
        // A partner token naming a home subscriber: refused, never forwarded.
        let mut auth = partner("bob@partner.example", &format!("sip:bob@{HOME}"));
        auth.impus
            .push(Impu::try_from("sip:bob@partner.example").unwrap());
        let routed = ByIssuer::new().fallback(confined(auth));
        let d = edge_with(config(), routed).on_request(REGISTER.to_vec(), &wss());
        let (status, cause, reply) = refusal(&d);
        assert_eq!(status, 403);
        assert_eq!(
            cause,
            RejectCause::Invalid(ValidationError::OutsideConfinement { what: "impu" })
        );
        assert!(
            reply.starts_with("SIP/2.0 403 Forbidden (identity outside the issuer's domains)"),
            "{reply}"
        );
    }

    #[test]
    fn a_client_sent_authorisation_entity_header_is_replaced_by_the_verifiers() {
        let config = config()
            .auth_entity(AuthEntityPlacement::Header("P-Auth-Entity".into()))
            .unwrap();
        let mut auth = bob();
        auth.auth_entity = Some(HeaderText::try_from("waf.operator.example").unwrap());
        let raw = register_with(
            "Expires: 3600\r\n",
            "Expires: 3600\r\nP-Auth-Entity: evil.example\r\np-auth-entity: evil2.example\r\n",
        );
        let out = forwarded(edge_with(config, FixedValidator::any(auth)).on_request(raw, &wss()));
        let out = text(&out);
        assert!(!out.contains("evil"), "{out}");
        assert_eq!(
            out.matches("P-Auth-Entity: waf.operator.example\r\n")
                .count(),
            1,
            "{out}"
        );
    }
}
