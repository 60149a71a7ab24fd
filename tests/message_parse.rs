//! Parser behaviour of the message core: start lines, header indexing, body framing,
//! limits and error reporting, on hand-written inputs and the stored samples.

use sip_oauth::message::{HeaderName, Limits, Message, ParseError, ParseErrorKind, StartLine};

const REGISTER: &[u8] = include_bytes!("data/samples/register_from_wic.sip");
const OK: &[u8] = include_bytes!("data/samples/ok_from_scscf.sip");

fn parse(input: &[u8]) -> Result<Message, ParseError> {
    Message::parse(input.to_vec())
}

fn err(input: &[u8]) -> ParseError {
    match parse(input) {
        Ok(m) => panic!("expected an error, parsed {:?}", m.start_line()),
        Err(e) => {
            assert!(
                e.offset <= input.len(),
                "offset {} past input length {}",
                e.offset,
                input.len()
            );
            e
        }
    }
}

fn values(msg: &Message, name: HeaderName) -> Vec<&[u8]> {
    msg.find(name).map(|h| msg.value_bytes(h)).collect()
}

fn rfc4475_files() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc4475");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------- start lines

#[test]
fn request_start_line_pieces() {
    let msg = parse(REGISTER).unwrap();
    assert!(msg.is_request());
    assert_eq!(msg.method(), Some("REGISTER"));
    assert_eq!(
        msg.request_uri(),
        Some("sip:ims.mnc001.mcc001.3gppnetwork.org")
    );
    assert_eq!(msg.status(), None);
    assert_eq!(msg.reason(), None);
    let StartLine::Request { method, uri } = msg.start_line() else {
        panic!("not a request");
    };
    assert_eq!(msg.slice(method), b"REGISTER");
    assert_eq!(msg.slice(uri), b"sip:ims.mnc001.mcc001.3gppnetwork.org");
    let line_end = REGISTER.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    assert_eq!(msg.start_line_span().range(), 0..line_end);
    assert_eq!(msg.headers().len(), 13);
    assert_eq!(msg.content_length(), Some(0));
    assert_eq!(msg.body(), b"");
}

#[test]
fn response_start_line_pieces() {
    let msg = parse(OK).unwrap();
    assert!(!msg.is_request());
    assert_eq!(msg.status(), Some(200));
    assert_eq!(msg.reason(), Some(&b"OK"[..]));
    assert_eq!(msg.method(), None);
    assert_eq!(msg.request_uri(), None);
    assert_eq!(values(&msg, HeaderName::Via).len(), 2);
    assert_eq!(
        values(&msg, HeaderName::PAssociatedUri),
        vec![&b"<sip:bob@ims.mnc001.mcc001.3gppnetwork.org>, <tel:+15550100123>"[..]]
    );
}

#[test]
fn response_reason_phrases() {
    let m = parse(b"SIP/2.0 180 Ringing here\r\nl: 0\r\n\r\n").unwrap();
    assert_eq!(m.reason(), Some(&b"Ringing here"[..]));
    // An empty reason with and without the separating SP.
    let m = parse(b"SIP/2.0 404 \r\nl: 0\r\n\r\n").unwrap();
    assert_eq!((m.status(), m.reason()), (Some(404), Some(&b""[..])));
    let m = parse(b"SIP/2.0 404\r\nl: 0\r\n\r\n").unwrap();
    assert_eq!((m.status(), m.reason()), (Some(404), Some(&b""[..])));
    // UTF-8 in the reason phrase is allowed.
    let m = parse("SIP/2.0 200 Très bien\r\nl: 0\r\n\r\n".as_bytes()).unwrap();
    assert_eq!(m.reason(), Some("Très bien".as_bytes()));
    // The version is case-insensitive.
    let m = parse(b"sip/2.0 100 Trying\r\nl: 0\r\n\r\n").unwrap();
    assert_eq!(m.status(), Some(100));
    let m = parse(b"OPTIONS sip:a@b sip/2.0\r\nl: 0\r\n\r\n").unwrap();
    assert_eq!(m.method(), Some("OPTIONS"));
}

