//! Stream framing: partial input, complete messages, keep-alives, back-to-back
//! messages, byte-by-byte delivery, and the errors that mean a lost stream.

use sip_oauth::message::{Frame, Limits, Message, ParseError, ParseErrorKind, frame};

const REGISTER: &[u8] = include_bytes!("data/samples/register_from_wic.sip");
const OK: &[u8] = include_bytes!("data/samples/ok_from_scscf.sip");
const WITH_BODY: &[u8] = b"MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello\r\n\r\nbob";

fn f(buf: &[u8]) -> Result<Frame, ParseError> {
    frame(buf, &Limits::DEFAULT)
}

/// Drains `stream` the way a connection handler does: frames, consumes, repeats.
/// Returns the messages and keep-alive sizes seen, and what was left over.
fn drain(stream: &[u8]) -> (Vec<Vec<u8>>, Vec<usize>, usize) {
    let mut msgs = Vec::new();
    let mut alives = Vec::new();
    let mut at = 0;
    loop {
        match f(&stream[at..]).unwrap() {
            Frame::Partial => return (msgs, alives, stream.len() - at),
            Frame::KeepAlive(n) => {
                alives.push(n);
                at += n;
            }
            Frame::Complete(n) => {
                msgs.push(stream[at..at + n].to_vec());
                at += n;
            }
        }
    }
}

#[test]
fn complete_messages() {
    assert_eq!(f(REGISTER), Ok(Frame::Complete(REGISTER.len())));
    assert_eq!(f(OK), Ok(Frame::Complete(OK.len())));
    assert_eq!(f(WITH_BODY), Ok(Frame::Complete(WITH_BODY.len())));
    let m = Message::parse(WITH_BODY).unwrap();
    assert_eq!(m.body(), b"hello\r\n\r\nbob");
}

#[test]
fn partial_until_the_last_byte() {
    for sample in [REGISTER, OK, WITH_BODY] {
        for cut in 0..sample.len() {
            assert_eq!(f(&sample[..cut]), Ok(Frame::Partial), "cut at {cut}");
        }
    }
}

#[test]
fn keep_alives() {
    assert_eq!(f(b"\r\n"), Ok(Frame::KeepAlive(2)));
    assert_eq!(f(b"\r\n\r\n"), Ok(Frame::KeepAlive(4)));
    assert_eq!(f(b"\r\n\r\n\r\n"), Ok(Frame::KeepAlive(6)));
    assert_eq!(f(b"\r"), Ok(Frame::Partial));
    assert_eq!(f(b""), Ok(Frame::Partial));
    // A keep-alive followed by the start of a message.
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend_from_slice(REGISTER);
    assert_eq!(f(&stream), Ok(Frame::KeepAlive(4)));
    assert_eq!(f(&stream[4..]), Ok(Frame::Complete(REGISTER.len())));
    assert_eq!(f(b"\r\nR"), Ok(Frame::KeepAlive(2)));
}

#[test]
fn back_to_back_messages() {
    let mut stream = Vec::new();
    stream.extend_from_slice(REGISTER);
    stream.extend_from_slice(WITH_BODY);
    stream.extend_from_slice(b"\r\n\r\n");
    stream.extend_from_slice(OK);
    stream.extend_from_slice(b"\r\n");
    stream.extend_from_slice(&REGISTER[..40]);
    assert_eq!(f(&stream), Ok(Frame::Complete(REGISTER.len())));
    let (msgs, alives, left) = drain(&stream);
    assert_eq!(
        msgs,
        vec![REGISTER.to_vec(), WITH_BODY.to_vec(), OK.to_vec()]
    );
    assert_eq!(alives, vec![4, 2]);
    assert_eq!(left, 40);
    for m in msgs {
        let parsed = Message::parse(m.clone()).unwrap();
        assert_eq!(parsed.as_bytes(), &m[..]);
    }
}

#[test]
fn split_at_every_offset_and_fed_incrementally() {
    let mut stream = Vec::new();
    stream.extend_from_slice(REGISTER);
    stream.extend_from_slice(b"\r\n\r\n");
    stream.extend_from_slice(WITH_BODY);
    stream.extend_from_slice(OK);
    let want = vec![REGISTER.to_vec(), WITH_BODY.to_vec(), OK.to_vec()];
    // Two reads, split at every offset.
    for split in 0..=stream.len() {
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for chunk in [&stream[..split], &stream[split..]] {
            buf.extend_from_slice(chunk);
            loop {
                match f(&buf).unwrap() {
                    Frame::Partial => break,
                    Frame::KeepAlive(n) => {
                        buf.drain(..n);
                    }
                    Frame::Complete(n) => {
                        got.push(buf.drain(..n).collect::<Vec<u8>>());
                    }
                }
            }
        }
        assert_eq!(got, want, "split at {split}");
        assert!(buf.is_empty());
    }
    // One byte per read.
    let mut buf = Vec::new();
    let mut got = Vec::new();
    for &b in &stream {
        buf.push(b);
        loop {
            match f(&buf).unwrap() {
                Frame::Partial => break,
                Frame::KeepAlive(n) => {
                    buf.drain(..n);
                }
                Frame::Complete(n) => got.push(buf.drain(..n).collect::<Vec<u8>>()),
            }
        }
    }
    assert_eq!(got, want);
}

