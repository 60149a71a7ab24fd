//! Errors of the wire-format layer: what rule was broken, and where.
//!
//! Every parse entry point of [`crate::message`] is total: it returns a value or a
//! [`ParseError`] naming the expected element and the byte offset at which the input
//! stopped matching. Offsets are relative to the start of the buffer handed to the
//! entry point (the whole message for [`crate::message::Message::parse`], the header
//! value for the typed parsers of [`crate::message::header`]).

use thiserror::Error;

/// A parse failure: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} (at byte {offset})")]
pub struct ParseError {
    /// What rule the input broke.
    pub kind: ParseErrorKind,
    /// Byte offset of the problem, relative to the start of the parsed input.
    pub offset: usize,
}

impl ParseError {
    /// Builds an error of `kind` at `offset`.
    pub const fn new(kind: ParseErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// Shorthand for [`ParseErrorKind::Expected`] at `offset`.
    pub const fn expected(what: &'static str, offset: usize) -> Self {
        Self::new(ParseErrorKind::Expected(what), offset)
    }

    /// The same error with its offset moved by `base`, for errors found inside a
    /// sub-slice (a header value) that must be reported against the whole message.
    #[must_use]
    pub const fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }
}

/// The rule an input broke.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input ended before the element was complete (streams: wait for more bytes).
    #[error("incomplete message: {0} missing")]
    Incomplete(&'static str),
    /// A specific grammar element was expected here.
    #[error("expected {0}")]
    Expected(&'static str),
    /// The message is larger than the configured limit.
    #[error("message exceeds the size limit of {limit} bytes")]
    MessageTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The message has more header fields than the configured limit.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A line (start line or header field, folding included) is longer than allowed.
    #[error("line exceeds the length limit of {limit} bytes")]
    LineTooLong {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The SIP version is not `SIP/2.0` (RFC 3261 answers 505).
    #[error("unsupported SIP version")]
    UnsupportedVersion,
    /// The status code is not three digits in 100..=699.
    #[error("status code is not in 100..=699")]
    InvalidStatusCode,
    /// A header field name is not a token.
    #[error("invalid header field name")]
    InvalidHeaderName,
    /// A byte that may not appear here (NUL, a bare CR or LF, another control).
    #[error("forbidden byte 0x{0:02x}")]
    ForbiddenByte(u8),
    /// Text that must be UTF-8 is not.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Content-Length is not a number, or is out of range.
    #[error("invalid Content-Length")]
    InvalidContentLength,
    /// Several Content-Length fields disagree, so the body cannot be framed.
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Content-Length announces more bytes than the message holds.
    #[error("body shorter than Content-Length: {declared} declared, {available} present")]
    BodyTruncated {
        /// The value of Content-Length.
        declared: usize,
        /// The number of body bytes actually present.
        available: usize,
    },
    /// A number does not fit its type or range.
    #[error("number out of range for {0}")]
    NumberOutOfRange(&'static str),
    /// A header that must appear at most once appears several times.
    #[error("{0} appears more than once")]
    Duplicate(&'static str),
    /// A header the operation needs is missing.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// Input left over after a complete element.
    #[error("unexpected trailing data after {0}")]
    Trailing(&'static str),
    /// A list or parameter set has more items than allowed.
    #[error("too many {0}")]
    TooMany(&'static str),
}

/// A value refused by a writer because it would break the message framing or inject
/// a header (CR, LF, NUL) or is not valid for the grammar element it is written as.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The value holds a byte that may never be written (CR, LF or NUL, or another control).
    #[error("{what} contains forbidden byte 0x{byte:02x} at {offset}")]
    ForbiddenByte {
        /// What was being written.
        what: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its offset within the value.
        offset: usize,
    },
    /// The value does not match the grammar of the element it is written as.
    #[error("{what} is not a valid {expected}")]
    Invalid {
        /// What was being written.
        what: &'static str,
        /// The grammar element it had to match.
        expected: &'static str,
    },
    /// The output would exceed a configured limit.
    #[error("output exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}
