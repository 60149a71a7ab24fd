//! Frames arbitrary bytes as a stream delivered in arbitrary pieces. However the bytes
//! arrive, the framer must cut the same messages and keep-alives, end in the same state
//! as when it sees the whole buffer at once, and agree with the parser on every message.
//! Keep-alives: every whole CRLF at the start of the buffer is reported at once, a lone
//! CR after them waits for the next byte (RFC 5626 4.4.1 pings and pongs are told apart
//! by counting the CRLFs of adjacent keep-alives, which is why they are merged here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_oauth::message::{Frame, Limits, Message, ParseError, frame};

/// A framing decision; adjacent keep-alives are merged because how many CRLFs one call
/// sees depends on how the bytes arrived.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    KeepAlive(usize),
    Message(Vec<u8>),
}

fn record(events: &mut Vec<Event>, e: Event) {
    if let (Some(Event::KeepAlive(a)), Event::KeepAlive(b)) = (events.last_mut(), &e) {
        *a += b;
        return;
    }
    events.push(e);
}

/// Frames `buf` until it needs more bytes or fails; consumed bytes are removed.
fn run(buf: &mut Vec<u8>, limits: &Limits, events: &mut Vec<Event>) -> Result<(), ParseError> {
    loop {
        match frame(buf, limits)? {
            Frame::Partial => return Ok(()),
            Frame::KeepAlive(n) => {
                assert!(n > 0 && n <= buf.len() && n % 2 == 0);
                assert!(buf[..n].chunks(2).all(|c| c == b"\r\n"));
                buf.drain(..n);
                assert!(!buf.starts_with(b"\r\n"), "a whole CRLF was held back");
                record(events, Event::KeepAlive(n));
            }
            Frame::Complete(n) => {
                assert!(n > 0 && n <= buf.len());
                let bytes: Vec<u8> = buf.drain(..n).collect();
                let msg = Message::parse_with(bytes.clone().into(), limits)
                    .expect("a complete frame parses");
                assert_eq!(msg.as_bytes(), &bytes[..]);
                assert!(msg.content_length().is_some());
                record(events, Event::Message(bytes));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the piece sizes, the next one small limits or the defaults.
    let [sizes, which, stream @ ..] = data else {
        return;
    };
    let limits = if which & 1 == 0 {
        Limits::DEFAULT
    } else {
        Limits {
            max_message_bytes: 512,
            max_headers: 8,
            max_line_bytes: 128,
        }
    };

    let mut whole_buf = stream.to_vec();
    let mut whole_events = Vec::new();
    let whole = run(&mut whole_buf, &limits, &mut whole_events);

    let mut buf = Vec::new();
    let mut events = Vec::new();
    let mut piece = 0usize;
    let mut at = 0usize;
    let mut inc = Ok(());
    while at < stream.len() {
        // Piece sizes cycle through 1..=8 scaled by the seed byte.
        let len = 1 + ((usize::from(*sizes) >> (piece % 4 * 2)) & 3) * (1 + piece % 7);
        piece += 1;
        let next = (at + len).min(stream.len());
        buf.extend_from_slice(&stream[at..next]);
        at = next;
        inc = run(&mut buf, &limits, &mut events);
        if inc.is_err() {
            break;
        }
    }
    if stream.is_empty() {
        inc = run(&mut buf, &limits, &mut events);
    }

    assert_eq!(events, whole_events);
    assert_eq!(inc, whole);
    if whole.is_ok() {
        assert_eq!(buf, whole_buf);
    }
});