#[test]
fn status_code_bounds() {
    for code in [100u16, 199, 200, 486, 699] {
        let text = format!("SIP/2.0 {code} X\r\nl: 0\r\n\r\n");
        assert_eq!(parse(text.as_bytes()).unwrap().status(), Some(code));
    }
    for code in [
        "099", "000", "700", "999", "1000", "2000", "20", "2", "", "20x", "-20",
    ] {
        let text = format!("SIP/2.0 {code} X\r\nl: 0\r\n\r\n");
        let e = err(text.as_bytes());
        assert_eq!(e.kind, ParseErrorKind::InvalidStatusCode, "{code:?}");
        assert_eq!(e.offset, 8, "{code:?}");
    }
    // Three digits followed by something other than SP.
    let e = err(b"SIP/2.0 200OK\r\nl: 0\r\n\r\n");
    assert_eq!(e, ParseError::expected("SP after Status-Code", 11));
}

#[test]
fn unsupported_versions() {
    for (text, offset) in [
        (&b"SIP/7.0 200 OK\r\nl: 0\r\n\r\n"[..], 0),
        (b"SIP/2.1 200 OK\r\nl: 0\r\n\r\n", 0),
        (b"SIP/1.0 200 OK\r\nl: 0\r\n\r\n", 0),
        (b"INVITE sip:a@b SIP/7.0\r\nl: 0\r\n\r\n", 15),
        (b"INVITE sip:a@b SIP/20.0\r\nl: 0\r\n\r\n", 15),
        (b"INVITE sip:a@b SIP/2.00\r\nl: 0\r\n\r\n", 15),
        (b"SIP/2.01 200 OK\r\nl: 0\r\n\r\n", 0),
    ] {
        let e = err(text);
        assert_eq!(e.kind, ParseErrorKind::UnsupportedVersion);
        assert_eq!(e.offset, offset);
    }
    let e = err(b"INVITE sip:a@b HTTP/1.1\r\nl: 0\r\n\r\n");
    assert_eq!(e, ParseError::expected("SIP-Version", 15));
}

