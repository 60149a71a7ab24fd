//! The Editor (splicing edits into a parsed message) and the Builder (new requests and
//! responses): exact output, re-parsing, and refusal of anything that could inject a
//! line or reframe the body.

use sip_oauth::message::{
    Builder, Editor, HeaderName, HeaderValue, Message, Span, StartLine, Token, WriteError,
};

const REGISTER: &[u8] = include_bytes!("data/samples/register_from_wic.sip");
const OK: &[u8] = include_bytes!("data/samples/ok_from_scscf.sip");

const SMALL: &[u8] =
    b"OPTIONS sip:a@b SIP/2.0\r\nVia: v1\r\nX-A: 1\r\nAllow: A, B,\r\n C\r\nContent-Length: 0\r\n\r\n";

fn n(s: &str) -> Token {
    Token::try_from(s).unwrap()
}

fn v(s: &str) -> HeaderValue {
    HeaderValue::try_from(s).unwrap()
}

fn parse(b: &[u8]) -> Message {
    Message::parse(b.to_vec()).unwrap()
}

fn names(m: &Message) -> Vec<String> {
    m.headers()
        .iter()
        .map(|h| String::from_utf8_lossy(m.name_bytes(h)).into_owned())
        .collect()
}

fn finish(ed: Editor<'_>) -> Vec<u8> {
    let out = ed.finish().unwrap();
    // Every edited result must parse again, and frame as a whole.
    let m = Message::parse(out.clone()).unwrap();
    assert_eq!(m.as_bytes(), &out[..]);
    out.to_vec()
}

fn s(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

// ---------------------------------------------------------------- editor

#[test]
fn no_edit_is_identity() {
    for sample in [REGISTER, OK, SMALL] {
        let m = parse(sample);
        assert_eq!(finish(Editor::new(&m)), sample);
    }
}

#[test]
fn insert_top_after_before_append() {
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    ed.insert_top(n("Via"), v("top")).unwrap();
    ed.insert_after(1, n("X-After"), v("a")).unwrap();
    ed.insert_before(1, n("X-Before"), v("b")).unwrap();
    ed.append(n("X-End"), v("e")).unwrap();
    // Two insertions at one place keep their order.
    ed.insert_top(n("Via"), v("top2")).unwrap();
    let out = finish(ed);
    assert_eq!(
        s(&out),
        "OPTIONS sip:a@b SIP/2.0\r\nVia: top\r\nVia: top2\r\nVia: v1\r\nX-Before: b\r\nX-A: 1\r\n\
         X-After: a\r\nAllow: A, B,\r\n C\r\nContent-Length: 0\r\nX-End: e\r\n\r\n"
    );
    let r = parse(&out);
    let vias: Vec<&[u8]> = r.find(HeaderName::Via).map(|h| r.value_bytes(h)).collect();
    assert_eq!(vias, vec![&b"top"[..], b"top2", b"v1"]);
}

#[test]
fn values_built_in_the_editor_equal_values_given_to_it() {
    // Each `*_with` writer against its plain twin, on the same edits: the same bytes.
    let m = parse(SMALL);
    let via = m.header(0).unwrap();
    let mut given = Editor::new(&m);
    given
        .insert_top(n("Via"), v("top;branch=z9hG4bK1"))
        .unwrap();
    given.insert_before(1, n("X-Before"), v("70")).unwrap();
    given.append(n("X-End"), v("e")).unwrap();
    given
        .insert_text(via.value_span.end as usize, v(";rport=5060"))
        .unwrap();
    let mut built = Editor::new(&m);
    built
        .insert_top_with(n("Via"), |b| {
            b.push(&v("top;branch="));
            // What a builder lent by the editor holds is its own value only: clearing it
            // leaves the edits before it alone.
            assert_eq!(b.as_str(), "top;branch=");
            b.clear();
            b.push(&v("top;branch=z9hG4bK1"));
        })
        .unwrap();
    built
        .insert_before_with(1, n("X-Before"), |b| {
            b.push_decimal(70u32);
        })
        .unwrap();
    built
        .append_with(n("X-End"), |b| {
            b.push(&v("e"));
            assert_eq!(b.to_value().as_str(), "e");
        })
        .unwrap();
    built
        .insert_text_with(via.value_span.end as usize, |b| {
            b.push(&v(";rport=")).push_decimal(5060u16);
        })
        .unwrap();
    assert_eq!(finish(built), finish(given));
    // The raw-text writers check their span as the plain ones do.
    let mut ed = Editor::new(&m);
    assert!(ed.replace_span_with(via.name_span, |_| {}).is_err());
    assert!(ed.insert_text_with(usize::MAX, |_| {}).is_err());
    assert!(ed.insert_before_with(99, n("X"), |_| {}).is_err());
    assert!(
        ed.append_with(HeaderName::ContentLength, |b| {
            b.push_decimal(3u32);
        })
        .is_err()
    );
}

#[test]
fn insert_into_a_message_without_headers() {
    let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n");
    let mut ed = Editor::new(&m);
    ed.append(n("B"), v("2")).unwrap();
    ed.insert_top(n("A"), v("1")).unwrap();
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nA: 1\r\nB: 2\r\n\r\n"
    );
    // After the last field and appended: the appended field stays last.
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    ed.append(n("E"), v("1")).unwrap();
    ed.insert_after(3, n("F"), v("2")).unwrap();
    ed.insert_before(0, n("G"), v("3")).unwrap();
    ed.insert_top(n("H"), v("4")).unwrap();
    let r = parse(&finish(ed));
    assert_eq!(
        names(&r),
        ["H", "G", "Via", "X-A", "Allow", "Content-Length", "F", "E"]
    );
}

