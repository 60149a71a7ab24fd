//! Hostile input at the message layer: attempts to smuggle a second Content-Length or
//! header, to make two parsers frame the same bytes differently, and to exhaust the
//! parser with size, count or nesting.

use sip_oauth::message::{
    Builder, Editor, Frame, HeaderName, HeaderValue, Limits, Message, ParseError, ParseErrorKind,
    Token, frame,
};

fn n(s: &str) -> Token {
    Token::try_from(s).unwrap()
}

fn v(s: &str) -> HeaderValue {
    HeaderValue::try_from(s).unwrap()
}

fn parse(b: &[u8]) -> Result<Message, ParseError> {
    Message::parse(b.to_vec())
}

fn kind(b: &[u8]) -> ParseErrorKind {
    let e = parse(b).unwrap_err();
    assert!(e.offset <= b.len());
    e.kind
}

const BIG: Limits = Limits {
    max_message_bytes: 8 << 20,
    max_headers: 256,
    max_line_bytes: 8 * 1024,
};

#[test]
fn content_length_smuggling() {
    // A fold inside the value does not make two numbers one.
    assert_eq!(
        kind(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1\r\n 0\r\n\r\n0123456789"),
        ParseErrorKind::InvalidContentLength
    );
    // A fold before the value is only whitespace.
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nhi").unwrap();
    assert_eq!(m.body(), b"hi");
    // Compact and long forms, in any case, are the same field and must agree.
    for (a, b) in [("l", "Content-Length"), ("L", "content-length"), ("l", "l")] {
        let text = format!("MESSAGE sip:a@b SIP/2.0\r\n{a}: 2\r\n{b}: 3\r\n\r\nabc");
        assert_eq!(
            kind(text.as_bytes()),
            ParseErrorKind::ConflictingContentLength
        );
        assert_eq!(
            frame(text.as_bytes(), &Limits::DEFAULT).unwrap_err().kind,
            ParseErrorKind::ConflictingContentLength
        );
    }
    // Look-alike names are other headers and do not frame anything.
    for name in [
        "Content-Length2",
        "Content_Length",
        "X-Content-Length",
        "ll",
        "Content-Lengt",
    ] {
        let text = format!("MESSAGE sip:a@b SIP/2.0\r\n{name}: 99\r\n\r\nbody");
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(m.content_length(), None, "{name}");
        assert_eq!(m.body(), b"body");
    }
    // Signs, spaces inside, hex, exponent, overflow.
    for v in [
        "+5",
        "-0",
        "5 5",
        "0x5",
        "5e0",
        "5;x",
        "\"5\"",
        "99999999999999999999999",
    ] {
        let text = format!("MESSAGE sip:a@b SIP/2.0\r\nl: {v}\r\n\r\nabcde");
        assert_eq!(
            kind(text.as_bytes()),
            ParseErrorKind::InvalidContentLength,
            "{v}"
        );
    }
}

#[test]
fn a_second_message_in_the_body_stays_in_the_body() {
    let inner = "INVITE sip:victim@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    // Datagram without Content-Length: everything after the head is the body.
    let text = format!("MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\n\r\n{inner}");
    let m = parse(text.as_bytes()).unwrap();
    assert_eq!(m.body(), inner.as_bytes());
    assert_eq!(m.headers().len(), 1);
    // With Content-Length the message ends where it says; on a stream what follows is
    // the next message, framed on its own.
    let text = format!(
        "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: {}\r\n\r\n{inner}{inner}",
        inner.len()
    );
    let n = match frame(text.as_bytes(), &Limits::DEFAULT).unwrap() {
        Frame::Complete(n) => n,
        other => panic!("{other:?}"),
    };
    let m = parse(&text.as_bytes()[..n]).unwrap();
    assert_eq!(m.body(), inner.as_bytes());
    assert_eq!(
        frame(&text.as_bytes()[n..], &Limits::DEFAULT),
        Ok(Frame::Complete(inner.len()))
    );
}

#[test]
fn folding_cannot_start_a_new_header() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: hi\r\n Via: SIP/2.0/UDP evil\r\n\tContent-Length: 99\r\n\r\n";
    let m = parse(text).unwrap();
    assert_eq!(m.headers().len(), 1);
    assert!(m.first(HeaderName::Via).is_none());
    assert_eq!(m.content_length(), None);
    assert_eq!(
        m.value_bytes(m.header(0).unwrap()),
        b"hi\r\n Via: SIP/2.0/UDP evil\r\n\tContent-Length: 99"
    );
}