#[test]
fn malformed_request_lines() {
    let cases: &[(&[u8], ParseError)] = &[
        (
            b"INVITE  sip:a@b SIP/2.0\r\n\r\n",
            ParseError::expected("Request-URI", 7),
        ),
        (
            b"INVITE sip:a@b  SIP/2.0\r\n\r\n",
            ParseError::expected("SIP-Version", 15),
        ),
        (
            b"INVITE sip:a@b SIP/2.0 \r\n\r\n",
            ParseError::new(ParseErrorKind::Trailing("SIP-Version"), 22),
        ),
        (
            b"INVITE sip:a@b\r\n\r\n",
            ParseError::expected("SP after Request-URI", 14),
        ),
        (
            b"INVITE <sip:a@b> SIP/2.0\r\n\r\n",
            ParseError::expected("absolute Request-URI starting with a scheme", 7),
        ),
        (
            b"INVITE a@b SIP/2.0\r\n\r\n",
            ParseError::expected("scheme ':' in Request-URI", 7),
        ),
        (
            b"INVITE sip:a\tb SIP/2.0\r\n\r\n",
            ParseError::new(ParseErrorKind::ForbiddenByte(b'\t'), 12),
        ),
        (
            b" INVITE sip:a@b SIP/2.0\r\n\r\n",
            ParseError::expected("method token", 0),
        ),
        (
            b"INV@TE sip:a@b SIP/2.0\r\n\r\n",
            ParseError::expected("SP after method", 3),
        ),
        (b"\r\n\r\n", ParseError::expected("method token", 0)),
    ];
    for (input, want) in cases {
        assert_eq!(&err(input), want, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn extension_methods_are_tokens() {
    let m = parse(b"!interesting-Method0123456789_*+`.%indeed'~ sip:a@b SIP/2.0\r\n\r\n").unwrap();
    assert_eq!(
        m.method(),
        Some("!interesting-Method0123456789_*+`.%indeed'~")
    );
    assert_eq!(m.headers().len(), 0);
    assert_eq!(m.head_end(), m.start_line_span().end as usize);
}

// ---------------------------------------------------------------- header names

const COMPACT: &[(&str, HeaderName, &str)] = &[
    ("v", HeaderName::Via, "Via"),
    ("f", HeaderName::From, "From"),
    ("t", HeaderName::To, "To"),
    ("i", HeaderName::CallId, "Call-ID"),
    ("m", HeaderName::Contact, "Contact"),
    ("l", HeaderName::ContentLength, "Content-Length"),
    ("c", HeaderName::ContentType, "Content-Type"),
    ("e", HeaderName::ContentEncoding, "Content-Encoding"),
    ("s", HeaderName::Subject, "Subject"),
    ("k", HeaderName::Supported, "Supported"),
    ("a", HeaderName::AcceptContact, "Accept-Contact"),
    ("b", HeaderName::ReferredBy, "Referred-By"),
    ("d", HeaderName::RequestDisposition, "Request-Disposition"),
    ("j", HeaderName::RejectContact, "Reject-Contact"),
    ("n", HeaderName::IdentityInfo, "Identity-Info"),
    ("o", HeaderName::Event, "Event"),
    ("r", HeaderName::ReferTo, "Refer-To"),
    ("u", HeaderName::AllowEvents, "Allow-Events"),
    ("x", HeaderName::SessionExpires, "Session-Expires"),
    ("y", HeaderName::Identity, "Identity"),
];

#[test]
fn every_compact_form_in_a_message() {
    for (short, name, long) in COMPACT {
        assert_eq!(name.compact(), short.chars().next(), "{long}");
        assert_eq!(name.canonical(), Some(*long));
        for spelling in [
            short.to_string(),
            short.to_ascii_uppercase(),
            long.to_string(),
            long.to_ascii_lowercase(),
            long.to_ascii_uppercase(),
        ] {
            let value = if *name == HeaderName::ContentLength {
                "0".to_string()
            } else {
                format!("value-{short}")
            };
            let text = format!("OPTIONS sip:a@b SIP/2.0\r\n{spelling}: {value}\r\n\r\n");
            let m = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{spelling}: {e}"));
            let h = m.header(0).unwrap();
            assert_eq!(h.name, *name, "{spelling}");
            assert_eq!(m.name_bytes(h), spelling.as_bytes());
            assert_eq!(m.value_str(h).unwrap(), value);
            assert_eq!(m.find_named(long).count(), 1, "{spelling}");
            assert_eq!(m.find_named(short).count(), 1, "{spelling}");
            assert_eq!(m.first(*name), Some(h));
        }
    }
    // Letters without a compact form are extension headers.
    for short in ["g", "h", "p", "q", "w", "z"] {
        let text = format!("OPTIONS sip:a@b SIP/2.0\r\n{short}: x\r\n\r\n");
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(m.header(0).unwrap().name, HeaderName::Other, "{short}");
    }
}

#[test]
fn compact_content_length_frames_the_body() {
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello, world").unwrap();
    assert_eq!(m.body(), b"hello");
    assert_eq!(m.content_length(), Some(5));
}

#[test]
fn names_are_case_insensitive_and_hcolon_allows_whitespace() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nvIa : SIP/2.0/UDP h\r\nCALL-id\t:\tx1\r\ncseq:1 OPTIONS\r\nconTENT-length   :   0\r\n\r\n";
    let m = parse(text).unwrap();
    assert_eq!(values(&m, HeaderName::Via), vec![&b"SIP/2.0/UDP h"[..]]);
    assert_eq!(values(&m, HeaderName::CallId), vec![&b"x1"[..]]);
    assert_eq!(values(&m, HeaderName::CSeq), vec![&b"1 OPTIONS"[..]]);
    assert_eq!(m.content_length(), Some(0));
    assert_eq!(m.name_bytes(m.header(0).unwrap()), b"vIa");
    assert_eq!(m.name_bytes(m.header(1).unwrap()), b"CALL-id");
}

#[test]
fn unknown_headers_verbatim_order_and_duplicates() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nX-One: 1\r\nVia: a\r\nx-one: 2;p=\"q\"\r\nVia: b\r\nP-Weird.Name!%*_+`'~: anything goes \xc3\xa9 here\r\nv: c\r\nX-Empty:\r\n\r\n";
    let m = parse(text).unwrap();
    let names: Vec<&[u8]> = m.headers().iter().map(|h| m.name_bytes(h)).collect();
    assert_eq!(
        names,
        vec![
            &b"X-One"[..],
            b"Via",
            b"x-one",
            b"Via",
            b"P-Weird.Name!%*_+`'~",
            b"v",
            b"X-Empty"
        ]
    );
    assert_eq!(
        values(&m, HeaderName::Via),
        vec![&b"a"[..], &b"b"[..], &b"c"[..]]
    );
    assert_eq!(
        m.positions(HeaderName::Via).collect::<Vec<_>>(),
        vec![1, 3, 5]
    );
    let xs: Vec<&[u8]> = m.find_named("X-ONE").map(|h| m.value_bytes(h)).collect();
    assert_eq!(xs, vec![&b"1"[..], b"2;p=\"q\""]);
    let weird = m.find_named("p-weird.name!%*_+`'~").next().unwrap();
    assert_eq!(m.value_str(weird).unwrap(), "anything goes é here");
    let empty = m.find_named("x-empty").next().unwrap();
    assert_eq!(m.value_bytes(empty), b"");
    assert!(m.value_span_is_inside(empty));
    assert!(m.single(HeaderName::Via).is_err());
    assert_eq!(
        m.single(HeaderName::Via).unwrap_err(),
        ParseError::new(ParseErrorKind::Duplicate("Via"), 59)
    );
    assert_eq!(m.single(HeaderName::CallId), Ok(None));
    assert_eq!(
        m.required_str(HeaderName::CallId).unwrap_err().kind,
        ParseErrorKind::Missing("Call-ID")
    );
    assert_eq!(m.as_bytes(), &text[..]);
}

/// Extension for the test above: the value span of an empty value is a position inside
/// its line.
trait SpanCheck {
    fn value_span_is_inside(&self, h: &sip_oauth::message::HeaderField) -> bool;
}

impl SpanCheck for Message {
    fn value_span_is_inside(&self, h: &sip_oauth::message::HeaderField) -> bool {
        h.line_span.start <= h.value_span.start
            && h.value_span.end <= h.line_span.end
            && h.name_span.end <= h.value_span.start
    }
}

#[test]
fn value_str_reports_invalid_utf8_at_its_offset() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nX: ab\xffcd\r\n\r\n";
    let m = parse(text).unwrap();
    let h = m.header(0).unwrap();
    assert_eq!(m.value_bytes(h), b"ab\xffcd");
    let e = m.value_str(h).unwrap_err();
    assert_eq!(e, ParseError::new(ParseErrorKind::InvalidUtf8, 30));
    assert_eq!(text[e.offset], 0xff);
}

