//! The rules of RFC 3261 a message can break, each with the section it comes from,
//! the status a UAS or proxy answers with, and the byte offset of the problem.

use thiserror::Error;

use crate::message::{ParseError, ParseErrorKind};

/// A rule of RFC 3261 that a message breaks, with where and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Violation {
    /// The bytes did not parse as a message at all.
    #[error("unparsable message: {0}")]
    Syntax(#[from] ParseError),
    /// A header every request or response carries is absent (RFC 3261 8.1.1).
    #[error("missing mandatory {header} header (at byte {offset})")]
    Missing {
        /// The header's canonical name.
        header: &'static str,
        /// Where the header section ends (where it would have been).
        offset: usize,
    },
    /// A header allowed once appears again (RFC 3261 7.3.1; RFC 4475 3.3.8).
    #[error("{header} appears more than once (at byte {offset})")]
    Repeated {
        /// The header's canonical name.
        header: &'static str,
        /// Start of the second occurrence.
        offset: usize,
    },
    /// A header value does not match its grammar or range.
    #[error("malformed {header} header: {error}")]
    Malformed {
        /// The header's canonical name, or `Request-URI`.
        header: &'static str,
        /// RFC 3261 section defining the element.
        section: &'static str,
        /// What was wrong; its offset is relative to the whole message.
        error: ParseError,
    },
    /// The CSeq method differs from the request method (RFC 3261 8.1.1.5).
    #[error("CSeq method does not match the request method (at byte {offset})")]
    CSeqMethodMismatch {
        /// Start of the CSeq method.
        offset: usize,
    },
    /// `Contact: *` mixed with other values, repeated, outside REGISTER or without
    /// `Expires: 0` (RFC 3261 10.2.2 and 10.3 step 6).
    #[error("misused Contact '*' (at byte {offset})")]
    ContactStar {
        /// Start of the offending Contact field.
        offset: usize,
    },
    /// The Request-URI carries `?headers`, which RFC 3261 19.1.5 forbids there.
    #[error("escaped headers in the Request-URI (at byte {offset})")]
    RequestUriHeaders {
        /// Offset of the `?`.
        offset: usize,
    },
    /// The Request-URI scheme is not sip, sips or tel (RFC 3261 8.2.2.1, 16.3 step 2).
    #[error("unsupported Request-URI scheme (at byte {offset})")]
    UnsupportedScheme {
        /// Start of the Request-URI.
        offset: usize,
    },
    /// A REGISTER's Request-URI is not a sip or sips URI: it names the domain of a
    /// location service (RFC 3261 10.2, 10.3 step 1).
    #[error("REGISTER Request-URI is not a sip or sips URI (at byte {offset})")]
    RegisterUriScheme {
        /// Start of the Request-URI.
        offset: usize,
    },
    /// A proxy received Max-Forwards: 0 on a request it would forward (RFC 3261 16.3
    /// step 3).
    #[error("Max-Forwards exhausted (at byte {offset})")]
    TooManyHops {
        /// Start of the Max-Forwards value.
        offset: usize,
    },
    /// Proxy-Require names an option tag the proxy does not support (RFC 3261 16.3
    /// step 5).
    #[error("unsupported Proxy-Require option tag (at byte {offset})")]
    BadExtension {
        /// Start of the first unsupported option tag.
        offset: usize,
    },
}

impl Violation {
    /// The RFC 3261 section whose rule is broken.
    pub fn section(&self) -> &'static str {
        match self {
            Violation::Syntax(e) => match e.kind {
                ParseErrorKind::UnsupportedVersion => "21.5.7",
                ParseErrorKind::MessageTooLarge { .. } => "21.5.13",
                ParseErrorKind::InvalidContentLength
                | ParseErrorKind::ConflictingContentLength
                | ParseErrorKind::BodyTruncated { .. } => "18.3",
                _ => "25.1",
            },
            Violation::Missing { .. } => "8.1.1",
            Violation::Repeated { .. } => "7.3.1",
            Violation::Malformed { section, .. } => section,
            Violation::CSeqMethodMismatch { .. } => "8.1.1.5",
            Violation::ContactStar { .. } => "10.2.2",
            Violation::RequestUriHeaders { .. } => "19.1.5",
            Violation::UnsupportedScheme { .. } => "8.2.2.1",
            Violation::RegisterUriScheme { .. } => "10.2",
            Violation::TooManyHops { .. } => "16.3",
            Violation::BadExtension { .. } => "16.3",
        }
    }

    /// The status code a UAS or proxy answers with (responses that break a rule are
    /// dropped instead, RFC 3261 18.1.2).
    pub fn status(&self) -> u16 {
        match self {
            Violation::Syntax(e) => match e.kind {
                ParseErrorKind::UnsupportedVersion => 505,
                ParseErrorKind::MessageTooLarge { .. } => 513,
                _ => 400,
            },
            Violation::UnsupportedScheme { .. } | Violation::RegisterUriScheme { .. } => 416,
            Violation::TooManyHops { .. } => 483,
            Violation::BadExtension { .. } => 420,
            _ => 400,
        }
    }

    /// Byte offset of the problem within the message.
    pub fn offset(&self) -> usize {
        match self {
            Violation::Syntax(e) | Violation::Malformed { error: e, .. } => e.offset,
            Violation::Missing { offset, .. }
            | Violation::Repeated { offset, .. }
            | Violation::CSeqMethodMismatch { offset }
            | Violation::ContactStar { offset }
            | Violation::RequestUriHeaders { offset }
            | Violation::UnsupportedScheme { offset }
            | Violation::RegisterUriScheme { offset }
            | Violation::TooManyHops { offset }
            | Violation::BadExtension { offset } => *offset,
        }
    }
}
