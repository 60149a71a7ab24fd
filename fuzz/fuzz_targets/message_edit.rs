//! Parses arbitrary bytes and, when they form a message, builds a reply to it and
//! applies edits chosen by the rest of the input, raw text edits included. Whatever the
//! editor accepts must write a message that parses again, with the new body framed by
//! exactly one Content-Length; so must the reply.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sip_oauth::message::{
    Builder, Editor, HeaderName, HeaderValue, Limits, Message, Span, Token, WriteError,
};

/// Room for whatever the edits add, so a re-parse fails only on a malformed result.
const ROOMY: Limits = Limits {
    max_message_bytes: 1 << 24,
    max_headers: 1 << 16,
    max_line_bytes: 1 << 24,
};

fn text<'a>(u: &mut Unstructured<'a>) -> Result<&'a str> {
    let len = u.int_in_range(0..=40)?;
    let bytes = u.bytes(len)?;
    Ok(std::str::from_utf8(bytes).unwrap_or("x"))
}

/// A header value from the input, or the writer's refusal of it.
fn value(u: &mut Unstructured<'_>) -> Result<std::result::Result<HeaderValue, WriteError>> {
    Ok(HeaderValue::try_from(text(u)?))
}

/// A field name and value from the input, or the refusal of either.
fn field(
    u: &mut Unstructured<'_>,
) -> Result<std::result::Result<(Token, HeaderValue), WriteError>> {
    let name = Token::try_from(text(u)?);
    let value = value(u)?;
    Ok(name.and_then(|n| Ok((n, value?))))
}

fn edit(u: &mut Unstructured<'_>, msg: &Message, ed: &mut Editor<'_>) -> Result<Option<Vec<u8>>> {
    let n = msg.headers().len();
    let index = if n == 0 { 0 } else { u.choose_index(n)? };
    let mut body = None;
    // Refusals are fine; only what is accepted must re-parse.
    let len = msg.as_bytes().len();
    let _ = match u.int_in_range(0..=16)? {
        0 => field(u)?.and_then(|(n, v)| ed.insert_top(&n, &v)),
        1 => field(u)?.and_then(|(n, v)| ed.append(&n, &v)),
        2 => field(u)?.and_then(|(n, v)| ed.insert_after(index, &n, &v)),
        3 => field(u)?.and_then(|(n, v)| ed.insert_before(index, &n, &v)),
        4 => ed.remove(index),
        5 => value(u)?.and_then(|v| ed.replace_value(index, &v)),
        6 => ed.set_request_uri(text(u)?),
        8 => {
            let at = u.int_in_range(0..=len)?;
            value(u)?.and_then(|v| ed.insert_text(at, &v))
        }
        9 => {
            let a = u.int_in_range(0..=len)?;
            let b = u.int_in_range(a..=len)?;
            let span = Span {
                start: a as u32,
                end: b as u32,
            };
            value(u)?.and_then(|v| ed.replace_span(span, &v))
        }
        10 => {
            let v = msg.header(index).map_or(0, |h| h.value_span.len());
            let a = u.int_in_range(0..=v)?;
            let b = u.int_in_range(a..=v)?;
            ed.remove_list_item(index, a..b)
        }
        // The writers that lend a builder over the editor's buffer: a value from the
        // input, a number, and a cleared start, which must leave earlier edits alone.
        12..=16 => {
            let which = u.int_in_range(12..=16)?;
            let v = value(u)?;
            let n: u32 = u.arbitrary()?;
            let clear_first: bool = u.arbitrary()?;
            let at = u.int_in_range(0..=len)?;
            let b = u.int_in_range(at..=len)?;
            let build = |w: &mut sip_oauth::message::ValueBuilder| {
                if clear_first {
                    w.push_decimal(n);
                    w.clear();
                }
                if let Ok(v) = &v {
                    w.push(v);
                }
                w.push_decimal(n);
            };
            match (which, Token::try_from(text(u)?)) {
                (12, Ok(name)) => ed.insert_top_with(&name, build),
                (13, Ok(name)) => ed.insert_before_with(index, &name, build),
                (14, Ok(name)) => ed.append_with(&name, build),
                (15, _) => ed.insert_text_with(at, build),
                (_, _) => ed.replace_span_with(
                    Span {
                        start: at as u32,
                        end: b as u32,
                    },
                    build,
                ),
            }
        }
        7 => {
            let len = u.int_in_range(0..=64)?;
            let b = u.bytes(len)?.to_vec();
            ed.set_body(&b);
            body = Some(b);
            Ok(())
        }
        _ => {
            ed.fix_content_length();
            Ok(())
        }
    };
    Ok(body)
}

fuzz_target!(|data: &[u8]| {
    // The first two bytes give the length of the message; the rest drives the edits.
    let [hi, lo, rest @ ..] = data else {
        return;
    };
    let split = (usize::from(*hi) << 8 | usize::from(*lo)).min(rest.len());
    let (wire, ops) = rest.split_at(split);
    let Ok(msg) = Message::parse(wire.to_vec()) else {
        return;
    };
    // A reply built from any parsed message parses too.
    if let Ok(reply) = Builder::response_to(
        &msg,
        400,
        &HeaderValue::from_static("Bad Request"),
        Some(&Token::from_static("fz1")),
    ) {
        let reply = reply.finish();
        let parsed = Message::parse_with(reply.clone(), &ROOMY)
            .unwrap_or_else(|e| panic!("reply does not parse: {e}: {reply:?}"));
        assert_eq!(parsed.as_bytes(), &reply[..]);
        assert_eq!(
            parsed.find(HeaderName::Via).count(),
            msg.find(HeaderName::Via).count()
        );
    }
    let mut u = Unstructured::new(ops);
    let mut ed = Editor::new(&msg);
    let mut body = None;
    while !u.is_empty() {
        match edit(&mut u, &msg, &mut ed) {
            Ok(Some(b)) => body = Some(b),
            Ok(None) => {}
            Err(_) => break,
        }
    }
    let Ok(out) = ed.finish() else {
        return;
    };
    let again = Message::parse_with(out.clone(), &ROOMY)
        .unwrap_or_else(|e| panic!("edited message does not parse: {e}: {out:?}"));
    assert_eq!(again.as_bytes(), &out[..]);
    if let Some(b) = body {
        assert_eq!(again.body(), &b[..]);
        assert_eq!(again.find(HeaderName::ContentLength).count(), 1);
    }
});