#[test]
fn text_values_read_the_same_whether_or_not_the_whole_head_is_utf8() {
    // One bad byte in one field: the other fields still read as text, each the same as
    // in a message without it, and the bad one reports its own offset every time.
    let bad = b"OPTIONS sip:a@b SIP/2.0\r\nX: ab\xffcd\r\nY: caf\xc3\xa9\r\n\r\n";
    let good = b"OPTIONS sip:a@b SIP/2.0\r\nX: abzcd\r\nY: caf\xc3\xa9\r\n\r\n";
    let (b, g) = (parse(bad).unwrap(), parse(good).unwrap());
    for _ in 0..2 {
        assert_eq!(b.value_str(b.header(1).unwrap()), Ok("café"));
        assert_eq!(g.value_str(g.header(1).unwrap()), Ok("café"));
        assert_eq!(g.value_str(g.header(0).unwrap()), Ok("abzcd"));
        let e = b.value_str(b.header(0).unwrap()).unwrap_err();
        assert_eq!(e, ParseError::new(ParseErrorKind::InvalidUtf8, 30));
        assert_eq!(b.method(), Some("OPTIONS"));
        assert_eq!(b.request_uri(), Some("sip:a@b"));
    }
    // Equal bytes are equal messages, whichever has read its text.
    let again = parse(good).unwrap();
    assert_eq!(g, again);
}

#[test]
fn required_str_returns_value_and_offset() {
    let m = parse(REGISTER).unwrap();
    let (v, at) = m.required_str(HeaderName::CallId).unwrap();
    assert_eq!(v, "3mq0v1ccpo3db3lr8v9tqk");
    assert_eq!(&REGISTER[at..at + v.len()], v.as_bytes());
}

// ---------------------------------------------------------------- LWS and folding

