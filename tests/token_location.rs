//! Token location strategies: each place a token can be, and the three ways
//! extraction fails (absent, malformed, ambiguous).

use sip_oauth::message::Message;
use sip_oauth::token::{CredentialsHeader, ExtractError, Place, TokenLocation, extract};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln-_~+/";

fn msg(extra: &str) -> Message {
    msg_with_uri("sip:home.example", extra)
}

fn msg_with_uri(uri: &str, extra: &str) -> Message {
    let text = format!(
        "REGISTER {uri} SIP/2.0\r\n\
         Via: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\n\
         From: <sip:bob@home.example>;tag=1\r\nTo: <sip:bob@home.example>\r\n\
         Call-ID: c\r\nCSeq: 1 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
    );
    Message::parse(text.into_bytes()).unwrap()
}

fn index_of(m: &Message, name: &str) -> usize {
    m.headers()
        .iter()
        .position(|h| m.name_bytes(h).eq_ignore_ascii_case(name.as_bytes()))
        .unwrap()
}

#[test]
fn authorization_bearer_is_the_default() {
    let m = msg(&format!("Authorization: Bearer {TOKEN}\r\n"));
    let f = extract(&m, &TokenLocation::default(), None).unwrap();
    assert_eq!(f.token.expose(), TOKEN);
    assert_eq!(
        f.place,
        Place::Header {
            index: index_of(&m, "Authorization")
        }
    );
}

#[test]
fn scheme_is_case_insensitive() {
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let m = msg(&format!("Authorization: {scheme} {TOKEN}\r\n"));
        let f = extract(&m, &TokenLocation::AuthorizationBearer, None).unwrap();
        assert_eq!(f.token.expose(), TOKEN);
    }
}

#[test]
fn proxy_authorization_bearer() {
    let m = msg(&format!("Proxy-Authorization: Bearer {TOKEN}\r\n"));
    assert_eq!(
        extract(&m, &TokenLocation::AuthorizationBearer, None),
        Err(ExtractError::Absent)
    );
    let f = extract(&m, &TokenLocation::ProxyAuthorizationBearer, None).unwrap();
    assert_eq!(f.token.expose(), TOKEN);
}

#[test]
fn other_schemes_are_not_bearer_tokens() {
    let m = msg("Authorization: Digest username=\"bob\", realm=\"x\"\r\n");
    assert_eq!(
        extract(&m, &TokenLocation::default(), None),
        Err(ExtractError::Absent)
    );
    let m = msg("Authorization: NoOneKnowsThisScheme opaque-data=here\r\n");
    assert_eq!(
        extract(&m, &TokenLocation::default(), None),
        Err(ExtractError::Absent)
    );
}