#[test]
fn line_end_variants_are_rejected() {
    for (text, byte) in [
        (&b"OPTIONS sip:a@b SIP/2.0\nVia: x\r\n\r\n"[..], b'\n'),
        (b"OPTIONS sip:a@b SIP/2.0\rVia: x\r\n\r\n", b'\r'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\n\r\n", b'\n'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\r\n\r\n", b'\r'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\n", b'\n'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\n\r\n", b'\n'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\r\n", b'\r'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\n \r\n\r\n", b'\n'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia:\r x\r\n\r\n", b'\r'),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia\n: x\r\n\r\n", b'\n'),
    ] {
        assert_eq!(
            kind(text),
            ParseErrorKind::ForbiddenByte(byte),
            "{:?}",
            String::from_utf8_lossy(text)
        );
        assert_eq!(
            frame(text, &Limits::DEFAULT).unwrap_err().kind,
            ParseErrorKind::ForbiddenByte(byte)
        );
    }
}

#[test]
fn start_line_oddities() {
    assert_eq!(
        kind(b"SIP/2.0/UDP 200 OK\r\n\r\n"),
        ParseErrorKind::Expected("SP after SIP-Version")
    );
    assert_eq!(
        kind(b"INVITE\tsip:a@b SIP/2.0\r\n\r\n"),
        ParseErrorKind::Expected("SP after method")
    );
    assert_eq!(
        kind(b"INVITE sip:a@b\tSIP/2.0\r\n\r\n"),
        ParseErrorKind::Expected("SP after Request-URI")
    );
    assert_eq!(kind(b""), ParseErrorKind::Incomplete("CRLF"));
    // Only CRLFs: a keep-alive on a stream, nothing valid in a datagram.
    let crlfs = b"\r\n\r\n\r\n\r\n";
    assert_eq!(kind(crlfs), ParseErrorKind::Expected("method token"));
    assert_eq!(frame(crlfs, &Limits::DEFAULT), Ok(Frame::KeepAlive(8)));
    // Bytes above 0x7f in the Request-URI are kept; the text accessor declines them.
    let m = parse(b"OPTIONS sip:\xff\xfe@b SIP/2.0\r\n\r\n").unwrap();
    assert_eq!(m.request_uri(), None);
    assert_eq!(m.method(), Some("OPTIONS"));
    // Version case and digits.
    assert_eq!(
        kind(b"OPTIONS sip:a@b SIP/2.0.1\r\n\r\n"),
        ParseErrorKind::Trailing("SIP-Version")
    );
    assert_eq!(
        kind(b"OPTIONS sip:a@b SIP/2.00\r\n\r\n"),
        ParseErrorKind::UnsupportedVersion
    );
    assert_eq!(
        kind(b"OPTIONS sip:a@b SIP/2.\r\n\r\n"),
        ParseErrorKind::Expected("SIP-Version")
    );
    assert_eq!(
        kind(b"OPTIONS sip:a@b SIP/9999999999.0\r\n\r\n"),
        ParseErrorKind::Expected("SIP-Version")
    );
}

#[test]
fn header_name_oddities() {
    for name in [
        &b"Vi\xc3\xa0"[..],
        b"V\x00ia",
        b"Via\x7f",
        b"[Via]",
        b"Via/2",
    ] {
        let mut text = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        text.extend_from_slice(name);
        text.extend_from_slice(b": x\r\n\r\n");
        let k = kind(&text);
        assert!(
            matches!(
                k,
                ParseErrorKind::InvalidHeaderName
                    | ParseErrorKind::Expected("':' after header name")
                    | ParseErrorKind::ForbiddenByte(0)
            ),
            "{name:?}: {k:?}"
        );
    }
}

#[test]
fn control_bytes_in_values_are_kept_verbatim() {
    // Only CR, LF and unescaped NUL affect framing; other controls are carried as they
    // are and left to the typed header parsers.
    let mut value: Vec<u8> = (1u8..0x20).filter(|&b| b != b'\r' && b != b'\n').collect();
    value.extend_from_slice(b"\x7f\x80\xff");
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nTo: a".to_vec();
    text.extend_from_slice(&value);
    text.extend_from_slice(b"z\r\n\r\n");
    let m = parse(&text).unwrap();
    let h = m.header(0).unwrap();
    assert_eq!(&m.value_bytes(h)[1..value.len() + 1], &value[..]);
    assert!(m.value_str(h).is_err());
    // A reply built from it still parses, and an unchanged edit is the same bytes.
    let out = Builder::response_to(&m, 400, &v("Bad Request"), None)
        .unwrap()
        .finish();
    assert!(Message::parse(out).is_ok());
    assert_eq!(&Editor::new(&m).finish().unwrap()[..], &text[..]);
}

#[test]
fn size_exhaustion() {
    // Far over the message limit: refused before any scan.
    let huge = vec![b'A'; 4 << 20];
    assert_eq!(
        parse(&huge).unwrap_err(),
        ParseError::new(ParseErrorKind::MessageTooLarge { limit: 65536 }, 65536)
    );
    // A 1 MiB method token, a 1 MiB Request-URI, a 1 MiB header name.
    let mut start = vec![b'A'; 1 << 20];
    start.extend_from_slice(b" sip:a@b SIP/2.0\r\n\r\n");
    let mut uri = b"OPTIONS sip:".to_vec();
    uri.resize(1 << 20, b'a');
    uri.extend_from_slice(b" SIP/2.0\r\n\r\n");
    let mut name = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    name.resize(1 << 20, b'X');
    name.extend_from_slice(b": 1\r\n\r\n");
    for (text, at) in [(&start, 0), (&uri, 0), (&name, 25)] {
        assert_eq!(
            Message::parse_with(text.clone().into(), &BIG).unwrap_err(),
            ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, at)
        );
        assert_eq!(
            frame(text, &BIG).unwrap_err(),
            ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, at)
        );
    }
}