#[test]
fn remove_and_replace_value() {
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    ed.remove(1).unwrap();
    ed.replace_value(2, v("folded no more")).unwrap();
    ed.replace_value(0, v("v2;branch=z9hG4bK2")).unwrap();
    let out = finish(ed);
    assert_eq!(
        s(&out),
        "OPTIONS sip:a@b SIP/2.0\r\nVia: v2;branch=z9hG4bK2\r\nAllow: folded no more\r\n\
         Content-Length: 0\r\n\r\n"
    );
    // Removing every field.
    let mut ed = Editor::new(&m);
    for i in 0..m.headers().len() {
        ed.remove(i).unwrap();
    }
    assert_eq!(s(&finish(ed)), "OPTIONS sip:a@b SIP/2.0\r\n\r\n");
    // An index past the end.
    let mut ed = Editor::new(&m);
    assert!(matches!(ed.remove(4), Err(WriteError::Invalid { .. })));
    assert!(matches!(
        ed.replace_value(99, v("x")),
        Err(WriteError::Invalid { .. })
    ));
    assert!(ed.insert_after(4, n("X"), v("1")).is_err());
    assert!(ed.insert_before(4, n("X"), v("1")).is_err());
}

#[test]
fn replace_value_keeps_the_name_as_written() {
    let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nv  :  SIP/2.0/UDP x  \r\n\r\n");
    let mut ed = Editor::new(&m);
    ed.replace_value(0, v("SIP/2.0/TCP y")).unwrap();
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nv  :  SIP/2.0/TCP y  \r\n\r\n"
    );
}

/// The byte range of `item` in the value of field `index`.
fn item(m: &Message, index: usize, item: &str) -> std::ops::Range<usize> {
    let v = m.value_bytes(m.header(index).unwrap());
    let at = v
        .windows(item.len())
        .position(|w| w == item.as_bytes())
        .unwrap();
    at..at + item.len()
}