#[test]
fn malformed_tokens_are_distinct_from_absent_ones() {
    for bad in [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer a\"b",
        "Bearer =abc",
        "Bearer a,b",
    ] {
        let m = msg(&format!("Authorization: {bad}\r\n"));
        assert!(
            matches!(
                extract(&m, &TokenLocation::default(), None),
                Err(ExtractError::Malformed(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn two_different_tokens_are_ambiguous_but_a_repeat_is_not() {
    let m = msg(&format!(
        "Authorization: Bearer {TOKEN}\r\nAuthorization: Bearer other\r\n"
    ));
    assert_eq!(
        extract(&m, &TokenLocation::default(), None),
        Err(ExtractError::Ambiguous)
    );
    let m = msg(&format!(
        "Authorization: Bearer {TOKEN}\r\nAuthorization: Bearer {TOKEN}\r\n"
    ));
    assert!(extract(&m, &TokenLocation::default(), None).is_ok());
}

#[test]
fn named_header_holds_the_whole_token() {
    let m = msg(&format!("x-access-token:   {TOKEN}  \r\n"));
    let loc = TokenLocation::Header("X-Access-Token".into());
    let f = extract(&m, &loc, None).unwrap();
    assert_eq!(f.token.expose(), TOKEN);
    assert_eq!(
        f.place,
        Place::Header {
            index: index_of(&m, "x-access-token")
        }
    );
    let m = msg("X-Access-Token: not a token\r\n");
    assert!(matches!(
        extract(&m, &loc, None),
        Err(ExtractError::Malformed(_))
    ));
    assert_eq!(extract(&msg(""), &loc, None), Err(ExtractError::Absent));
}

#[test]
fn auth_param_of_another_scheme() {
    let value = format!("Digest username=\"bob\", access_token=\"{TOKEN}\", realm=\"x\"");
    let m = msg(&format!("Authorization: {value}\r\n"));
    let loc = TokenLocation::AuthParam {
        header: CredentialsHeader::Authorization,
        param: "ACCESS_TOKEN".into(),
    };
    let f = extract(&m, &loc, None).unwrap();
    assert_eq!(f.token.expose(), TOKEN);
    let Place::AuthParam { index, param } = f.place else {
        panic!("wrong place {:?}", f.place);
    };
    assert_eq!(index, index_of(&m, "Authorization"));
    assert_eq!(&value[param], format!("access_token=\"{TOKEN}\""));
    let proxy = TokenLocation::AuthParam {
        header: CredentialsHeader::ProxyAuthorization,
        param: "access_token".into(),
    };
    assert_eq!(extract(&m, &proxy, None), Err(ExtractError::Absent));
}

#[test]
fn request_uri_parameter_with_escapes() {
    // `=` is not allowed raw in a URI parameter value, so padding arrives escaped.
    let m = msg_with_uri("sip:home.example;access_token=abc.def%3D%3D;lr", "");
    let f = extract(
        &m,
        &TokenLocation::RequestUriParam("access_token".into()),
        None,
    )
    .unwrap();
    assert_eq!(f.token.expose(), "abc.def==");
    let Place::RequestUri { span } = f.place else {
        panic!("wrong place");
    };
    assert_eq!(m.slice(span), b";access_token=abc.def%3D%3D");
}

#[test]
fn contact_uri_parameter() {
    let m = msg(&format!(
        "Contact: \"Bob\" <sip:b@x.invalid;transport=ws;access_token={TOKEN}>;expires=60\r\n"
    ));
    let f = extract(
        &m,
        &TokenLocation::ContactUriParam("access_token".into()),
        None,
    )
    .unwrap();
    assert_eq!(f.token.expose(), TOKEN);
    let Place::Contact { index, span } = f.place else {
        panic!("wrong place");
    };
    assert_eq!(index, index_of(&m, "Contact"));
    assert_eq!(m.slice(span), format!(";access_token={TOKEN}").as_bytes());
}

#[test]
fn transport_supplied_token_with_or_without_scheme() {
    let m = msg("");
    for given in [
        TOKEN.to_owned(),
        format!("Bearer {TOKEN}"),
        format!("bearer   {TOKEN}"),
    ] {
        let f = extract(&m, &TokenLocation::Transport, Some(&given)).unwrap();
        assert_eq!(f.token.expose(), TOKEN);
        assert_eq!(f.place, Place::Transport);
    }
    assert_eq!(
        extract(&m, &TokenLocation::Transport, None),
        Err(ExtractError::Absent)
    );
    assert!(matches!(
        extract(&m, &TokenLocation::Transport, Some("Basic dXNlcjpwdw==")),
        Err(ExtractError::Malformed(_))
    ));
}

#[test]
fn first_of_tries_in_order_and_stops_at_errors() {
    let loc = TokenLocation::FirstOf(vec![
        TokenLocation::Transport,
        TokenLocation::AuthorizationBearer,
        TokenLocation::Header("X-Token".into()),
    ]);
    let m = msg(&format!(
        "X-Token: second\r\nAuthorization: Bearer {TOKEN}\r\n"
    ));
    assert_eq!(extract(&m, &loc, None).unwrap().token.expose(), TOKEN);
    assert_eq!(
        extract(&m, &loc, Some("from-handshake"))
            .unwrap()
            .token
            .expose(),
        "from-handshake"
    );
    let m = msg("X-Token: second\r\nAuthorization: Bearer\r\n");
    assert!(matches!(
        extract(&m, &loc, None),
        Err(ExtractError::Malformed(_))
    ));
    assert_eq!(
        extract(&msg(""), &TokenLocation::FirstOf(vec![]), None),
        Err(ExtractError::Absent)
    );
}

#[test]
fn tokens_never_print_themselves() {
    let m = msg(&format!("Authorization: Bearer {TOKEN}\r\n"));
    let f = extract(&m, &TokenLocation::default(), None).unwrap();
    assert!(!format!("{f:?}").contains("eyJ"));
    assert!(!format!("{}", f.token).contains("eyJ"));
}
