//! SIP wire format (RFC 3261 sections 7, 20 and 25).
pub mod error;
pub mod header;

pub use error::{ParseError, ParseErrorKind, WriteError};
