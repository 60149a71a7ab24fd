//! SIP wire format (RFC 3261 sections 7, 20 and 25): parsing into a zero-copy
//! [`Message`], stream framing, typed header values, and writing messages back.
//!
//! The parser indexes the input [`bytes::Bytes`] with spans; header values are turned
//! into typed values ([`header`]) only when asked for. An unmodified message writes back
//! byte for byte; edits are spliced into one new buffer by the [`Editor`].
pub(crate) mod decimal;
pub mod error;
mod framer;
pub mod header;
mod limits;
#[allow(clippy::module_inception)]
mod message;
mod name;
mod parse;
mod span;

pub use error::{ParseError, ParseErrorKind, WriteError};
pub use framer::{Frame, frame};
pub use limits::Limits;
pub use message::Message;
pub use name::HeaderName;
pub use parse::{HeaderField, StartLine};
pub use span::Span;
mod editor;
mod write;
pub use editor::Editor;
pub use write::check_request_uri;
mod value;
pub(crate) use value::Base64UrlText;
pub use value::{AsHeaderValue, FieldName, HeaderValue, HostPort, QuotedText, Token, ValueBuilder};
mod builder;
pub use builder::Builder;
pub mod check;
pub use check::{
    RequestFacts, ResponseFacts, Violation, check_proxy_request, check_request, check_response,
};

/// Whether `bytes` start like a response (`SIP/`), so a host that reads both requests
/// and responses from one connection can tell which entry point they go to without
/// parsing them twice. Anything else is handed to the request entry points, which judge it.
pub fn is_response(bytes: &[u8]) -> bool {
    bytes
        .get(..4)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"SIP/"))
}