#[test]
fn missing_content_length_on_a_stream_is_an_error() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
    assert_eq!(
        f(text),
        Err(ParseError::new(
            ParseErrorKind::Missing("Content-Length"),
            text.len()
        ))
    );
    // Even before the body could arrive: the framing is already lost.
    let text = b"OPTIONS sip:a@b SIP/2.0\r\n\r\nxyz";
    assert_eq!(
        f(text).unwrap_err().kind,
        ParseErrorKind::Missing("Content-Length")
    );
}

#[test]
fn conflicting_and_invalid_content_length_on_a_stream() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab";
    assert_eq!(
        f(text),
        Err(ParseError::new(
            ParseErrorKind::ConflictingContentLength,
            31
        ))
    );
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n";
    assert_eq!(
        f(text).unwrap_err().kind,
        ParseErrorKind::InvalidContentLength
    );
}

#[test]
fn too_large_on_a_stream_is_an_error() {
    let limits = Limits {
        max_message_bytes: 200,
        ..Limits::DEFAULT
    };
    // Announced body pushes the message over the limit: known as soon as the head is.
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 500\r\n\r\n";
    assert_eq!(
        frame(text, &limits),
        Err(ParseError::new(
            ParseErrorKind::MessageTooLarge { limit: 200 },
            text.len()
        ))
    );
    // A huge announced body with the default limits.
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9999999999\r\n\r\n";
    assert_eq!(
        f(text).unwrap_err().kind,
        ParseErrorKind::MessageTooLarge { limit: 65536 }
    );
    // A header section that never ends.
    let mut text = b"MESSAGE sip:a@b SIP/2.0\r\n".to_vec();
    while text.len() <= 200 {
        text.extend_from_slice(b"X: 1\r\n");
    }
    assert_eq!(
        frame(&text, &limits),
        Err(ParseError::new(
            ParseErrorKind::MessageTooLarge { limit: 200 },
            200
        ))
    );
    // A line that never ends.
    let mut text = b"MESSAGE sip:a@b SIP/2.0\r\nX: ".to_vec();
    text.resize(10_000, b'a');
    assert_eq!(
        f(&text),
        Err(ParseError::new(
            ParseErrorKind::LineTooLong { limit: 8192 },
            25
        ))
    );
    // Exactly at the limit is complete.
    // The head is as long for any three-digit length.
    let body = 200 - b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 150\r\n\r\n".len();
    let mut text =
        format!("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: {body}\r\n\r\n").into_bytes();
    text.resize(200, b'b');
    assert_eq!(frame(&text, &limits), Ok(Frame::Complete(200)));
}

#[test]
fn garbage_is_an_error_not_partial() {
    assert_eq!(
        f(b"\x00\x01\x02\r\n").unwrap_err().kind,
        ParseErrorKind::ForbiddenByte(0)
    );
    assert_eq!(
        f(b"HELLO\r\n\r\n").unwrap_err(),
        ParseError::expected("SP after method", 5)
    );
    assert_eq!(
        f(b"GET / HTTP/1.1\nHost: x\n\n").unwrap_err().kind,
        ParseErrorKind::ForbiddenByte(b'\n')
    );
    assert_eq!(
        f(b"\rX").unwrap_err().kind,
        ParseErrorKind::ForbiddenByte(b'\r')
    );
}

#[test]
fn frame_agrees_with_parse_on_rfc4475_messages() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc4475");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "dat") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let name = path.display();
        match (f(&data), Message::parse(data.clone())) {
            (Ok(Frame::Complete(n)), Ok(m)) => assert_eq!(n, m.as_bytes().len(), "{name}"),
            (Ok(Frame::Complete(n)), Err(e)) => panic!("{name}: framed {n} but {e}"),
            (Ok(Frame::KeepAlive(_)), _) => panic!("{name}: keep-alive"),
            // No Content-Length, body truncated, or incomplete: no complete frame.
            (Ok(Frame::Partial), Ok(_)) => panic!("{name}: partial but parses"),
            (Ok(Frame::Partial), Err(e)) => assert!(
                matches!(
                    e.kind,
                    ParseErrorKind::BodyTruncated { .. } | ParseErrorKind::Incomplete(_)
                ),
                "{name}: partial but {e}"
            ),
            (Err(fe), Ok(m)) => assert!(
                m.content_length().is_none()
                    && fe.kind == ParseErrorKind::Missing("Content-Length"),
                "{name}: {fe}"
            ),
            (Err(fe), Err(pe)) => assert_eq!(fe, pe, "{name}"),
        }
    }
}

