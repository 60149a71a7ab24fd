//! What the edge tells its caller to do: one decision type per entry point, each variant
//! saying what the caller must do next, and every reason worded once (its `Display`).

use std::sync::Arc;

use bytes::Bytes;
use thiserror::Error;

use super::flow_token::FlowTokenError;
use super::inbound::FlowId;
use super::pending::PendingRegister;
pub use super::registered::Registered;
use crate::message::{Message, ParseError, Violation, WriteError};
use crate::token::ExtractError;
use crate::validate::{Authorization, BearerError, ValidationError};

/// What to do with a request from a client ([`super::Edge::on_request`],
/// [`super::Edge::complete`]).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum RequestDecision {
    /// Send `bytes` to the core (the S-CSCF or the next hop toward it).
    Forward {
        /// The request to send.
        bytes: Bytes,
        /// Who was admitted, for the caller's log and state.
        admitted: Admitted,
    },
    /// Send `bytes` down the client connection `flow`: the edge's own error response.
    Reply {
        /// The connection to answer on.
        flow: FlowId,
        /// The response to send.
        bytes: Bytes,
        /// Why the request was refused.
        rejection: Rejection,
        /// The refused request, parsed (for the host's log or state).
        request: Message,
    },
    /// The validator answers later (it asks a remote service): keep the pending
    /// registration, obtain the verdict for [`PendingRegister::token`], then hand both to
    /// [`super::Edge::complete`].
    Pending(Box<PendingRegister>),
    /// A request of a registered client (not a REGISTER) for the core: send `bytes` to
    /// the core, as a REGISTER is sent (TS 24.229 5.2.6.3).
    Originate {
        /// The request to send.
        bytes: Bytes,
        /// The identity the edge asserted (P-Asserted-Identity) on an initial request;
        /// `None` inside a dialog and on CANCEL and ACK.
        asserted: Option<String>,
    },
    /// Send nothing.
    Drop(DropReason),
}

/// What to do with a request from the core ([`super::Edge::on_core_request`]).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum CoreRequestDecision {
    /// Send `bytes` down the client connection `flow` (RFC 5626 5.3).
    Deliver {
        /// The client connection the edge's Path or Record-Route token names.
        flow: FlowId,
        /// The request to send.
        bytes: Bytes,
    },
    /// Send `bytes` back to the core: the edge's own answer, such as 430 Flow Failed.
    Reply {
        /// The response to send to the core.
        bytes: Bytes,
        /// Why the request was not delivered.
        rejection: Rejection,
    },
    /// Send nothing.
    Drop(DropReason),
}

/// What to do with a response from the core ([`super::Edge::on_response`]) or from a
/// client ([`super::Edge::on_client_response`]).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum ResponseDecision {
    /// Send `bytes` down the client connection `flow`.
    Relay {
        /// The connection the request came on (from the flow token in the edge's Via).
        flow: FlowId,
        /// The response without the edge's Via, filtered (TS 24.229 5.2.2), or the edge's
        /// own answer in its place ([`super::Edge::on_response`]).
        bytes: Bytes,
        /// The status code sent (the edge's own when it replaced the core's).
        status: u16,
        /// On a 2xx to REGISTER, the registration the edge now holds (it keeps it
        /// itself; this copy is for the host's log and its own state, if any).
        registered: Option<Registered>,
    },
    /// Send `bytes` to the core: a client's response to a request the core sent it,
    /// without the edge's Via.
    ToCore {
        /// The response to send.
        bytes: Bytes,
        /// Its status code.
        status: u16,
    },
    /// Send nothing.
    Drop(DropReason),
}

/// A user admitted by the REGISTER procedure. It shares what it names (the verdict and
/// the request's bytes) rather than copying it.
#[derive(Debug, Clone, PartialEq)]
pub struct Admitted {
    /// What the token granted (the IMPI written into the Annex U Authorization, the
    /// IMPUs, the expiry).
    pub authorization: Arc<Authorization>,
    /// The To URI's bytes, a slice of the request.
    aor: Bytes,
    /// The registration lifetime after capping (`None` for a binding fetch).
    pub expires: Option<u32>,
}

impl Admitted {
    pub(crate) fn new(
        authorization: Arc<Authorization>,
        aor: Bytes,
        expires: Option<u32>,
    ) -> Admitted {
        Admitted {
            authorization,
            aor,
            expires,
        }
    }

    /// The private identity written into the Annex U Authorization.
    pub fn impi(&self) -> &str {
        self.authorization.impi.as_str()
    }

    /// The address of record being registered (the To URI).
    pub fn aor(&self) -> &str {
        // A slice of a parsed message's header value: UTF-8 by construction.
        std::str::from_utf8(&self.aor).unwrap_or_default()
    }
}