#[test]
fn folded_values_keep_their_folds() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: first\r\n  second\r\n\tthird\r\nX:   \r\n  late start  \r\nl: 0\r\n\r\n";
    let m = parse(text).unwrap();
    let subj = m.first(HeaderName::Subject).unwrap();
    assert_eq!(m.value_bytes(subj), b"first\r\n  second\r\n\tthird");
    assert_eq!(
        m.slice(subj.line_span),
        b"Subject: first\r\n  second\r\n\tthird\r\n"
    );
    // Leading whitespace and folds before the value are trimmed; so is trailing space.
    let x = m.find_named("X").next().unwrap();
    assert_eq!(m.value_bytes(x), b"late start");
    assert_eq!(m.headers().len(), 3);
    assert_eq!(m.as_bytes(), &text[..]);
}

#[test]
fn a_continuation_line_cannot_start_the_header_section() {
    let e = err(b"OPTIONS sip:a@b SIP/2.0\r\n  X: 1\r\n\r\n");
    assert_eq!(
        e,
        ParseError::expected("header name (not a continuation)", 25)
    );
}

#[test]
fn malformed_header_lines() {
    let e = err(b"OPTIONS sip:a@b SIP/2.0\r\nNo colon here\r\n\r\n");
    assert_eq!(e, ParseError::expected("':' after header name", 28));
    let e = err(b"OPTIONS sip:a@b SIP/2.0\r\n: empty name\r\n\r\n");
    assert_eq!(e, ParseError::new(ParseErrorKind::InvalidHeaderName, 25));
    let e = err(b"OPTIONS sip:a@b SIP/2.0\r\nX(y): 1\r\n\r\n");
    assert_eq!(e, ParseError::expected("':' after header name", 26));
    let e = err("OPTIONS sip:a@b SIP/2.0\r\nNämé: 1\r\n\r\n".as_bytes());
    assert_eq!(e, ParseError::expected("':' after header name", 26));
}

// ---------------------------------------------------------------- body framing

#[test]
fn body_without_content_length_is_the_rest_of_the_datagram() {
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\n\r\nthe body\r\n\r\nand more").unwrap();
    assert_eq!(m.content_length(), None);
    assert_eq!(m.body(), b"the body\r\n\r\nand more");
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\n\r\n").unwrap();
    assert_eq!(m.body(), b"");
}

#[test]
fn bytes_past_content_length_are_not_part_of_the_message() {
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nbodyTRAILING";
    let m = parse(text).unwrap();
    assert_eq!(m.body(), b"body");
    assert_eq!(m.as_bytes(), &text[..text.len() - 8]);
    assert_eq!(m.body_span().range(), 46..50);
}

#[test]
fn body_shorter_than_content_length_is_truncated() {
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort";
    let e = err(text);
    assert_eq!(
        e,
        ParseError::new(
            ParseErrorKind::BodyTruncated {
                declared: 10,
                available: 5
            },
            text.len()
        )
    );
}

#[test]
fn repeated_content_length() {
    // Equal repeats are harmless.
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\nContent-Length: 02\r\n\r\nhi").unwrap();
    assert_eq!(m.body(), b"hi");
    assert_eq!(m.find(HeaderName::ContentLength).count(), 2);
    // Different values cannot frame the body.
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\nContent-Length: 3\r\n\r\nhi!";
    let e = err(text);
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::ConflictingContentLength, 31)
    );
}

#[test]
fn invalid_content_length_values() {
    for v in [
        "-1",
        "+1",
        "1.0",
        "0x10",
        "abc",
        "",
        "1 2",
        "99999999999",
        "18446744073709551616",
        "１",
    ] {
        let text = format!("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: {v}\r\n\r\n");
        let e = err(text.as_bytes());
        assert_eq!(e.kind, ParseErrorKind::InvalidContentLength, "{v:?}");
        assert_eq!(e.offset, 41, "{v:?}");
    }
    // Large but well-formed: more than the datagram holds.
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 4294967296\r\n\r\nx";
    assert_eq!(
        err(text).kind,
        ParseErrorKind::BodyTruncated {
            declared: 4_294_967_296,
            available: 1
        }
    );
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9999999999\r\n\r\n";
    assert!(matches!(
        err(text).kind,
        ParseErrorKind::BodyTruncated { available: 0, .. }
    ));
    // Leading zeros are digits like any other.
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 0000000003\r\n\r\nabc").unwrap();
    assert_eq!(m.content_length(), Some(3));
}

// ---------------------------------------------------------------- forbidden bytes

