//! SIP over a byte stream (TCP): messages are cut out with the library's framer
//! (RFC 3261 18.3 Content-Length framing, RFC 5626 CRLF keep-alives).

use std::io;

use bytes::Bytes;
use sip_oauth::message::{Frame, Limits, frame};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Free room the read buffer has before each read: most SIP messages arrive in one.
const READ_ROOM: usize = 2048;
/// Capacity a read buffer keeps between messages; one grown past it by a large message
/// gives the rest back, so an idle connection holds little.
const KEEP: usize = 16 * 1024;

/// What the next frame of a stream held.
#[derive(Debug)]
pub enum Item {
    /// One whole SIP message.
    Message(Bytes),
    /// A CRLFCRLF keep-alive ping, to be answered with a CRLF pong.
    Ping,
}

/// Cuts SIP messages out of a byte stream.
pub struct SipReader<R> {
    rd: R,
    buf: Vec<u8>,
    limits: Limits,
    /// Keep-alive bytes since the last message or ping: a ping whose bytes arrived in
    /// two reads is framed as two keep-alives.
    crlfs: usize,
}

impl<R: AsyncRead + Unpin> SipReader<R> {
    /// A reader over `rd`.
    pub fn new(rd: R) -> SipReader<R> {
        SipReader {
            rd,
            // Allocated at the first read, sized to what arrives.
            buf: Vec::new(),
            limits: Limits::DEFAULT,
            crlfs: 0,
        }
    }

    /// The next message or ping; `None` at a clean end of stream. A framing error is
    /// an `InvalidData` error: the stream cannot be resynchronised and must be closed.
    pub async fn next(&mut self) -> io::Result<Option<Item>> {
        loop {
            match frame(&self.buf, &self.limits) {
                Ok(Frame::Complete(n)) => {
                    let msg = Bytes::copy_from_slice(&self.buf[..n]);
                    self.buf.drain(..n);
                    if self.buf.capacity() > KEEP {
                        self.buf.shrink_to(KEEP.max(self.buf.len()));
                    }
                    self.crlfs = 0;
                    return Ok(Some(Item::Message(msg)));
                }
                Ok(Frame::KeepAlive(n)) => {
                    self.buf.drain(..n);
                    self.crlfs += n;
                    if self.crlfs >= 4 {
                        self.crlfs = 0;
                        return Ok(Some(Item::Ping));
                    }
                    continue;
                }
                Ok(Frame::Partial) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
            // Read straight into the buffer's spare room (no chunk on the stack of every
            // connection's task); it grows with the message, up to the framer's limit.
            if self.buf.capacity() - self.buf.len() < READ_ROOM / 2 {
                self.buf.reserve(READ_ROOM);
            }
            let n = self.rd.read_buf(&mut self.buf).await?;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }
}

/// Writes everything received on `rx` to `wr` until the channel closes or a write fails.
pub async fn write_all_from<W: AsyncWrite + Unpin>(mut wr: W, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(b) = rx.recv().await {
        if wr.write_all(&b).await.is_err() {
            break;
        }
    }
    let _ = wr.shutdown().await;
}