/// The rule behind one of the edge's own error responses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RejectCause {
    /// The request breaks a rule of RFC 3261 (400, 416, 420, 483, ... as the rule says).
    #[error("{0}")]
    Request(Violation),
    /// The configuration requires a secure transport and the request came on another
    /// (RFC 6750 5.3: bearer tokens only over TLS).
    #[error("bearer token over an insecure transport")]
    InsecureTransport,
    /// No token where the configured location says (401, challenge without `error`).
    #[error("no bearer token in the request")]
    NoToken,
    /// The token is missing its value, malformed or given twice (400 `invalid_request`).
    #[error("{0}")]
    BadToken(ExtractError),
    /// The validator refused the token.
    #[error("token refused: {0}")]
    Invalid(ValidationError),
    /// The registered address of record is not one of the token's IMPUs (403).
    #[error("the registered address of record is not granted by the token")]
    IdentityMismatch,
    /// The requested lifetime exceeds the token's and the policy is to reject (403).
    #[error("the registration would outlive the token")]
    OutlivesToken,
    /// The REGISTER's Request-URI names a domain this edge does not serve as home: it
    /// would get no Annex U header (403).
    #[error("the Request-URI is not a home domain of this edge")]
    ForeignDomain,
    /// The token expires too soon for a registration (below the configured minimum, or
    /// already inside the clock leeway after `exp`): 401 `invalid_token`, so the web
    /// application renews it.
    #[error("the token expires in {remaining} s, less than the {minimum} s a registration needs")]
    ExpiresTooSoon {
        /// Whole seconds the token has left.
        remaining: u32,
        /// The configured minimum.
        minimum: u32,
    },
    /// The address of record carries a password in its userinfo (RFC 3261 19.1.1
    /// discourages it; an identity is never a secret) (403).
    #[error("the address of record carries a password")]
    PasswordInAor,
    /// The edge holds as many registrations as it is configured for; a REGISTER that
    /// would add one is refused (503 with Retry-After) rather than another evicted.
    #[error("the edge holds as many registrations as it is configured for")]
    RegistrationsFull,
    /// An initial request from a connection with no live registration (403).
    #[error("no live registration on this connection")]
    NotRegistered,
    /// An initial request from a connection whose registration ended because its
    /// token expired: 401 `invalid_token`, so the web application renews the token.
    #[error("the token that registered this connection has expired")]
    TokenLapsed,
    /// The From (or the P-Preferred-Identity) is not an identity registered on this
    /// connection (403, TS 24.229 5.2.6.3.3).
    #[error("the From or preferred identity is not registered on this connection")]
    UnregisteredIdentity,
    /// A request inside a dialog that does not come back through the edge's own
    /// Record-Route entry for this connection (403).
    #[error("an in-dialog request not routed through this edge's entry for this connection")]
    OutsideDialog,
    /// A request from the core for a flow that is gone: closed, its registration over,
    /// or from an earlier start of the edge (430 Flow Failed, RFC 5626 5.3).
    #[error("the flow the request is for is gone")]
    FlowFailed,
}

/// An error response the edge built itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{status} {reason}: {cause}")]
pub struct Rejection {
    /// The SIP status code.
    pub status: u16,
    /// The reason phrase written (fixed text; never taken from the request or the token).
    pub reason: &'static str,
    /// The Bearer `error` code in the challenge, if any.
    pub bearer_error: Option<BearerError>,
    /// The rule that was broken.
    pub cause: RejectCause,
}

impl From<FlowTokenError> for DropReason {
    /// The drop for a refused flow token: an earlier epoch and another AOR have their own
    /// reasons, anything else is tampering.
    fn from(e: FlowTokenError) -> DropReason {
        match e {
            FlowTokenError::EarlierEpoch { .. } => DropReason::EarlierEpoch(e),
            FlowTokenError::OtherAor => DropReason::OtherAor(e),
            _ => DropReason::Tampered(e),
        }
    }
}

/// Why nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DropReason {
    /// The bytes are not a SIP message the edge can answer (no reply is possible).
    #[error("unparseable: {0}")]
    Unparseable(ParseError),
    /// A request without the Via or CSeq an answer must copy (RFC 3261 8.2.6.2).
    #[error("unanswerable request: {0}")]
    Unanswerable(Violation),
    /// A response that breaks a rule of RFC 3261 is discarded (RFC 3261 18.1.2).
    #[error("malformed response: {0}")]
    MalformedResponse(Violation),
    /// A response arrived where a request was expected, or the reverse.
    #[error("a response where a request was expected, or the reverse")]
    WrongDirection,
    /// An ACK to a non-2xx final response of the edge: nothing to answer (RFC 3261 17.2.1).
    #[error("ACK: nothing to answer")]
    Ack,
    /// The response's top Via is not this edge's.
    #[error("top Via is not this edge's")]
    NotOurs,
    /// The response's top Via carries this edge's address but its branch does not verify.
    #[error("tampered flow token: {0}")]
    Tampered(FlowTokenError),
    /// The response's top Via carries an authentic branch of this edge minted before its
    /// last start (another epoch): the connection id it names may now be another's.
    #[error("flow token from an earlier start of this edge: {0}")]
    EarlierEpoch(FlowTokenError),
    /// A Path flow token presented for an address of record other than the one it was
    /// minted for (the connection it names is another user's).
    #[error("flow token of another address of record: {0}")]
    OtherAor(FlowTokenError),
    /// A request from the core whose top Route and Request-URI both name another
    /// element than this edge: not one the edge can deliver.
    #[error("neither the top Route nor the Request-URI is this edge's")]
    NotRoutedHere,
    /// A client's response whose branch the edge minted toward another client flow.
    #[error("a response for another flow's request")]
    OtherFlow,
    /// A 100 Trying, which stays on its hop (RFC 3261 16.7).
    #[error("100 Trying stays on its hop")]
    HopByHop,
    /// The built request would have carried the client's token (defence in depth).
    #[error("the built request would carry the client's token")]
    TokenLeak,
    /// The edge's own output could not be written.
    #[error("output not written: {0}")]
    Write(WriteError),
}
