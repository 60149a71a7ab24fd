//! Runs `token::extract` with every `TokenLocation` strategy over arbitrary bytes parsed
//! as a message, with a transport token taken from the input. A found token is always a
//! `b64token`, and its `Place` points inside the message at the bytes it came from, so
//! the edge removes exactly the token and nothing else.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_oauth::message::{HeaderName, Message, Span, StartLine};
use sip_oauth::token::{
    CredentialsHeader, ExtractError, Place, TokenLocation, extract, is_b64token,
};

fn locations() -> Vec<TokenLocation> {
    let single = vec![
        TokenLocation::AuthorizationBearer,
        TokenLocation::ProxyAuthorizationBearer,
        TokenLocation::Header("X-Access-Token".to_owned()),
        TokenLocation::AuthParam {
            header: CredentialsHeader::Authorization,
            param: "access_token".to_owned(),
        },
        TokenLocation::AuthParam {
            header: CredentialsHeader::ProxyAuthorization,
            param: "token".to_owned(),
        },
        TokenLocation::RequestUriParam("access_token".to_owned()),
        TokenLocation::ContactUriParam("access_token".to_owned()),
        TokenLocation::Transport,
    ];
    let mut all = single.clone();
    all.push(TokenLocation::FirstOf(single.clone()));
    let mut reversed = single;
    reversed.reverse();
    all.push(TokenLocation::FirstOf(reversed));
    all.push(TokenLocation::FirstOf(Vec::new()));
    all
}

fn within(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && inner.start <= inner.end
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len().max(1)).any(|w| w == needle)
}

fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => out.extend(bytes.next()),
            _ => out.push(b),
        }
    }
    out
}

fn check_place(msg: &Message, loc: &TokenLocation, token: &str, place: &Place, transport: Option<&str>) {
    let bytes = msg.as_bytes();
    match place {
        Place::Header { index } => {
            let field = msg.header(*index).expect("header index inside the message");
            let value = msg.value_bytes(field);
            assert!(contains(value, token.as_bytes()), "{loc:?}: header {index} lacks the token");
            match loc {
                TokenLocation::AuthorizationBearer => assert_eq!(field.name, HeaderName::Authorization),
                TokenLocation::ProxyAuthorizationBearer => {
                    assert_eq!(field.name, HeaderName::ProxyAuthorization)
                }
                TokenLocation::Header(name) => {
                    assert!(msg.name_bytes(field).eq_ignore_ascii_case(name.as_bytes()))
                }
                _ => {}
            }
        }
        Place::AuthParam { index, param } => {
            let field = msg.header(*index).expect("header index inside the message");
            let value = msg.value_bytes(field);
            let text = value.get(param.clone()).expect("param range inside the value");
            // A quoted-string value may spell the token with quoted-pairs (`"ab\\c"` is
            // `abc`, RFC 3261 25.1): compare with the escapes removed.
            assert!(
                contains(&unescape(text), token.as_bytes()),
                "{loc:?}: param {param:?} of header {index} lacks the token"
            );
        }
        Place::RequestUri { span } => {
            let StartLine::Request { uri, .. } = msg.start_line() else {
                panic!("Request-URI place in a response");
            };
            assert!(within(*span, uri), "{span:?} outside the Request-URI {uri:?}");
            assert!(span.end as usize <= bytes.len());
        }
        Place::Contact { index, span } => {
            let field = msg.header(*index).expect("header index inside the message");
            assert_eq!(field.name, HeaderName::Contact);
            assert!(within(*span, field.value_span), "{span:?} outside Contact {index}");
        }
        Place::Transport => {
            let supplied = transport.expect("transport place without a transport token");
            assert!(supplied.contains(token));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte is the length of the transport token (0: none); the message follows.
    let [tlen, rest @ ..] = data else {
        return;
    };
    let split = usize::from(*tlen).min(rest.len());
    let (transport, wire) = rest.split_at(split);
    let transport = (*tlen != 0).then(|| std::str::from_utf8(transport).ok()).flatten();
    let Ok(msg) = Message::parse(wire.to_vec()) else {
        return;
    };
    for loc in locations() {
        match extract(&msg, &loc, transport) {
            Ok(found) => {
                let token = found.token.expose();
                assert!(is_b64token(token), "{loc:?} returned a non-b64token");
                check_place(&msg, &loc, token, &found.place, transport);
            }
            Err(ExtractError::Absent | ExtractError::Malformed(_) | ExtractError::Ambiguous) => {}
            Err(e) => panic!("unknown error {e:?}"),
        }
    }
});
