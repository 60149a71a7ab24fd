//! A registration waiting for its verdict: a validator that must ask a remote service
//! (token introspection, RFC 7662) or wait for a key refresh cannot answer inside a
//! synchronous call. The edge hands back everything the rest of the procedure needs;
//! the library keeps no table of them, the host does (one per outstanding request).

use std::net::SocketAddr;
use std::time::SystemTime;

use super::inbound::{FlowId, Inbound, Transport};
use crate::message::Message;

/// A REGISTER that passed every check before the verdict on its token. Complete it with
/// [`super::Edge::complete`]; the result is exactly what [`super::Edge::on_request`]
/// would have returned had the validator answered at once.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingRegister {
    pub(crate) request: Message,
    pub(crate) flow: FlowId,
    pub(crate) peer: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) secure_flow: bool,
    pub(crate) now: SystemTime,
    pub(crate) transport_token: Option<String>,
    pub(crate) token: String,
}

impl PendingRegister {
    pub(crate) fn new(request: Message, inbound: &Inbound<'_>, token: String) -> Self {
        PendingRegister {
            request,
            flow: inbound.flow,
            peer: inbound.peer,
            transport: inbound.transport,
            secure_flow: inbound.secure_flow,
            now: inbound.now,
            transport_token: inbound.transport_token.map(str::to_owned),
            token,
        }
    }

    /// The token the verdict must be about (send it to the introspection endpoint; never
    /// log it).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The client connection the request came on.
    pub fn flow(&self) -> FlowId {
        self.flow
    }

    /// The request, parsed.
    pub fn request(&self) -> &Message {
        &self.request
    }

    /// When the request arrived: the time its token's lifetime is judged against.
    pub fn received_at(&self) -> SystemTime {
        self.now
    }

    /// The context the request arrived with.
    pub(crate) fn inbound(&self) -> Inbound<'_> {
        Inbound {
            flow: self.flow,
            peer: self.peer,
            transport: self.transport,
            secure_flow: self.secure_flow,
            now: self.now,
            transport_token: self.transport_token.as_deref(),
        }
    }
}

impl std::fmt::Debug for PendingRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRegister")
            .field("flow", &self.flow)
            .field("peer", &self.peer)
            .field("transport", &self.transport)
            .field("token_bytes", &self.token.len())
            .finish_non_exhaustive()
    }
}