fn register_lines() -> Vec<(usize, usize)> {
    // (start, end-of-content) of every line of the sample REGISTER.
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(p) = REGISTER[at..].windows(2).position(|w| w == b"\r\n") {
        out.push((at, at + p));
        at += p + 2;
    }
    out
}

#[test]
fn bare_cr_bare_lf_and_nul_are_rejected_everywhere() {
    // Replace each byte of the sample's head (and each CRLF pair) in turn.
    let head_end = REGISTER.len();
    for pos in 0..head_end {
        for (bad, what) in [(&b"\r"[..], "CR"), (b"\n", "LF"), (b"\0", "NUL")] {
            let mut text = REGISTER[..pos].to_vec();
            text.extend_from_slice(bad);
            // Insert rather than overwrite so the byte lands both inside and between
            // elements; and overwrite too so a CRLF can be split.
            text.extend_from_slice(&REGISTER[pos..]);
            check_rejected(&text, pos, what);
            let mut text = REGISTER.to_vec();
            if text[pos] == bad[0] {
                continue;
            }
            text[pos] = bad[0];
            check_rejected(&text, pos, what);
        }
    }
}

fn check_rejected(text: &[u8], pos: usize, what: &str) {
    match Message::parse(text.to_vec()) {
        // An LF after the final CRLF CR completes the empty line; the original LF is
        // then past Content-Length and not part of the message, which is unchanged.
        Ok(m) if m.as_bytes() == REGISTER => {}
        Ok(m) => {
            panic!(
                "{what} at {pos} accepted: {:?}",
                String::from_utf8_lossy(m.as_bytes())
            );
        }
        Err(e) => assert!(e.offset <= text.len(), "{what} at {pos}: {e}"),
    }
}

#[test]
fn forbidden_byte_kinds_and_offsets() {
    let base = b"OPTIONS sip:a@b SIP/2.0\r\nX: ab\r\n\r\n";
    // NUL inside a header value.
    let mut t = base.to_vec();
    t[29] = 0;
    assert_eq!(
        err(&t),
        ParseError::new(ParseErrorKind::ForbiddenByte(0), 29)
    );
    // Bare LF inside a header value.
    t[29] = b'\n';
    assert_eq!(
        err(&t),
        ParseError::new(ParseErrorKind::ForbiddenByte(b'\n'), 29)
    );
    // Bare CR inside a header value.
    t[29] = b'\r';
    assert_eq!(
        err(&t),
        ParseError::new(ParseErrorKind::ForbiddenByte(b'\r'), 29)
    );
    // LF-only line ends.
    let e = err(b"OPTIONS sip:a@b SIP/2.0\nX: 1\n\n");
    assert_eq!(e, ParseError::new(ParseErrorKind::ForbiddenByte(b'\n'), 23));
    // Bare CR at the end of the header section.
    let e = err(b"OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\n\rX");
    assert_eq!(e, ParseError::new(ParseErrorKind::ForbiddenByte(b'\r'), 31));
    // NUL in the start line.
    let e = err(b"OPTIONS sip:a\0b SIP/2.0\r\n\r\n");
    assert_eq!(e, ParseError::new(ParseErrorKind::ForbiddenByte(0), 13));
    // Other controls in the Request-URI and reason phrase.
    let e = err(b"OPTIONS sip:a\x01b SIP/2.0\r\n\r\n");
    assert_eq!(e, ParseError::new(ParseErrorKind::ForbiddenByte(1), 13));
    let e = err(b"SIP/2.0 200 O\x7fK\r\n\r\n");
    assert_eq!(e, ParseError::new(ParseErrorKind::ForbiddenByte(0x7f), 13));
}

