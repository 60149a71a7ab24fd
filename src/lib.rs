//! sip-oauth: admit WebRTC clients that log in with web credentials (OAuth 2.0) into an
//! IMS core, as the trusted edge proxy of 3GPP TS 33.203 Annex U.
//!
//! A WebRTC client (WIC) registers over a WebSocket with `Authorization: Bearer <token>`
//! (RFC 8898). The edge ([`edge::Edge`]) finds the token ([`token`]), validates it
//! ([`validate`]), checks that the registered identity belongs to it, and forwards the
//! REGISTER to the S-CSCF with the Annex U header `Authorization: Digest
//! username="<IMPI>", ..., integrity-protected="auth-done"`. The S-CSCF's answer comes
//! back through [`edge::Edge::on_response`] and is relayed to the client. The crate does
//! no I/O: bytes in, bytes and decisions out, with the time passed in.
//!
//! The whole flow, with a real HS256 token:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, ResponseDecision, Transport};
//! use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};
//! use sip_oauth::validate::{JwtConfig, JwtValidator, jwt::{Algorithm, KeySource}};
//!
//! let secret = b"an-hs256-secret-of-at-least-32-bytes";
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//!
//! // The WAF's token (minted here for the example).
//! let claims = serde_json::json!({
//!     "iss": "https://waf.example", "aud": "sip:home.example", "sub": "bob",
//!     "impi": "bob@home.example", "impus": ["sip:bob@home.example"],
//!     "scope": "sip:register", "iat": 1_800_000_000u64, "exp": 1_800_003_600u64,
//! });
//! let token = jsonwebtoken::encode(
//!     &jsonwebtoken::Header::new(Algorithm::HS256),
//!     &claims,
//!     &jsonwebtoken::EncodingKey::from_secret(secret),
//! )?;
//!
//! // The edge: its configuration and how it checks tokens.
//! let validator = JwtValidator::new(
//!     JwtConfig::new(KeySource::Hmac(secret.to_vec()))
//!         .algorithms([Algorithm::HS256])
//!         .issuer("https://waf.example")
//!         .audience("sip:home.example"),
//! )?;
//! let config = Config::new("home.example", "edge.example:5060", b"flow-key-0123456789abcdef")?;
//! let edge = Edge::new(config, validator);
//!
//! // The client's REGISTER arrives on connection 7.
//! let register = format!(
//!     "REGISTER sip:home.example SIP/2.0\r\n\
//!      Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport\r\n\
//!      Max-Forwards: 70\r\nFrom: <sip:bob@home.example>;tag=a73kszlfl\r\n\
//!      To: <sip:bob@home.example>\r\nCall-ID: 1j9FpLxk3uxtm8tn@df7jal23ls0d.invalid\r\n\
//!      CSeq: 1 REGISTER\r\nContact: <sip:bob@df7jal23ls0d.invalid;transport=ws>;expires=600\r\n\
//!      Authorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
//! );
//! let inbound = Inbound {
//!     flow: FlowId(7),
//!     peer: "192.0.2.10:50312".parse()?,
//!     transport: Transport::Wss,
//!     now,
//!     secure_flow: false,
//!     transport_token: None,
//! };
//! let RequestDecision::Forward { bytes: to_core, admitted } = edge.on_request(register.into_bytes(), &inbound)
//! else { panic!("not admitted") };
//! assert_eq!(admitted.impi(), "bob@home.example");
//! let forwarded = Message::parse(to_core)?;
//! let auth = forwarded.value_str(forwarded.first(HeaderName::Authorization).unwrap())?;
//! assert_eq!(auth, "Digest username=\"bob@home.example\", realm=\"home.example\", \
//!     uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
//!
//! // The S-CSCF answers 200 OK; the edge relays it to connection 7.
//! let route = HeaderValue::try_from("<sip:orig@scscf.home.example;lr>")?;
//! let contact = HeaderValue::try_from("<sip:bob@df7jal23ls0d.invalid;transport=ws>;expires=600")?;
//! let ok = Builder::response_to(&forwarded, 200, &HeaderValue::from_static("OK"),
//!     Some(&Token::from_static("scscf1")))?
//!     .header(HeaderName::ServiceRoute, &route)?
//!     .header(HeaderName::Contact, &contact)?
//!     .finish();
//! match edge.on_response(ok, now) {
//!     ResponseDecision::Relay { flow, status, registered, .. } => {
//!         assert_eq!((flow, status), (FlowId(7), 200));
//!         let registered = registered.expect("registration state");
//!         assert!(registered.service_route().eq(["sip:orig@scscf.home.example;lr"]));
//!     }
//!     other => panic!("not relayed: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// `unsafe` is forbidden, except in the C ABI (feature `capi`): exporting unmangled
// functions and reading raw pointers from C cannot be done without it. With that feature
// `unsafe` stays denied everywhere but in the `capi` module, which allows it explicitly.
#![cfg_attr(not(feature = "capi"), forbid(unsafe_code))]
#![cfg_attr(feature = "capi", deny(unsafe_code))]
#![warn(missing_docs)]

#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod capi;
pub mod edge;
pub mod identity;
pub mod message;
#[cfg(feature = "serde")]
pub mod spec;
pub mod token;
pub mod validate;
