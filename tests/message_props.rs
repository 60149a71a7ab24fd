//! Property tests: generated well-formed messages parse to exactly what was generated
//! and write back byte for byte; arbitrary and mutated bytes never panic the parser or
//! the framer; random edits always produce a message that parses again.

use proptest::prelude::*;
use sip_oauth::message::{
    Editor, Frame, HeaderName, HeaderValue, Limits, Message, Token, WriteError, frame,
};

/// Known header names as they may be spelled: long forms and compact forms. Content-Length
/// is left out: the generator places it itself so the body framing is known.
const KNOWN_NAMES: &[&str] = &[
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Max-Forwards",
    "Expires",
    "Content-Type",
    "Subject",
    "Supported",
    "Route",
    "Record-Route",
    "Path",
    "Authorization",
    "WWW-Authenticate",
    "P-Asserted-Identity",
    "User-Agent",
    "v",
    "f",
    "t",
    "i",
    "m",
    "c",
    "e",
    "s",
    "k",
    "a",
    "b",
    "d",
    "j",
    "n",
    "o",
    "r",
    "u",
    "x",
    "y",
];

fn random_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::sample::select(KNOWN_NAMES), any::<u64>()).prop_map(|(n, m)| random_case(n, m)),
        "X-[A-Za-z0-9.!%*_+`'~-]{1,12}",
        "P-[A-Za-z]{1,8}-[A-Za-z0-9]{1,8}",
    ]
}

/// A value made of words from a safe alphabet, joined by single spaces or folds.
fn header_value() -> impl Strategy<Value = String> {
    let word = "[A-Za-z0-9;=<>@.:,\"/+_%~!*()?&$#\\[\\]{}|^'`-]{1,16}";
    let sep = prop_oneof![
        4 => Just(" "),
        1 => Just("\r\n "),
        1 => Just("\r\n\t"),
        1 => Just("\r\n  \t "),
    ];
    prop::collection::vec((sep, word), 0..5).prop_map(|parts| {
        let mut out = String::new();
        for (i, (sep, word)) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(&word);
        }
        out
    })
}

#[derive(Debug, Clone)]
enum Start {
    Request { method: String, uri: String },
    Response { status: u16, reason: String },
}

#[derive(Debug, Clone)]
struct Generated {
    start: Start,
    /// (name, value, spaces before the colon, whitespace after it, trailing whitespace)
    headers: Vec<(String, String, &'static str, &'static str, &'static str)>,
    /// Where Content-Length goes (an index into the headers) and how it is spelled.
    content_length: Option<(usize, &'static str)>,
    body: Vec<u8>,
    /// Bytes after the message, cut off by Content-Length.
    trailing: Vec<u8>,
}

impl Generated {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match &self.start {
            Start::Request { method, uri } => {
                out.extend_from_slice(format!("{method} {uri} SIP/2.0\r\n").as_bytes());
            }
            Start::Response { status, reason } => {
                out.extend_from_slice(format!("SIP/2.0 {status} {reason}\r\n").as_bytes());
            }
        }
        for line in self.lines() {
            out.extend_from_slice(line.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        if self.content_length.is_some() {
            out.extend_from_slice(&self.trailing);
        }
        out
    }

    /// The header lines in order, Content-Length included.
    fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v, pre, post, tail)| format!("{n}{pre}:{post}{v}{tail}\r\n"))
            .collect();
        if let Some((at, name)) = self.content_length {
            lines.insert(
                at.min(lines.len()),
                format!("{name}: {}\r\n", self.body.len()),
            );
        }
        lines
    }

    /// (name, value) of every field as the parser must report it.
    fn fields(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(n, v, ..)| (n.clone(), v.clone()))
            .collect();
        if let Some((at, name)) = self.content_length {
            out.insert(
                at.min(out.len()),
                (name.to_string(), self.body.len().to_string()),
            );
        }
        out
    }
}