#[test]
fn nul_escaped_as_quoted_pair_is_allowed_in_a_header_value() {
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nFrom: \"a\\\0b\" <sip:a@b>;tag=1\r\nl: 0\r\n\r\n";
    let m = parse(text).unwrap();
    assert_eq!(
        values(&m, HeaderName::From),
        vec![&b"\"a\\\0b\" <sip:a@b>;tag=1"[..]]
    );
    assert_eq!(m.as_bytes(), &text[..]);
    // Inside a comment, across a fold, and several in one value.
    for value in [
        &b"SIP.js (build\\\0 1)"[..],
        b"\"a\r\n \\\0b\" <sip:a@b>",
        b"\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:a@b>;x=\"\\\0\\\0\"",
    ] {
        let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
        text.extend_from_slice(value);
        text.extend_from_slice(b"\r\n\r\n");
        let m = parse(&text).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(m.value_bytes(m.header(0).unwrap()), value);
    }
    // Not a quoted-pair: an escaped backslash before the NUL, a backslash outside
    // quotes and comments, a NUL after the closing quote.
    for value in [
        &b"\"a\\\\\0\""[..],
        b"a\\\0",
        b"\"a\"\\\0",
        b"<sip:a\\\0@b>",
        b"(c) \\\0",
    ] {
        let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
        text.extend_from_slice(value);
        text.extend_from_slice(b"\r\n\r\n");
        let nul = text.iter().position(|&b| b == 0).unwrap();
        assert_eq!(
            err(&text),
            ParseError::new(ParseErrorKind::ForbiddenByte(0), nul),
            "{value:?}"
        );
    }
    // Same position without the backslash: rejected.
    let text = b"OPTIONS sip:a@b SIP/2.0\r\nFrom: \"a\0b\" <sip:a@b>;tag=1\r\nl: 0\r\n\r\n";
    assert_eq!(
        err(text),
        ParseError::new(ParseErrorKind::ForbiddenByte(0), 33)
    );
}

#[test]
fn nul_in_every_line_of_the_sample_is_rejected_unless_escaped() {
    for (start, end) in register_lines() {
        for pos in [start, (start + end) / 2, end] {
            let mut t = REGISTER[..pos].to_vec();
            t.push(0);
            t.extend_from_slice(&REGISTER[pos..]);
            let e = err(&t);
            assert_eq!(e.kind, ParseErrorKind::ForbiddenByte(0), "NUL at {pos}");
            assert_eq!(e.offset, pos);
        }
    }
}

// ---------------------------------------------------------------- truncation

#[test]
fn truncation_at_every_offset_is_incomplete() {
    for cut in 0..REGISTER.len() {
        let e = err(&REGISTER[..cut]);
        assert!(
            matches!(e.kind, ParseErrorKind::Incomplete(_)),
            "cut at {cut}: {e}"
        );
        assert_eq!(e.offset, cut, "cut at {cut}");
    }
    assert!(parse(REGISTER).is_ok());
}

#[test]
fn truncation_inside_a_body_is_body_truncated() {
    let text = b"MESSAGE sip:a@b SIP/2.0\r\nl: 10\r\n\r\n0123456789";
    let body_start = text.len() - 10;
    for cut in body_start..text.len() {
        assert_eq!(
            err(&text[..cut]).kind,
            ParseErrorKind::BodyTruncated {
                declared: 10,
                available: cut - body_start
            }
        );
    }
    for cut in 0..body_start {
        let e = err(&text[..cut]);
        assert!(
            matches!(e.kind, ParseErrorKind::Incomplete(_)),
            "{cut}: {e}"
        );
    }
}

// ---------------------------------------------------------------- limits

#[test]
fn message_size_limit() {
    let limits = Limits {
        max_message_bytes: 100,
        ..Limits::DEFAULT
    };
    let mut text = b"MESSAGE sip:a@b SIP/2.0\r\n\r\n".to_vec();
    text.resize(100, b'x');
    assert!(Message::parse_with(text.clone().into(), &limits).is_ok());
    text.push(b'x');
    let e = Message::parse_with(text.clone().into(), &limits).unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::MessageTooLarge { limit: 100 }, 100)
    );
    // The default limit: 64 KiB.
    let mut text = b"MESSAGE sip:a@b SIP/2.0\r\n\r\n".to_vec();
    text.resize(64 * 1024 + 1, b'x');
    assert_eq!(
        err(&text).kind,
        ParseErrorKind::MessageTooLarge { limit: 65536 }
    );
}

#[test]
fn header_count_limit() {
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    let mut starts = Vec::new();
    for i in 0..5000 {
        starts.push(text.len());
        text.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
    }
    text.extend_from_slice(b"\r\n");
    let e = Message::parse_with(
        text.clone().into(),
        &Limits {
            max_message_bytes: 1 << 20,
            ..Limits::DEFAULT
        },
    )
    .unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::TooManyHeaders { limit: 256 }, starts[256])
    );
    // Exactly at the limit is fine.
    let limits = Limits {
        max_message_bytes: 1 << 20,
        max_headers: 5000,
        ..Limits::DEFAULT
    };
    let m = Message::parse_with(text.into(), &limits).unwrap();
    assert_eq!(m.headers().len(), 5000);
    assert_eq!(m.value_bytes(m.header(4999).unwrap()), b"4999");
}

