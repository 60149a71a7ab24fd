//! Framing SIP messages out of a byte stream (TCP, TLS, or WebSocket when a
//! peer splits messages), RFC 3261 18.3, with RFC 5626 section 4.4.1 keep-alives.

use super::error::{ParseError, ParseErrorKind};
use super::limits::Limits;
use super::parse;

/// What the start of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Frame {
    /// Not enough bytes yet: read more and call again with the longer buffer.
    Partial,
    /// The first `n` bytes are keep-alive CRLFs (RFC 5626 section 4.4.1: a "ping" is
    /// CRLFCRLF, a "pong" one CRLF): consume them. Every whole CRLF at the start of the
    /// buffer is reported at once; a lone CR after them is left in the buffer, since it
    /// may or may not begin another CRLF, and is judged when the next byte arrives. So
    /// the keep-alive bytes reported between two messages do not depend on how the
    /// stream was split into reads, but one ping may be reported in two parts (its
    /// bytes arrived in two reads): count the CRLFs of adjacent keep-alives, and answer
    /// a double CRLF with a single CRLF.
    KeepAlive(usize),
    /// The first `n` bytes are one complete message: pass them to
    /// [`crate::message::Message::parse`] and consume them.
    Complete(usize),
}

/// Looks at the start of `buf` and says whether it holds a whole message.
///
/// On a stream, Content-Length is mandatory (RFC 3261 18.3), so its absence is an
/// error; so are conflicting values and anything over the limits. Any error means the
/// framing of the stream is lost and the connection should be closed.
///
/// ```
/// use sip_oauth::message::{frame, Frame, Limits};
///
/// let wire = b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nhi";
/// assert_eq!(frame(wire, &Limits::DEFAULT)?, Frame::KeepAlive(4));
/// assert_eq!(frame(&wire[4..], &Limits::DEFAULT)?, Frame::Complete(wire.len() - 4));
/// assert_eq!(frame(&wire[4..20], &Limits::DEFAULT)?, Frame::Partial);
/// # Ok::<(), sip_oauth::message::ParseError>(())
/// ```
pub fn frame(buf: &[u8], limits: &Limits) -> Result<Frame, ParseError> {
    let mut crlf = 0;
    while crlf < buf.len() {
        match (buf[crlf], buf.get(crlf + 1)) {
            (b'\r', Some(b'\n')) => crlf += 2,
            // A lone CR at the end: alone it is Partial, after CRLFs those are reported
            // now, as they would be had the CR not arrived yet.
            (b'\r', None) if crlf == 0 => return Ok(Frame::Partial),
            _ => break,
        }
    }
    if crlf > 0 {
        return Ok(Frame::KeepAlive(crlf));
    }
    if buf.is_empty() {
        return Ok(Frame::Partial);
    }
    let max = limits.max_message_bytes.min(u32::MAX as usize);
    // Only the first `max` bytes are looked at, so the verdict on a stream cannot depend
    // on how its bytes were split into reads: an over-long header section is
    // `MessageTooLarge` whether it arrived at once or piece by piece.
    let window = buf.get(..max).unwrap_or(buf);
    let head = match parse::head(window, limits) {
        Ok(head) => head,
        Err(ParseError {
            kind: ParseErrorKind::Incomplete(_),
            ..
        }) => {
            return if buf.len() > max {
                Err(ParseError::new(
                    ParseErrorKind::MessageTooLarge { limit: max },
                    max,
                ))
            } else {
                Ok(Frame::Partial)
            };
        }
        Err(e) => return Err(e),
    };
    let Some(body) = head.content_length else {
        return Err(ParseError::new(
            ParseErrorKind::Missing("Content-Length"),
            head.body_start,
        ));
    };
    let total = head.body_start.saturating_add(body);
    if total > max {
        return Err(ParseError::new(
            ParseErrorKind::MessageTooLarge { limit: max },
            head.body_start,
        ));
    }
    Ok(if buf.len() >= total {
        Frame::Complete(total)
    } else {
        Frame::Partial
    })
}