#[test]
fn remove_list_items() {
    let text =
        b"OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE, ACK ,BYE,\r\n  CANCEL\r\nX: only\r\n\r\n";
    let m = parse(text);
    let cases = [
        ("INVITE", "ACK ,BYE,\r\n  CANCEL"),
        ("ACK", "INVITE, BYE,\r\n  CANCEL"),
        ("BYE", "INVITE, ACK ,CANCEL"),
        ("CANCEL", "INVITE, ACK ,BYE"),
    ];
    for (gone, left) in cases {
        let mut ed = Editor::new(&m);
        ed.remove_list_item(0, item(&m, 0, gone)).unwrap();
        let r = parse(&finish(ed));
        assert_eq!(s(r.value_bytes(r.header(0).unwrap())), left, "{gone}");
        assert_eq!(r.headers().len(), 2);
    }
    // The only element: the whole field goes.
    let mut ed = Editor::new(&m);
    ed.remove_list_item(1, item(&m, 1, "only")).unwrap();
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nAllow: INVITE, ACK ,BYE,\r\n  CANCEL\r\n\r\n"
    );
    // Two items of one list, first and last.
    let mut ed = Editor::new(&m);
    ed.remove_list_item(0, item(&m, 0, "INVITE")).unwrap();
    ed.remove_list_item(0, item(&m, 0, "CANCEL")).unwrap();
    let r = parse(&finish(ed));
    assert_eq!(s(r.value_bytes(r.header(0).unwrap())), "ACK ,BYE");
    // Ranges outside the value.
    let mut ed = Editor::new(&m);
    assert!(ed.remove_list_item(1, 2..10).is_err());
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 3..1;
    assert!(ed.remove_list_item(1, backwards).is_err());
    assert!(ed.remove_list_item(7, 0..1).is_err());
    // Ranges that start or end inside a fold's CRLF.
    let lf = m
        .value_bytes(m.header(0).unwrap())
        .iter()
        .position(|&b| b == b'\n')
        .unwrap();
    for range in [lf..lf, lf + 1..lf + 3, 0..lf, lf + 1..lf + 1] {
        assert!(ed.remove_list_item(0, range.clone()).is_err(), "{range:?}");
    }
}

