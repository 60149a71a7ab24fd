//! The eP-CSCF trusted node (3GPP TS 24.371 registration with web credentials,
//! TS 33.203 Annex U, TS 24.229 5.2.2, RFC 8898), sans-IO.
//!
//! [`Edge::on_request`] takes a client's REGISTER carrying a bearer token and decides:
//! forward an Annex U REGISTER to the core, answer the client (401/403/400 with a
//! Bearer challenge, or another error), or drop. [`Edge::on_response`] takes the core's
//! answer, checks that it came back through this edge (a keyed MAC in the Via branch),
//! and relays it to the client's flow. No sockets, clocks or randomness inside: the
//! same input gives the same output bytes.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sip_oauth::edge::{Config, Decision, Edge, FlowId, Inbound, Transport};
//! use sip_oauth::identity::{Impi, Impu};
//! use sip_oauth::validate::{Authorization, FixedValidator};
//!
//! let mut auth = Authorization::new(Impi::try_from("bob@home.example")?);
//! auth.impus.push(Impu::try_from("sip:bob@home.example")?);
//! let validator = FixedValidator::new().with_token("good-token", auth);
//! let config = Config::new("home.example", "edge.visited.example", b"0123456789abcdef0123")?;
//! let edge = Edge::new(config, validator);
//!
//! let register = "REGISTER sip:home.example SIP/2.0\r\n\
//!     Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bK1;rport\r\nMax-Forwards: 70\r\n\
//!     From: <sip:bob@home.example>;tag=1\r\nTo: <sip:bob@home.example>\r\n\
//!     Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:x@abc.invalid;transport=ws>\r\n\
//!     Authorization: Bearer good-token\r\nContent-Length: 0\r\n\r\n";
//! let inbound = Inbound {
//!     flow: FlowId(7),
//!     peer: "192.0.2.10:50312".parse()?,
//!     transport: Transport::Wss,
//!     now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
//!     transport_token: None,
//! };
//! match edge.on_request(register.as_bytes().to_vec(), &inbound) {
//!     Decision::Forward { bytes, .. } => {
//!         let text = String::from_utf8_lossy(&bytes);
//!         assert!(text.contains("integrity-protected=\"auth-done\""));
//!         assert!(!text.contains("good-token"));
//!     }
//!     other => panic!("not forwarded: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aor;
mod config;
mod decision;
mod flow_token;
mod forward;
mod inbound;
mod register;
mod reply;
mod response;

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

pub use aor::same_aor;
pub use config::{AuthEntityPlacement, Config, ConfigError, ExpiryPolicy};
pub use decision::{Admitted, Decision, DropReason, Outcome, Registered, RejectCause, Rejection};
pub use flow_token::{BRANCH_COOKIE, FlowTokenCodec, FlowTokenError};
pub use forward::annex_u_authorization;
pub use inbound::{FlowId, Inbound, Transport};

use crate::message::{HeaderName, Message};
use crate::validate::Validator;

/// The edge proxy's registration logic. Cheap to share: every method takes `&self`.
#[derive(Clone)]
pub struct Edge {
    config: Arc<Config>,
    validator: Arc<dyn Validator>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// An edge with `config`, checking tokens with `validator`.
    pub fn new(config: Config, validator: impl Validator + 'static) -> Edge {
        Edge {
            config: Arc::new(config),
            validator: Arc::new(validator),
        }
    }

    /// An edge sharing an existing configuration and validator.
    pub fn from_shared(config: Arc<Config>, validator: Arc<dyn Validator>) -> Edge {
        Edge { config, validator }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles a request from a client.
    pub fn on_request(&self, bytes: impl Into<Bytes>, inbound: &Inbound<'_>) -> Decision {
        let msg = match Message::parse_with(bytes.into(), &self.config.limits) {
            Ok(m) => m,
            Err(e) => return Decision::Drop(DropReason::Unparseable(e)),
        };
        match msg.method() {
            None => return Decision::Drop(DropReason::WrongDirection),
            Some("REGISTER") => {}
            Some("ACK") => return Decision::Drop(DropReason::Ack),
            Some(_) => return Decision::NotRegister,
        }
        // Without a Via and a CSeq there is no answer the client could match.
        if msg.first(HeaderName::Via).is_none() || msg.first(HeaderName::CSeq).is_none() {
            let missing = if msg.first(HeaderName::Via).is_none() {
                "Via"
            } else {
                "CSeq"
            };
            return Decision::Drop(DropReason::Unparseable(crate::message::ParseError::new(
                crate::message::ParseErrorKind::Missing(missing),
                msg.head_end(),
            )));
        }
        match register::check(&self.config, self.validator.as_ref(), &msg, inbound) {
            Ok(checked) => {
                let bytes = match forward::build(&self.config, &msg, &checked, inbound) {
                    Ok(b) => b,
                    Err(e) => return Decision::Drop(DropReason::Write(e)),
                };
                // Defence in depth: whatever the client did, its token does not leave.
                // A JWT's tail is its signature, so its last bytes are as telling as the
                // whole token and far cheaper to search for.
                let token = checked.token.token.expose().as_bytes();
                let tail = &token[token.len().saturating_sub(24)..];
                if contains(&bytes, tail) {
                    return Decision::Drop(DropReason::TokenLeak);
                }
                Decision::Forward {
                    bytes,
                    admitted: Admitted {
                        impi: checked.auth.impi.as_str().to_owned(),
                        aor: checked.aor.to_owned(),
                        expires: checked.granted,
                    },
                }
            }
            Err(cause) => self.reject(&msg, inbound, cause),
        }
    }

    fn reject(&self, msg: &Message, inbound: &Inbound<'_>, cause: RejectCause) -> Decision {
        let rejection = Rejection::for_cause(cause);
        match reply::build(&self.config, msg, &rejection) {
            Ok(bytes) => Decision::Reply {
                flow: inbound.flow,
                bytes,
                outcome: Outcome::Rejected(rejection),
            },
            Err(e) => Decision::Drop(DropReason::Write(e)),
        }
    }

    /// Handles a response from the core.
    pub fn on_response(&self, bytes: impl Into<Bytes>, now: SystemTime) -> Decision {
        let _ = now;
        response::relay(&self.config, bytes.into())
    }
}

/// Whether `needle` occurs in `haystack`. For a needle of a few dozen bytes searched
/// once, jumping between occurrences of its first byte is cheaper than building a
/// substring searcher.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr_iter(first, haystack)
        .any(|at| haystack.get(at..at + needle.len()) == Some(needle))
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn substring_search() {
        assert!(contains(b"abcabd", b"abd"));
        assert!(contains(b"abd", b"abd"));
        assert!(!contains(b"abcab", b"abd"));
        assert!(!contains(b"", b"a"));
        assert!(contains(b"x", b""));
    }
}
