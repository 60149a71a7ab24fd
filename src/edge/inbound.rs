//! What the caller tells the edge about a request besides its bytes.

use std::net::SocketAddr;
use std::time::SystemTime;

use crate::message::Token;

/// The caller's opaque identifier of a client connection (a WebSocket, a TCP
/// connection, or a UDP 5-tuple). The edge hands it back with every reply so the
/// caller knows where to send it; it is never interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// The transport a client request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
}

impl Transport {
    /// The Via transport token (RFC 3261 20.42, RFC 7118 5.2).
    pub const fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }

    /// Whether the transport protects what it carries (TLS, WSS), as RFC 6750 5.3
    /// requires for bearer tokens.
    pub const fn is_secure(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }

    /// The Via transport token as a checked [`Token`], for writing.
    pub const fn token(self) -> Token {
        Token::from_static(self.via_token())
    }

    /// Whether the transport is a reliable stream (so RFC 3261 18.3 framing applies).
    pub const fn is_stream(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

/// Context of one client request.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The connection it came on.
    pub flow: FlowId,
    /// The client's address as seen by the transport (for Via `received`/`rport`).
    pub peer: SocketAddr,
    /// The transport it came on.
    pub transport: Transport,
    /// The current time.
    pub now: SystemTime,
    /// The host vouches that this flow is protected although its transport is not TLS or
    /// WSS (for example an IPsec association, or TLS ended by a trusted front end on the
    /// same host), so bearer tokens may be taken from it (RFC 6750 5.3).
    pub secure_flow: bool,
    /// A token the transport obtained (for example from the WebSocket handshake's
    /// `Authorization: Bearer` header or `access_token` query parameter), if any.
    pub transport_token: Option<&'a str>,
}
