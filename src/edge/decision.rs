//! What the edge tells its caller to do with each message.

use bytes::Bytes;

use super::flow_token::FlowTokenError;
use super::inbound::FlowId;
use crate::message::ParseError;
use crate::token::ExtractError;
use crate::validate::{BearerError, ValidationError};

/// The result of one entry point: exactly one thing for the caller to do.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Decision {
    /// Send `bytes` to the core (the S-CSCF or the next hop toward it).
    Forward {
        /// The request to send.
        bytes: Bytes,
        /// Who was admitted, for the caller's log and state.
        admitted: Admitted,
    },
    /// Send `bytes` down the client connection `flow`.
    Reply {
        /// The connection to answer on.
        flow: FlowId,
        /// The response to send.
        bytes: Bytes,
        /// Why: the edge's own rejection, or a relayed core response.
        outcome: Outcome,
    },
    /// Not a REGISTER: the edge's registration procedure does not apply; the host's own
    /// proxy logic handles the request (for example routing it by the Service-Route the
    /// edge reported for the user).
    NotRegister,
    /// Send nothing.
    Drop(DropReason),
}

/// A user admitted by the REGISTER procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The private identity written into the Annex U Authorization.
    pub impi: String,
    /// The address of record being registered (the To URI).
    pub aor: String,
    /// The registration lifetime after capping (`None` for a binding fetch).
    pub expires: Option<u32>,
}

/// Why the edge answered a client as it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The edge refused the request itself.
    Rejected(Rejection),
    /// A response from the core, relayed.
    Relayed {
        /// Its status code.
        status: u16,
        /// On a 2xx to REGISTER, the registration state the host should store.
        registered: Option<Registered>,
    },
}

/// The state a successful registration leaves behind (TS 24.229 5.2.2.2: the P-CSCF
/// stores Service-Route and P-Associated-URI for later requests of the user).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registered {
    /// The address of record (To URI).
    pub aor: String,
    /// The Service-Route values, in order (RFC 3608).
    pub service_route: Vec<String>,
    /// The P-Associated-URI values, in order (RFC 7315).
    pub associated_uris: Vec<String>,
    /// The bindings the registrar holds, with their granted lifetime in seconds.
    pub contacts: Vec<(String, u32)>,
}

/// The rule behind one of the edge's own error responses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectCause {
    /// No token where the configured location says (401, challenge without `error`).
    NoToken,
    /// The token is missing its value, malformed or given twice (400 `invalid_request`).
    BadToken(ExtractError),
    /// The validator refused the token.
    Invalid(ValidationError),
    /// The registered address of record is not one of the token's IMPUs (403).
    IdentityMismatch,
    /// The requested lifetime exceeds the token's and the policy is to reject (403).
    OutlivesToken,
    /// Max-Forwards reached zero (483).
    TooManyHops,
    /// The Request-URI scheme is not sip or sips (416).
    UnsupportedUriScheme,
    /// The request requires extensions the edge does not support (420).
    BadExtension,
    /// The request is malformed (400).
    Malformed(ParseError),
}

/// An error response the edge built itself.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Why nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// The bytes are not a SIP message the edge can answer (no reply is possible).
    Unparseable(ParseError),
    /// A response arrived where a request was expected, or the reverse.
    WrongDirection,
    /// An ACK to a non-2xx final response of the edge: nothing to answer (RFC 3261 17.2.1).
    Ack,
    /// The response's top Via is not this edge's.
    NotOurs,
    /// The response's top Via carries this edge's address but its branch does not verify.
    Tampered(FlowTokenError),
    /// A 100 Trying from the core, which stays on its hop (RFC 3261 16.7).
    HopByHop,
    /// The built request would have carried the client's token (defence in depth).
    TokenLeak,
    /// The edge's own output could not be written.
    Write(crate::message::WriteError),
}