fn start() -> impl Strategy<Value = Start> {
    let method = prop_oneof![
        prop::sample::select(vec![
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "REGISTER",
            "OPTIONS",
            "MESSAGE",
            "SUBSCRIBE",
            "NOTIFY",
        ])
        .prop_map(String::from),
        "[A-Za-z0-9.!%*_+`'~-]{1,12}",
    ];
    let uri = prop_oneof![
        "sips?:[a-z0-9._%+-]{1,10}@[a-z0-9.-]{1,20}(:[0-9]{1,5})?(;[a-z]{1,5}=[a-z0-9]{1,5}){0,3}",
        "tel:\\+[0-9]{4,15}",
        "urn:[a-z]{1,8}:[a-z0-9:.-]{1,20}",
    ];
    prop_oneof![
        (method, uri).prop_map(|(method, uri)| Start::Request { method, uri }),
        (100u16..=699, "[A-Za-z0-9 .,'-]{0,20}")
            .prop_map(|(status, reason)| Start::Response { status, reason }),
    ]
}

fn generated() -> impl Strategy<Value = Generated> {
    let field = (
        header_name(),
        header_value(),
        prop::sample::select(vec!["", "", " ", "\t ", "  "]),
        prop::sample::select(vec![" ", " ", "", "\t", "   ", "\r\n "]),
        prop::sample::select(vec!["", "", " ", "\t"]),
    );
    (
        start(),
        prop::collection::vec(field, 0..20),
        prop::option::of((
            0usize..25,
            prop::sample::select(vec!["Content-Length", "l", "L", "content-LENGTH"]),
        )),
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(
            |(start, headers, content_length, body, trailing)| Generated {
                start,
                headers,
                content_length,
                body,
                trailing,
            },
        )
}

/// Byte-level mutations of a valid message.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        generated(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    )
        .prop_map(|(g, muts)| {
            let mut bytes = g.bytes();
            for (at, byte, op) in muts {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            bytes
        })
}

fn check_total(input: &[u8]) {
    match Message::parse(input.to_vec()) {
        Ok(m) => {
            assert!(input.starts_with(m.as_bytes()));
            for h in m.headers() {
                let _ = m.value_str(h);
                assert!(h.line_span.end as usize <= m.head_end());
            }
        }
        Err(e) => assert!(e.offset <= input.len(), "{e} for {} bytes", input.len()),
    }
    match frame(input, &Limits::DEFAULT) {
        Ok(Frame::Complete(n)) => {
            assert!(n <= input.len());
            let m = Message::parse(input[..n].to_vec()).expect("a complete frame parses");
            assert_eq!(m.as_bytes().len(), n);
        }
        Ok(Frame::KeepAlive(n)) => assert!(n >= 2 && n <= input.len()),
        Ok(Frame::Partial) => {}
        Err(e) => assert!(e.offset <= input.len().max(Limits::DEFAULT.max_message_bytes)),
    }
}

/// The checked name and value of a field to write (the editor takes no other).
fn field(name: &str, value: &str) -> Result<(Token, HeaderValue), WriteError> {
    Ok((Token::try_from(name)?, HeaderValue::try_from(value)?))
}

#[derive(Debug, Clone)]
enum Op {
    Top(String, String),
    After(prop::sample::Index, String, String),
    Before(prop::sample::Index, String, String),
    Append(String, String),
    Remove(prop::sample::Index),
    Replace(prop::sample::Index, String),
    Body(Vec<u8>),
    FixLength,
    Uri(String),
}

fn op() -> impl Strategy<Value = Op> {
    let value = "[A-Za-z0-9 ;=<>@.:,\"/-]{0,20}";
    prop_oneof![
        (header_name(), value).prop_map(|(n, v)| Op::Top(n, v)),
        (any::<prop::sample::Index>(), header_name(), value)
            .prop_map(|(i, n, v)| Op::After(i, n, v)),
        (any::<prop::sample::Index>(), header_name(), value)
            .prop_map(|(i, n, v)| Op::Before(i, n, v)),
        (header_name(), value).prop_map(|(n, v)| Op::Append(n, v)),
        any::<prop::sample::Index>().prop_map(Op::Remove),
        (any::<prop::sample::Index>(), value).prop_map(|(i, v)| Op::Replace(i, v)),
        prop::collection::vec(any::<u8>(), 0..50).prop_map(Op::Body),
        Just(Op::FixLength),
        "sip:[a-z]{1,8}@[a-z.]{1,12}".prop_map(Op::Uri),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_messages_parse_to_what_was_generated(g in generated()) {
        let bytes = g.bytes();
        let msg = Message::parse(bytes.clone()).unwrap();
        let framed_len = bytes.len() - if g.content_length.is_some() { g.trailing.len() } else { 0 };
        prop_assert_eq!(msg.as_bytes(), &bytes[..framed_len]);
        match &g.start {
            Start::Request { method, uri } => {
                prop_assert_eq!(msg.method(), Some(method.as_str()));
                prop_assert_eq!(msg.request_uri(), Some(uri.as_str()));
            }
            Start::Response { status, reason } => {
                prop_assert_eq!(msg.status(), Some(*status));
                prop_assert_eq!(msg.reason(), Some(reason.as_bytes()));
            }
        }
        let want = g.fields();
        prop_assert_eq!(msg.headers().len(), want.len());
        for (h, (name, value)) in msg.headers().iter().zip(&want) {
            prop_assert_eq!(msg.name_bytes(h), name.as_bytes());
            prop_assert_eq!(msg.value_str(h).unwrap(), value.as_str());
            prop_assert_eq!(h.name, HeaderName::from_bytes(name.as_bytes()));
        }
        prop_assert_eq!(msg.body(), &g.body[..]);
        prop_assert_eq!(msg.content_length(), g.content_length.map(|_| g.body.len()));
        // On a stream the same bytes frame as one message exactly when Content-Length
        // is present.
        match (frame(&bytes, &Limits::DEFAULT), g.content_length) {
            (Ok(Frame::Complete(n)), Some(_)) => prop_assert_eq!(n, framed_len),
            (other, Some(_)) => prop_assert!(false, "framed as {:?}", other),
            (other, None) => prop_assert!(other.is_err(), "framed as {:?}", other),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_total(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(bytes in mutated()) {
        check_total(&bytes);
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len().saturating_sub(1)] {
            check_total(&bytes[..cut]);
        }
    }

    #[test]
    fn random_edits_reparse(g in generated(), ops in prop::collection::vec(op(), 0..8)) {
        let msg = Message::parse(g.bytes()).unwrap();
        let n = msg.headers().len();
        let mut ed = Editor::new(&msg);
        let mut new_body = None;
        for op in ops {
            // Refusals (Content-Length names and values) are fine; what is accepted must
            // produce a message that parses.
            let _ = match op {
                Op::Top(name, v) => field(&name, &v).and_then(|(name, v)| ed.insert_top(&name, &v)),
                Op::Append(name, v) => field(&name, &v).and_then(|(name, v)| ed.append(&name, &v)),
                Op::After(i, name, v) if n > 0 => {
                    field(&name, &v).and_then(|(name, v)| ed.insert_after(i.index(n), &name, &v))
                }
                Op::Before(i, name, v) if n > 0 => {
                    field(&name, &v).and_then(|(name, v)| ed.insert_before(i.index(n), &name, &v))
                }
                Op::Remove(i) if n > 0 => ed.remove(i.index(n)),
                Op::Replace(i, v) if n > 0 => HeaderValue::try_from(v)
                    .and_then(|v| ed.replace_value(i.index(n), &v)),
                Op::Body(b) => {
                    ed.set_body(&b);
                    new_body = Some(b);
                    Ok(())
                }
                Op::FixLength => {
                    ed.fix_content_length();
                    Ok(())
                }
                Op::Uri(u) if msg.is_request() => ed.set_request_uri(&u),
                _ => Ok(()),
            };
        }
        if let Ok(out) = ed.finish() {
            let again = Message::parse(out.clone());
            prop_assert!(again.is_ok(), "{:?}: {:?}", again, String::from_utf8_lossy(&out));
            let again = again.unwrap();
            prop_assert_eq!(again.as_bytes(), &out[..]);
            if let Some(b) = new_body {
                prop_assert_eq!(again.body(), &b[..]);
                prop_assert_eq!(again.content_length(), Some(b.len()));
                prop_assert_eq!(again.find(HeaderName::ContentLength).count(), 1);
            }
        }
    }
}