/// Found by fuzzing: with a header section longer than the size limit, the verdict
/// used to depend on how the bytes arrived (`TooManyHeaders` when all came at once,
/// `MessageTooLarge` when they came in pieces).
#[test]
fn oversized_head_gets_the_same_verdict_however_it_arrives() {
    let limits = Limits {
        max_message_bytes: 512,
        max_headers: 8,
        max_line_bytes: 512,
    };
    let mut msg = b"OPTIONS sip:user@example.com SIP/2.0\r\n".to_vec();
    for i in 0..12 {
        msg.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "a".repeat(60)).as_bytes());
    }
    msg.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    assert!(msg.len() > 512);
    let whole = frame(&msg, &limits);
    for cut in (1..msg.len()).step_by(7) {
        match frame(&msg[..cut], &limits) {
            Ok(Frame::Partial) => assert!(cut <= 512, "Partial past the limit at {cut}"),
            other => assert_eq!(other, whole, "cut at {cut}"),
        }
    }
    assert!(matches!(
        whole,
        Err(ParseError {
            kind: ParseErrorKind::MessageTooLarge { limit: 512 },
            ..
        })
    ));
}

/// Frames `stream` delivered in reads of the given sizes (the rest in one last read);
/// returns the keep-alive bytes and messages in order, adjacent keep-alives merged as a
/// caller counting a ping's CRLFs merges them, and what is left in the buffer.
fn fed_in_pieces(
    stream: &[u8],
    sizes: &[usize],
    limits: &Limits,
) -> (Vec<Result<usize, Vec<u8>>>, Vec<u8>) {
    let mut events: Vec<Result<usize, Vec<u8>>> = Vec::new();
    let mut buf = Vec::new();
    let mut at = 0;
    let mut sizes = sizes.iter();
    while at < stream.len() {
        let next = sizes
            .next()
            .map_or(stream.len(), |n| (at + n).min(stream.len()));
        buf.extend_from_slice(&stream[at..next]);
        at = next;
        loop {
            match frame(&buf, limits).unwrap() {
                Frame::Partial => break,
                Frame::KeepAlive(n) => {
                    buf.drain(..n);
                    match events.last_mut() {
                        Some(Ok(m)) => *m += n,
                        _ => events.push(Ok(n)),
                    }
                }
                Frame::Complete(n) => events.push(Err(buf.drain(..n).collect())),
            }
        }
    }
    (events, buf)
}

/// Found by the `stream_framer` fuzz target (input `0d 63 0d 0a 0d`: small limits, then
/// CRLF CR). Fed whole, the framer used to wait on the trailing CR and report nothing;
/// fed as CRLF then CR, it reported the CRLF. The complete CRLFs are now reported
/// however the bytes arrive, and the lone CR waits for the byte that decides it.
#[test]
fn a_trailing_lone_cr_does_not_hold_back_the_crlfs_before_it() {
    let small = Limits {
        max_message_bytes: 512,
        max_headers: 8,
        max_line_bytes: 128,
    };
    let stream = b"\r\n\r";
    assert_eq!(frame(stream, &small), Ok(Frame::KeepAlive(2)));
    assert_eq!(frame(&stream[2..], &small), Ok(Frame::Partial));
    let whole = fed_in_pieces(stream, &[], &small);
    assert_eq!(whole, (vec![Ok(2)], b"\r".to_vec()));
    assert_eq!(fed_in_pieces(stream, &[2, 1], &small), whole);
    assert_eq!(fed_in_pieces(stream, &[1, 1, 1], &small), whole);
    // The CR then turns out to begin a second CRLF (a ping in two reads), or a message.
    let mut ping = stream.to_vec();
    ping.push(b'\n');
    assert_eq!(fed_in_pieces(&ping, &[3], &small), (vec![Ok(4)], vec![]));
    assert_eq!(fed_in_pieces(&ping, &[], &small), (vec![Ok(4)], vec![]));
    assert_eq!(f(b"\r\n\r\n\r"), Ok(Frame::KeepAlive(4)));
}

/// Keep-alives split at every offset, before a message and at the end of the stream:
/// the same CRLF count, messages and leftover bytes as when fed whole.
#[test]
fn keep_alives_split_anywhere_give_the_same_verdicts() {
    let mut stream = b"\r\n\r\n\r\n".to_vec();
    stream.extend_from_slice(WITH_BODY);
    stream.extend_from_slice(b"\r\n\r\n\r");
    let whole = fed_in_pieces(&stream, &[], &Limits::DEFAULT);
    assert_eq!(
        whole,
        (vec![Ok(6), Err(WITH_BODY.to_vec()), Ok(4)], b"\r".to_vec())
    );
    for a in 0..=stream.len() {
        for b in [1, 2, 3] {
            assert_eq!(
                fed_in_pieces(&stream, &[a, b], &Limits::DEFAULT),
                whole,
                "split at {a}, then {b}"
            );
        }
    }
}