#[test]
fn header_count_exhaustion() {
    // 200 000 minimal fields in 1 MiB.
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    for _ in 0..200_000 {
        text.extend_from_slice(b"a:\r\n");
    }
    text.extend_from_slice(b"\r\n");
    let e = Message::parse_with(text.clone().into(), &BIG).unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::TooManyHeaders { limit: 256 }, 25 + 256 * 4)
    );
    assert_eq!(frame(&text, &BIG).unwrap_err(), e);
    // The same on a stream that has not delivered the end of the head yet.
    assert_eq!(frame(&text[..5000], &BIG).unwrap_err(), e);
}

#[test]
fn deep_folding_and_nesting_within_limits() {
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: (".to_vec();
    for _ in 0..1000 {
        text.extend_from_slice(b"\r\n (\"\\\0\"");
    }
    text.extend_from_slice(b"\r\n\r\n");
    let m = parse(&text).unwrap();
    assert_eq!(m.headers().len(), 1);
    assert_eq!(m.value_bytes(m.header(0).unwrap()).len(), 1 + 1000 * 8);
    // The same bytes without the backslashes hold bare NULs.
    let bare: Vec<u8> = text.iter().copied().filter(|&b| b != b'\\').collect();
    assert_eq!(kind(&bare), ParseErrorKind::ForbiddenByte(0));
    // An unclosed quote does not hide the end of the line.
    let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nX: \"open\r\nY: (open\r\n\r\n").unwrap();
    assert_eq!(m.headers().len(), 2);
}

#[test]
fn degenerate_limits() {
    let sample = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
    let zero_msg = Limits {
        max_message_bytes: 0,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Message::parse_with(sample.to_vec().into(), &zero_msg).unwrap_err(),
        ParseError::new(ParseErrorKind::MessageTooLarge { limit: 0 }, 0)
    );
    assert_eq!(
        Message::parse_with(Vec::new().into(), &zero_msg).unwrap_err(),
        ParseError::new(ParseErrorKind::Incomplete("CRLF"), 0)
    );
    let zero_headers = Limits {
        max_headers: 0,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Message::parse_with(sample.to_vec().into(), &zero_headers).unwrap_err(),
        ParseError::new(ParseErrorKind::TooManyHeaders { limit: 0 }, 25)
    );
    assert!(
        Message::parse_with(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"[..].into(), &zero_headers).is_ok()
    );
    let zero_line = Limits {
        max_line_bytes: 0,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Message::parse_with(sample.to_vec().into(), &zero_line).unwrap_err(),
        ParseError::new(ParseErrorKind::LineTooLong { limit: 0 }, 0)
    );
    // Limits beyond what a span can address are clamped, not trusted.
    let unbounded = Limits {
        max_message_bytes: usize::MAX,
        max_headers: usize::MAX,
        max_line_bytes: usize::MAX,
    };
    let m = Message::parse_with(sample.to_vec().into(), &unbounded).unwrap();
    assert_eq!(m.as_bytes(), sample);
    assert_eq!(frame(sample, &unbounded), Ok(Frame::Complete(sample.len())));
    let huge_cl = b"MESSAGE sip:a@b SIP/2.0\r\nl: 9999999999\r\n\r\n";
    assert_eq!(
        frame(huge_cl, &unbounded).unwrap_err().kind,
        ParseErrorKind::MessageTooLarge {
            limit: u32::MAX as usize
        }
    );
}

#[test]
fn escaped_nul_survives_edit_and_reply() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nFrom: \"x\\\0y\" <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nl: 0\r\n\r\n";
    let m = parse(text).unwrap();
    let mut ed = Editor::new(&m);
    ed.insert_top(n("Via"), v("SIP/2.0/TCP h;branch=z9hG4bK1"))
        .unwrap();
    let out = ed.finish().unwrap();
    let again = Message::parse(out).unwrap();
    assert_eq!(
        again.value_bytes(again.first(HeaderName::From).unwrap()),
        b"\"x\\\0y\" <sip:a@b>;tag=1"
    );
    let reply = Builder::response_to(&m, 200, &v("OK"), Some(&n("t")))
        .unwrap()
        .finish();
    let reply = Message::parse(reply).unwrap();
    assert_eq!(
        reply.value_bytes(reply.first(HeaderName::From).unwrap()),
        b"\"x\\\0y\" <sip:a@b>;tag=1"
    );
}