#[test]
fn line_length_limit() {
    // A 1 MiB header line: over the line limit and the message limit.
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
    text.resize(text.len() + (1 << 20), b'a');
    text.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        err(&text).kind,
        ParseErrorKind::MessageTooLarge { limit: 65536 }
    );
    let big = Limits {
        max_message_bytes: 4 << 20,
        ..Limits::DEFAULT
    };
    let e = Message::parse_with(text.clone().into(), &big).unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, 25)
    );
    // Without its CRLF the line is still too long, not merely incomplete.
    let cut = &text[..text.len() - 4];
    let e = Message::parse_with(cut.to_vec().into(), &big).unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, 25)
    );
    // Folded lines count as one line.
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: a".to_vec();
    for _ in 0..2000 {
        text.extend_from_slice(b"\r\n bcd");
    }
    text.extend_from_slice(b"\r\n\r\n");
    let e = Message::parse_with(text.into(), &big).unwrap_err();
    assert_eq!(
        e,
        ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, 25)
    );
    // A long start line.
    let mut text = b"OPTIONS sip:".to_vec();
    text.resize(9000, b'a');
    text.extend_from_slice(b" SIP/2.0\r\n\r\n");
    assert_eq!(
        err(&text),
        ParseError::new(ParseErrorKind::LineTooLong { limit: 8192 }, 0)
    );
    // Exactly at the limit is fine.
    let mut text = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
    text.resize(25 + 8192, b'a');
    text.extend_from_slice(b"\r\n\r\n");
    assert!(parse(&text).is_ok());
}

// ---------------------------------------------------------------- round trips

#[test]
fn samples_round_trip_byte_for_byte() {
    for sample in [REGISTER, OK] {
        let m = parse(sample).unwrap();
        assert_eq!(m.as_bytes(), sample);
        // Every header line, start line and the body tile the message exactly.
        let mut at = m.start_line_span().end as usize;
        for h in m.headers() {
            assert_eq!(h.line_span.start as usize, at);
            at = h.line_span.end as usize;
        }
        assert_eq!(at, m.head_end());
        assert_eq!(&sample[at..at + 2], b"\r\n");
        assert_eq!(m.body_span().end as usize, sample.len());
    }
}

#[test]
fn rfc4475_messages_that_parse_round_trip() {
    let files = rfc4475_files();
    assert_eq!(files.len(), 49);
    let mut parsed = 0;
    for (name, data) in &files {
        match Message::parse(data.clone()) {
            Ok(m) => {
                parsed += 1;
                // A datagram holds exactly one message; Content-Length may cut it short.
                assert!(data.starts_with(m.as_bytes()), "{name}");
                let framed = m.as_bytes().len();
                if m.content_length().is_none() {
                    assert_eq!(framed, data.len(), "{name}");
                }
                // Re-parsing the framed bytes gives the same message.
                let again = Message::parse(m.bytes().clone()).unwrap();
                assert_eq!(again, m, "{name}");
                for h in m.headers() {
                    let _ = m.value_str(h);
                    assert!(h.line_span.end as usize <= m.head_end(), "{name}");
                }
            }
            Err(e) => assert!(e.offset <= data.len(), "{name}: {e}"),
        }
    }
    // Most of the torture messages are well framed at this layer; the others break
    // start-line or Content-Length rules, or lack the empty line (baddn.dat).
    assert!(parsed >= 39, "only {parsed} parsed");
}

#[test]
fn every_error_offset_is_within_the_input() {
    let mut inputs: Vec<Vec<u8>> = rfc4475_files().into_iter().map(|(_, d)| d).collect();
    inputs.push(REGISTER.to_vec());
    inputs.push(OK.to_vec());
    for data in inputs {
        for cut in (0..data.len()).step_by(7) {
            if let Err(e) = Message::parse(data[..cut].to_vec()) {
                assert!(e.offset <= cut, "{e} for a {cut}-byte input");
            }
        }
    }
}
