//! The eP-CSCF trusted node (3GPP TS 24.371 registration with web credentials,
//! TS 33.203 Annex U, TS 24.229 5.2.2, RFC 8898), sans-IO.
//!
//! [`Edge::on_request`] takes a client's REGISTER carrying a bearer token and returns a
//! [`RequestDecision`]: forward an Annex U REGISTER to the core, answer the client
//! (401/403/400 with a Bearer challenge, or another error), wait for a verdict that
//! arrives later ([`Edge::complete`]), hand a request that is not a REGISTER back to
//! the host, or drop. [`Edge::on_response`] takes the core's answer and returns a
//! [`ResponseDecision`]: relay it to the client's flow once it is checked to have come
//! back through this edge (a keyed MAC in the Via branch), or drop. No sockets, clocks
//! or randomness inside: the same input gives the same output bytes.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use sip_oauth::edge::{Config, Edge, FlowId, Inbound, RequestDecision, Transport};
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
//!     secure_flow: false,
//!     transport_token: None,
//! };
//! match edge.on_request(register.as_bytes().to_vec(), &inbound) {
//!     RequestDecision::Forward { bytes, .. } => {
//!         let text = String::from_utf8_lossy(&bytes);
//!         assert!(text.contains("integrity-protected=\"auth-done\""));
//!         assert!(!text.contains("good-token"));
//!     }
//!     other => panic!("not forwarded: {other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aor;
mod client_response;
mod config;
mod decision;
mod flow_token;
mod hop;
mod inbound;
mod originating;
mod pending;
mod register;
mod registered;
mod registrations;
mod reply;
mod response;
mod terminating;

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

pub use aor::same_aor;
pub use config::{
    AuthEntityPlacement, Config, ConfigError, DEFAULT_MAX_REGISTRATIONS,
    DEFAULT_MIN_TOKEN_LIFETIME, ExpiryPolicy,
};
pub use decision::{
    Admitted, CoreRequestDecision, DropReason, Registered, RejectCause, Rejection, RequestDecision,
    ResponseDecision,
};
pub use flow_token::{BRANCH_COOKIE, BranchInfo, FlowTokenCodec, FlowTokenError};
pub use inbound::{FlowId, Inbound, Transport};
pub use pending::PendingRegister;
pub use register::annex_u_authorization;
pub use registrations::Registration;

use crate::message::{HeaderName, Message, Violation};
use crate::validate::{Authorization, ValidationError, Validator};
use register::{Source, Stop};
use registrations::Registrations;