#[test]
fn replace_request_uri() {
    let m = parse(REGISTER);
    let mut ed = Editor::new(&m);
    ed.set_request_uri("sip:scscf1.ims.example;lr").unwrap();
    let r = parse(&finish(ed));
    assert_eq!(r.request_uri(), Some("sip:scscf1.ims.example;lr"));
    assert_eq!(r.method(), Some("REGISTER"));
    assert_eq!(r.headers().len(), m.headers().len());
    // Not on a response.
    let ok = parse(OK);
    assert!(matches!(
        Editor::new(&ok).set_request_uri("sip:x"),
        Err(WriteError::Invalid { .. })
    ));
    // Whitespace or controls would break the request line.
    let mut ed = Editor::new(&m);
    for bad in [
        "sip:a SIP/2.0\r\nX: y",
        "sip:a b",
        "sip:a\tb",
        "sip:a\0",
        "sip:a\r",
        "sip:a\n",
    ] {
        assert!(
            matches!(
                ed.set_request_uri(bad),
                Err(WriteError::ForbiddenByte {
                    what: "Request-URI",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
    for bad in ["", "<sip:a>", "noscheme", "1sip:a"] {
        assert!(
            matches!(ed.set_request_uri(bad), Err(WriteError::Invalid { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn set_body_fixes_content_length() {
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    ed.set_body(b"v=0\r\n");
    let out = finish(ed);
    assert_eq!(
        s(&out),
        "OPTIONS sip:a@b SIP/2.0\r\nVia: v1\r\nX-A: 1\r\nAllow: A, B,\r\n C\r\nContent-Length: 5\r\n\r\nv=0\r\n"
    );
    // Without a Content-Length field one is appended.
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\n\r\nold body");
    let mut ed = Editor::new(&m);
    ed.set_body(b"");
    assert_eq!(
        s(&finish(ed)),
        "MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\nContent-Length: 0\r\n\r\n"
    );
    let mut ed = Editor::new(&m);
    ed.fix_content_length();
    assert_eq!(
        s(&finish(ed)),
        "MESSAGE sip:a@b SIP/2.0\r\nX: 1\r\nContent-Length: 8\r\n\r\nold body"
    );
    // Together with header edits.
    let mut ed = Editor::new(&m);
    ed.insert_top(n("Via"), v("x")).unwrap();
    ed.set_body(b"0123456789");
    assert_eq!(
        s(&finish(ed)),
        "MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nX: 1\r\nContent-Length: 10\r\n\r\n0123456789"
    );
}

#[test]
fn multiple_content_length_fields_become_one() {
    let m = parse(b"MESSAGE sip:a@b SIP/2.0\r\nl: 3\r\nX: 1\r\nContent-Length: 03\r\n\r\nabc");
    let mut ed = Editor::new(&m);
    ed.fix_content_length();
    assert_eq!(
        s(&finish(ed)),
        "MESSAGE sip:a@b SIP/2.0\r\nl: 3\r\nX: 1\r\n\r\nabc"
    );
    let mut ed = Editor::new(&m);
    ed.set_body(b"hello");
    let out = finish(ed);
    assert_eq!(
        s(&out),
        "MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\nX: 1\r\n\r\nhello"
    );
    let r = parse(&out);
    assert_eq!(r.find(HeaderName::ContentLength).count(), 1);
    assert_eq!(r.body(), b"hello");
}

#[test]
fn overlapping_edits_are_refused() {
    let m = parse(SMALL);
    let refused = |ed: Editor<'_>| {
        assert!(matches!(
            ed.finish(),
            Err(WriteError::Invalid { what: "edit", .. })
        ));
    };
    let mut ed = Editor::new(&m);
    ed.remove(1).unwrap();
    ed.remove(1).unwrap();
    refused(ed);
    let mut ed = Editor::new(&m);
    ed.remove(0).unwrap();
    ed.replace_value(0, v("x")).unwrap();
    refused(ed);
    let mut ed = Editor::new(&m);
    ed.replace_value(2, v("x")).unwrap();
    ed.remove_list_item(2, item(&m, 2, "B")).unwrap();
    refused(ed);
    // The editor's own Content-Length fix counts too.
    let mut ed = Editor::new(&m);
    ed.remove(3).unwrap();
    ed.fix_content_length();
    refused(ed);
    // Insertions next to a removed field are not overlaps.
    let mut ed = Editor::new(&m);
    ed.remove(1).unwrap();
    ed.insert_before(1, n("Y"), v("before")).unwrap();
    ed.insert_after(1, n("Z"), v("after")).unwrap();
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nVia: v1\r\nY: before\r\nZ: after\r\nAllow: A, B,\r\n C\r\n\
         Content-Length: 0\r\n\r\n"
    );
}

#[test]
fn control_bytes_in_written_text_are_refused() {
    // The editor takes only checked values: the refusal happens when the value is made,
    // with the offending byte and where it is.
    for bad in ["\r", "\n", "\0", "\r\n", "a\r\nVia: evil", "x\x01", "\x7f"] {
        let byte = bad.bytes().find(|&b| b < b' ' || b == 0x7f).unwrap();
        let offset = bad.bytes().position(|b| b == byte).unwrap();
        let want = WriteError::ForbiddenByte {
            what: "header value",
            byte,
            offset,
        };
        assert_eq!(HeaderValue::try_from(bad), Err(want), "{bad:?}");
        // Names must be tokens, which excludes every control byte.
        for name in [bad.to_string(), format!("X{bad}"), format!("X{bad}Y")] {
            assert!(Token::try_from(name.as_str()).is_err(), "{name:?}");
        }
    }
    for bad in ["", "X Y", "X:", "Ü"] {
        assert!(Token::try_from(bad).is_err(), "{bad:?}");
    }
    // A name without a spelling of its own is refused, and nothing is recorded.
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    assert!(matches!(
        ed.append(HeaderName::Other, v("v")),
        Err(WriteError::Invalid {
            what: "header name",
            ..
        })
    ));
    assert_eq!(finish(ed), SMALL);
}

#[test]
fn content_length_is_written_by_the_editor_only() {
    let m = parse(SMALL);
    let mut ed = Editor::new(&m);
    for name in ["Content-Length", "content-length", "l", "L"] {
        assert!(
            matches!(
                ed.insert_top(n(name), v("999")),
                Err(WriteError::Invalid { .. })
            ),
            "{name}"
        );
        assert!(ed.append(n(name), v("0")).is_err());
    }
    assert!(ed.append(HeaderName::ContentLength, v("0")).is_err());
    assert!(matches!(
        ed.replace_value(3, v("999")),
        Err(WriteError::Invalid { .. })
    ));
    // Raw text can neither land in the Content-Length field.
    let cl = m.header(3).unwrap();
    assert!(ed.replace_span(cl.value_span, v("999")).is_err());
    assert!(
        ed.insert_text(cl.line_span.start as usize, v("X-"))
            .is_err()
    );
    assert!(ed.insert_text(cl.value_span.end as usize, v("9")).is_err());
    assert_eq!(finish(ed), SMALL);
}

#[test]
fn raw_text_edits() {
    let m = parse(SMALL);
    // A parameter appended to the Via value.
    let via = m.header(0).unwrap();
    let mut ed = Editor::new(&m);
    ed.insert_text(via.value_span.end as usize, v(";received=192.0.2.1"))
        .unwrap();
    let out = finish(ed);
    assert!(s(&out).contains("\r\nVia: v1;received=192.0.2.1\r\n"));
    let mut ed = Editor::new(&m);
    ed.replace_span(via.value_span, v("v2")).unwrap();
    ed.insert_text(via.value_span.start as usize - 1, v("\t"))
        .unwrap();
    assert!(s(&finish(ed)).contains("\r\nVia:\t v2\r\n"));
    // Names, the colon and the start line are not raw text.
    let mut ed = Editor::new(&m);
    assert!(ed.replace_span(via.name_span, v("v")).is_err());
    assert!(ed.insert_text(via.name_span.end as usize, v(" ")).is_err());
    assert!(ed.insert_text(3, v("X")).is_err());
    let StartLine::Request { uri, .. } = m.start_line() else {
        panic!("not a request");
    };
    assert!(ed.replace_span(uri, v("sip:x")).is_err());
    // Spans that would break or join lines, or leave the header section.
    let mut ed = Editor::new(&m);
    let crlf = via.line_span.end as usize - 2;
    for span in [
        Span {
            start: crlf as u32,
            end: crlf as u32 + 2,
        },
        Span {
            start: crlf as u32,
            end: crlf as u32 + 1,
        },
        Span {
            start: crlf as u32 + 1,
            end: crlf as u32 + 1,
        },
        Span {
            start: via.value_span.start,
            end: m.header(1).unwrap().value_span.end,
        },
        Span { start: 5, end: 3 },
        m.body_span(),
        Span {
            start: m.head_end() as u32,
            end: m.head_end() as u32 + 2,
        },
    ] {
        assert!(ed.replace_span(span, v("")).is_err(), "{span:?}");
    }
    assert!(ed.insert_text(crlf + 1, v("x")).is_err());
    // Writing before or over the whitespace of a fold would start a new header line.
    let allow = m.header(2).unwrap();
    let fold = allow.value_span.start as usize
        + m.value_bytes(allow)
            .iter()
            .position(|&b| b == b'\n')
            .unwrap()
        + 1;
    assert!(ed.insert_text(fold, v("Via: evil")).is_err());
    let ws = Span {
        start: fold as u32,
        end: fold as u32 + 1,
    };
    assert!(ed.replace_span(ws, v("Via: evil")).is_err());
    assert!(ed.replace_span(ws, v("")).is_err());
    ed.insert_text(fold + 1, v("X")).unwrap();
    assert!(ed.insert_text(m.as_bytes().len(), v("x")).is_err());
    // An offset too large for a span must not wrap around into the message.
    assert!(ed.insert_text((1usize << 32) + 30, v("x")).is_err());
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nVia: v1\r\nX-A: 1\r\nAllow: A, B,\r\n XC\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn raw_text_cannot_unescape_a_nul() {
    let m = parse(b"OPTIONS sip:a@b SIP/2.0\r\nFrom: \"x\\\0\" <sip:a@b>\r\nTo: <sip:b@c>\r\n\r\n");
    let from = *m.header(0).unwrap();
    let to = *m.header(1).unwrap();
    let mut ed = Editor::new(&m);
    // Opening another quote, or removing the opening one, would leave the NUL bare.
    assert!(
        ed.insert_text(from.value_span.start as usize, v("\""))
            .is_err()
    );
    assert!(
        ed.insert_text(from.value_span.start as usize, v("("))
            .is_err()
    );
    let quote = Span {
        start: from.value_span.start,
        end: from.value_span.start + 1,
    };
    assert!(ed.replace_span(quote, v("")).is_err());
    // No list surgery in such a value either.
    assert!(ed.remove_list_item(0, 0..2).is_err());
    // Nor plain text, which could land between a backslash and its NUL; quotes in
    // other lines are fine.
    assert!(
        ed.insert_text(from.value_span.end as usize, v(";tag=1"))
            .is_err()
    );
    assert!(
        ed.insert_text(from.value_span.start as usize + 3, v("y"))
            .is_err()
    );
    ed.replace_value(0, v("\"x\" <sip:a@b>;tag=1")).unwrap();
    ed.insert_text(to.value_span.end as usize, v(";x=\"(\\\"\""))
        .unwrap();
    assert_eq!(
        s(&finish(ed)),
        "OPTIONS sip:a@b SIP/2.0\r\nFrom: \"x\" <sip:a@b>;tag=1\r\nTo: <sip:b@c>;x=\"(\\\"\"\r\n\r\n"
    );
}

#[test]
fn edits_on_the_sample_register() {
    let m = parse(REGISTER);
    let mf = m.positions(HeaderName::MaxForwards).next().unwrap();
    let auth = m.positions(HeaderName::Authorization).next().unwrap();
    let mut ed = Editor::new(&m);
    ed.insert_top(n("Via"), v("SIP/2.0/TCP edge.example;branch=z9hG4bKe1"))
        .unwrap();
    ed.replace_value(mf, v("69")).unwrap();
    ed.remove(auth).unwrap();
    ed.insert_after(auth, n("P-Visited-Network-ID"), v("\"visited.example\""))
        .unwrap();
    ed.append(n("Path"), v("<sip:term@edge.example;lr;ob>"))
        .unwrap();
    let out = finish(ed);
    let r = parse(&out);
    assert_eq!(r.headers().len(), m.headers().len() + 2);
    let vias: Vec<&[u8]> = r.find(HeaderName::Via).map(|h| r.value_bytes(h)).collect();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0], b"SIP/2.0/TCP edge.example;branch=z9hG4bKe1");
    assert_eq!(
        r.value_bytes(r.first(HeaderName::MaxForwards).unwrap()),
        b"69"
    );
    assert!(r.first(HeaderName::Authorization).is_none());
    let n = names(&r);
    assert_eq!(n.first().map(String::as_str), Some("Via"));
    assert_eq!(n.last().map(String::as_str), Some("Path"));
    assert_eq!(n[auth + 1], "P-Visited-Network-ID");
    assert_eq!(r.content_length(), Some(0));
}

// ---------------------------------------------------------------- builder

#[test]
fn build_a_request() {
    let mut b = Builder::request(&n("OPTIONS"), "sip:bob@example.com").unwrap();
    b.push(n("Via"), v("SIP/2.0/TCP h;branch=z9hG4bK1"))
        .unwrap();
    let out = b
        .header(n("Max-Forwards"), v("70"))
        .unwrap()
        .body(&v("text/plain"), b"hi")
        .finish();
    assert_eq!(
        s(&out),
        "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\
         Max-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
    );
    let m = Message::parse(out.clone()).unwrap();
    assert_eq!(m.method(), Some("OPTIONS"));
    assert_eq!(m.body(), b"hi");
    assert_eq!(m.as_bytes(), &out[..]);
    let out = Builder::request(&n("BYE"), "tel:+15550100")
        .unwrap()
        .finish();
    assert_eq!(
        s(&out),
        "BYE tel:+15550100 SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn build_a_response() {
    let out = Builder::response(100, &v("Trying")).unwrap().finish();
    assert_eq!(s(&out), "SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n");
    let out = Builder::response(699, &v("")).unwrap().finish();
    let m = Message::parse(out).unwrap();
    assert_eq!((m.status(), m.reason()), (Some(699), Some(&b""[..])));
    for bad in [0, 99, 700, 1000, u16::MAX] {
        assert!(Builder::response(bad, &v("X")).is_err(), "{bad}");
    }
}

#[test]
fn response_to_copies_the_dialog_fields() {
    let req = parse(
        b"INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/TCP p1;branch=z9hG4bK1\r\nv: SIP/2.0/UDP p2;branch=z9hG4bK2,\r\n SIP/2.0/UDP p3\r\n\
          Max-Forwards: 70\r\nf: <sip:alice@a>;tag=a1\r\nTo: Bob <sip:bob@b>\r\ni: call-1\r\nCSeq: 7 INVITE\r\n\
          Contact: <sip:alice@p1>\r\nContent-Length: 0\r\n\r\n",
    );
    let out = Builder::response_to(&req, 486, &v("Busy Here"), Some(&n("edge-7")))
        .unwrap()
        .header(n("Retry-After"), v("60"))
        .unwrap()
        .finish();
    assert_eq!(
        s(&out),
        "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/TCP p1;branch=z9hG4bK1\r\n\
         Via: SIP/2.0/UDP p2;branch=z9hG4bK2, SIP/2.0/UDP p3\r\n\
         From: <sip:alice@a>;tag=a1\r\nTo: Bob <sip:bob@b>;tag=edge-7\r\nCall-ID: call-1\r\n\
         CSeq: 7 INVITE\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n"
    );
    let m = Message::parse(out).unwrap();
    assert_eq!(m.status(), Some(486));
    assert_eq!(m.find(HeaderName::Via).count(), 2);
    assert!(m.first(HeaderName::Contact).is_none());
    assert!(m.first(HeaderName::MaxForwards).is_none());
}

#[test]
fn response_to_keeps_an_existing_to_tag() {
    let ok = parse(OK);
    let out = Builder::response_to(&ok, 200, &v("OK"), Some(&n("other")))
        .unwrap()
        .finish();
    let m = Message::parse(out).unwrap();
    let to = m.first(HeaderName::To).unwrap();
    assert_eq!(
        m.value_bytes(to),
        b"\"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=8c1f5e"
    );
    // No tag asked for: none added.
    let reg = parse(REGISTER);
    let out = Builder::response_to(&reg, 401, &v("Unauthorized"), None)
        .unwrap()
        .finish();
    let m = Message::parse(out).unwrap();
    assert_eq!(
        m.value_bytes(m.first(HeaderName::To).unwrap()),
        b"\"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>"
    );
    // A tag inside the URI is not the To tag.
    let req = parse(b"BYE sip:b SIP/2.0\r\nTo: <sip:b;tag=u>\r\n\r\n");
    let out = Builder::response_to(&req, 200, &v("OK"), Some(&n("t1")))
        .unwrap()
        .finish();
    assert!(s(&out).contains("\r\nTo: <sip:b;tag=u>;tag=t1\r\n"));
    // Quoted parameter values neither hide a tag nor pass for one.
    let req = parse(b"BYE sip:b SIP/2.0\r\nTo: <sip:b>;tag=1;x=\">\"\r\n\r\n");
    let out = Builder::response_to(&req, 200, &v("OK"), Some(&n("t2")))
        .unwrap()
        .finish();
    assert!(s(&out).contains("\r\nTo: <sip:b>;tag=1;x=\">\"\r\n"));
    let req = parse(b"BYE sip:b SIP/2.0\r\nTo: <sip:b>;x=\"a;tag=1\"\r\n\r\n");
    let out = Builder::response_to(&req, 200, &v("OK"), Some(&n("t3")))
        .unwrap()
        .finish();
    assert!(s(&out).contains("\r\nTo: <sip:b>;x=\"a;tag=1\";tag=t3\r\n"));
}

#[test]
fn response_to_sample_register_reparses() {
    let reg = parse(REGISTER);
    let out = Builder::response_to(&reg, 401, &v("Unauthorized"), Some(&n("e1")))
        .unwrap()
        .header(n("WWW-Authenticate"), v("Bearer realm=\"ims.example\""))
        .unwrap()
        .finish();
    let m = Message::parse(out).unwrap();
    for name in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        let a: Vec<&[u8]> = reg.find(name).map(|h| reg.value_bytes(h)).collect();
        let b: Vec<&[u8]> = m.find(name).map(|h| m.value_bytes(h)).collect();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn builder_refuses_injection() {
    let nasty = [
        "x\r\nVia: evil",
        "x\nVia: evil",
        "x\rVia: evil",
        "x\0",
        "\r\n\r\nINVITE sip:x SIP/2.0",
    ];
    // Values, reasons and content types are checked values; names, methods and tags
    // tokens: the refusal happens when they are made.
    for bad in nasty {
        assert!(HeaderValue::try_from(bad).is_err(), "{bad:?}");
        assert!(Token::try_from(bad).is_err(), "{bad:?}");
        assert!(Builder::request(&n("OPTIONS"), bad).is_err(), "{bad:?}");
    }
    for bad in ["", "a b", "a;b", "a>"] {
        assert!(Token::try_from(bad).is_err(), "{bad:?}");
    }
    // A Content-Length from the caller could disagree with the one written from the body.
    let b = Builder::request(&n("OPTIONS"), "sip:a").unwrap();
    for name in ["Content-Length", "CONTENT-LENGTH", "l", "L"] {
        assert!(
            matches!(
                b.clone().header(n(name), v("0")),
                Err(WriteError::Invalid { .. })
            ),
            "{name}"
        );
    }
    // Bodies may hold anything: they are framed by Content-Length.
    let out = b
        .body(
            &v("application/octet-stream"),
            b"\r\n\r\nINVITE sip:x SIP/2.0\r\n\0",
        )
        .finish();
    let m = Message::parse(out).unwrap();
    assert_eq!(m.body(), b"\r\n\r\nINVITE sip:x SIP/2.0\r\n\0");
}

#[test]
fn response_to_unfolds_and_reparses_odd_requests() {
    let req = parse(
        b"OPTIONS sip:a@b SIP/2.0\r\nTo:\r\n <sip:a@b>\r\n\t;x=1\r\nFrom: \"q\\\0\" <sip:c@d>\r\nVia: a,\r\n \r\n b\r\n\r\n",
    );
    let out = Builder::response_to(&req, 200, &v("OK"), Some(&n("z")))
        .unwrap()
        .finish();
    let m = Message::parse(out.clone()).unwrap();
    assert_eq!(
        m.value_bytes(m.first(HeaderName::To).unwrap()),
        b"<sip:a@b> ;x=1;tag=z"
    );
    assert_eq!(
        m.value_bytes(m.first(HeaderName::From).unwrap()),
        b"\"q\\\0\" <sip:c@d>"
    );
    assert_eq!(m.as_bytes(), &out[..]);
}

#[test]
fn builder_body_set_twice_keeps_one_content_type() {
    let out = sip_oauth::message::Builder::response(200, &v("OK"))
        .unwrap()
        .body(&v("text/plain"), b"one")
        .body(&v("application/sdp"), b"v=0\r\n")
        .finish();
    let msg = sip_oauth::message::Message::parse(out).unwrap();
    let types: Vec<_> = msg
        .find(sip_oauth::message::HeaderName::ContentType)
        .map(|h| msg.value_str(h).unwrap())
        .collect();
    assert_eq!(types, ["application/sdp"]);
    assert_eq!(msg.body(), b"v=0\r\n");
}