/// The edge proxy: its registration procedure, the registrations it holds, and the
/// requests that follow them both ways. Cheap to share (clones share the same
/// registrations): every method takes `&self` and is safe to call from many threads at
/// once.
#[derive(Clone)]
pub struct Edge {
    config: Arc<Config>,
    validator: Arc<dyn Validator>,
    registrations: Arc<Registrations>,
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
        Edge::from_shared(Arc::new(config), Arc::new(validator))
    }

    /// An edge sharing an existing configuration and validator (with registrations of
    /// its own).
    pub fn from_shared(config: Arc<Config>, validator: Arc<dyn Validator>) -> Edge {
        let registrations = Arc::new(Registrations::new(config.max_registrations));
        Edge {
            config,
            validator,
            registrations,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handles a request from a client. Every request is checked as a proxy checks it
    /// (RFC 3261 16.3, by [`crate::message::check_proxy_request`]) and refused with the
    /// status of the rule it breaks; a REGISTER then runs the edge's registration
    /// procedure, any other request the originating procedure (TS 24.229 5.2.6.3): it is
    /// forwarded ([`RequestDecision::Originate`]) only from a connection with a live
    /// registration and a registered From, with the identity the edge asserts, the
    /// Service-Route as its route, and the edge's Record-Route on dialog-creating
    /// requests; inside a dialog it must come back through the edge's own entry.
    pub fn on_request(&self, bytes: impl Into<Bytes>, inbound: &Inbound<'_>) -> RequestDecision {
        let msg = match Message::parse_with(bytes.into(), &self.config.limits) {
            Ok(m) => m,
            Err(e) => return RequestDecision::Drop(DropReason::Unparseable(e)),
        };
        let register = match msg.method_bytes() {
            None => return RequestDecision::Drop(DropReason::WrongDirection),
            Some(method) => method == b"REGISTER",
        };
        // Without a Via and a CSeq there is no answer the client could match.
        for name in [HeaderName::Via, HeaderName::CSeq] {
            if msg.first(name).is_none() {
                return RequestDecision::Drop(DropReason::Unanswerable(Violation::Missing {
                    header: name.canonical().unwrap_or("header"),
                    offset: msg.head_end(),
                }));
            }
        }
        let outcome = match register::request_facts(&msg) {
            Err(stop) => Err(stop),
            Ok(facts) if !register => {
                let outcome =
                    originating::run(&self.config, &self.registrations, &msg, &facts, inbound);
                return match outcome {
                    Ok(o) => RequestDecision::Originate {
                        bytes: o.bytes,
                        asserted: o.asserted,
                    },
                    Err(stop) => self.decide(Err(stop), msg.clone(), inbound),
                };
            }
            Ok(facts) => {
                let source = Source::Validator(self.validator.as_ref());
                register::run(
                    &self.config,
                    &self.registrations,
                    &msg,
                    &facts,
                    inbound,
                    source,
                )
            }
        };
        self.decide(outcome, msg, inbound)
    }

    /// Handles a request from the core for a client (RFC 5626 5.3): one whose top Route
    /// (or Request-URI) is the edge's Path or Record-Route URI with a flow token that
    /// verifies is delivered on that flow ([`CoreRequestDecision::Deliver`]) with the
    /// edge's Via and, on a dialog-creating request, its Record-Route; a flow that is
    /// gone (closed, its registration over, or from an earlier start of the edge) is
    /// answered 430 Flow Failed ([`CoreRequestDecision::Reply`]); a token that does not
    /// verify is dropped with the reason.
    pub fn on_core_request(&self, bytes: impl Into<Bytes>, now: SystemTime) -> CoreRequestDecision {
        let msg = match Message::parse_with(bytes.into(), &self.config.limits) {
            Ok(m) => m,
            Err(e) => return CoreRequestDecision::Drop(DropReason::Unparseable(e)),
        };
        if !msg.is_request() {
            return CoreRequestDecision::Drop(DropReason::WrongDirection);
        }
        for name in [HeaderName::Via, HeaderName::CSeq] {
            if msg.first(name).is_none() {
                return CoreRequestDecision::Drop(DropReason::Unanswerable(Violation::Missing {
                    header: name.canonical().unwrap_or("header"),
                    offset: msg.head_end(),
                }));
            }
        }
        let outcome = register::request_facts(&msg).and_then(|facts| {
            terminating::run(&self.config, &self.registrations, &msg, &facts, now)
        });
        let cause = match outcome {
            Ok(d) => {
                return CoreRequestDecision::Deliver {
                    flow: d.flow,
                    bytes: d.bytes,
                };
            }
            Err(Stop::Reject(cause)) => cause,
            Err(Stop::Drop(reason)) => return CoreRequestDecision::Drop(reason),
            Err(Stop::Later(_)) => return CoreRequestDecision::Drop(DropReason::NotOurs),
        };
        // An ACK is never answered (RFC 3261 17.1.1.3).
        if msg.method() == Some("ACK") {
            return CoreRequestDecision::Drop(DropReason::Ack);
        }
        let rejection = Rejection::for_cause(cause);
        match reply::build(&self.config, &msg, &rejection) {
            Ok(bytes) => CoreRequestDecision::Reply { bytes, rejection },
            Err(e) => CoreRequestDecision::Drop(DropReason::Write(e)),
        }
    }

    /// Handles a client's response to a request the core sent it: relayed to the core
    /// ([`ResponseDecision::ToCore`]) once its top Via is shown to be the edge's,
    /// minted toward this very flow; the client's identity headers are replaced by its
    /// registered identity (TS 24.229 5.2.6.4).
    pub fn on_client_response(
        &self,
        bytes: impl Into<Bytes>,
        inbound: &Inbound<'_>,
    ) -> ResponseDecision {
        client_response::relay(&self.config, &self.registrations, bytes.into(), inbound)
    }

    /// The host reports that the client connection `flow` closed: its registrations
    /// end (RFC 5626 5.3: requests for it are answered 430 from now on). Returns how
    /// many ended.
    pub fn flow_closed(&self, flow: FlowId) -> usize {
        self.registrations.flow_closed(flow)
    }

    /// Removes the registrations (and unanswered REGISTERs) that ended at or before
    /// `now`. Returns how many went. Lookups already ignore what has ended; sweeping
    /// returns the memory.
    pub fn sweep(&self, now: SystemTime) -> usize {
        self.registrations.sweep(now)
    }

    /// When the next registration (or unanswered REGISTER) ends, so the host knows when
    /// to call [`Edge::sweep`].
    pub fn next_expiry(&self) -> Option<SystemTime> {
        self.registrations.next_expiry()
    }

    /// How many registrations and unanswered REGISTERs the edge holds.
    pub fn registrations(&self) -> usize {
        self.registrations.len()
    }

    /// The live registrations of the client connection `flow` at `now`.
    pub fn registrations_of(&self, flow: FlowId, now: SystemTime) -> Vec<Registration> {
        self.registrations.snapshots(flow, now)
    }

    /// Completes a registration whose validator answered [`crate::validate::Verdict::Later`],
    /// with the verdict the host obtained. The bytes are those [`Edge::on_request`] would
    /// have produced had the validator given this verdict at once.
    pub fn complete(
        &self,
        pending: PendingRegister,
        verdict: Result<Arc<Authorization>, ValidationError>,
    ) -> RequestDecision {
        let inbound = pending.inbound();
        // The checks are repeated rather than stored: their facts borrow the request,
        // and the same bytes give the same facts.
        let outcome = register::request_facts(&pending.request).and_then(|facts| {
            register::run(
                &self.config,
                &self.registrations,
                &pending.request,
                &facts,
                &inbound,
                Source::Given(verdict),
            )
        });
        let msg = pending.request.clone();
        self.decide(outcome, msg, &inbound)
    }

    fn decide(
        &self,
        outcome: Result<register::Forwarded, Stop>,
        msg: Message,
        inbound: &Inbound<'_>,
    ) -> RequestDecision {
        // An ACK is never answered (RFC 3261 17.1.1.3, 17.2.1): one the edge does not
        // forward stays here.
        if outcome.is_err() && msg.method_bytes() == Some(b"ACK") {
            return RequestDecision::Drop(match outcome {
                Err(Stop::Drop(reason)) => reason,
                _ => DropReason::Ack,
            });
        }
        match outcome {
            Ok(f) => RequestDecision::Forward {
                bytes: f.bytes,
                admitted: f.admitted,
            },
            Err(Stop::Reject(cause)) => {
                let rejection = Rejection::for_cause(cause);
                match reply::build(&self.config, &msg, &rejection) {
                    Ok(bytes) => RequestDecision::Reply {
                        flow: inbound.flow,
                        bytes,
                        rejection,
                        request: msg,
                    },
                    Err(e) => RequestDecision::Drop(DropReason::Write(e)),
                }
            }
            Err(Stop::Drop(reason)) => RequestDecision::Drop(reason),
            Err(Stop::Later(token)) => {
                RequestDecision::Pending(Box::new(PendingRegister::new(msg, inbound, token)))
            }
        }
    }

    /// The client flow a Path flow token of this edge names, checked for the address of
    /// record `aor` it is presented for (the registered AOR a terminating request is
    /// for): the token must verify under the current or previous flow key, come from
    /// this start of the edge (its epoch) and have been minted for that AOR, any
    /// equivalent spelling of it (RFC 5626 5.3). The error says which check failed;
    /// `DropReason::from` turns it into the reason to drop with.
    pub fn flow_for_path_token(&self, token: &str, aor: &str) -> Result<FlowId, FlowTokenError> {
        self.config.codec.flow_from_path_token(token, aor)
    }

    /// Handles a response from the core at `now`. It is relayed to the client's flow
    /// once its top Via is shown to be this edge's, filtered as TS 24.229 5.2.2 has the
    /// P-CSCF filter what goes to the UE: `ck` and `ik` removed from challenges,
    /// P-Charging-Vector and P-Charging-Function-Addresses removed, a 401 or 407 without
    /// a Bearer challenge (a Digest or AKA challenge the bearer client cannot answer)
    /// replaced by 403, and a 423 whose Min-Expires exceeds the admitting token's
    /// remaining lifetime (carried in the edge's branch) replaced by 401
    /// `error="invalid_token"`, asking for a fresh token rather than a retry that would
    /// get the same 423.
    ///
    /// A 2xx to a REGISTER turns what the edge admitted into a live registration of the
    /// flow (or ends it, on de-registration), with the Service-Route, P-Associated-URI
    /// and bindings the core returned (TS 24.229 5.2.2.2).
    pub fn on_response(&self, bytes: impl Into<Bytes>, now: SystemTime) -> ResponseDecision {
        let decision = response::relay(&self.config, bytes.into(), Some(now));
        if let ResponseDecision::Relay {
            flow,
            registered: Some(registered),
            ..
        } = &decision
        {
            if let Some(key) = registered.aor_key() {
                self.registrations.granted(*flow, key, registered, now);
            }
        }
        decision
    }
}
