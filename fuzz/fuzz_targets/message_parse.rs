//! Parses arbitrary bytes as one datagram. A parse never panics; an accepted message is
//! exactly the framed prefix of the input, and every accessor works on it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_oauth::message::{HeaderName, Message};

const KNOWN: &[HeaderName] = &[
    HeaderName::Via,
    HeaderName::From,
    HeaderName::To,
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::Contact,
    HeaderName::ContentLength,
    HeaderName::Authorization,
    HeaderName::Other,
];

fuzz_target!(|data: &[u8]| {
    let msg = match Message::parse(data.to_vec()) {
        Ok(msg) => msg,
        Err(e) => {
            assert!(e.offset <= data.len(), "{e} for {} bytes", data.len());
            return;
        }
    };
    let framed = msg.as_bytes();
    // The message is the input up to the end of the framed body.
    let end = msg.body_span().end as usize;
    assert_eq!(framed, &data[..end]);
    match msg.content_length() {
        None => assert_eq!(end, data.len()),
        Some(n) => assert_eq!(msg.body().len(), n),
    }
    assert_eq!(msg.head_end() + 2, msg.body_span().start as usize);
    let _ = (msg.method(), msg.request_uri(), msg.status(), msg.reason());
    let mut at = msg.start_line_span().end as usize;
    for h in msg.headers() {
        // Fields tile the header section, and their spans nest.
        assert_eq!(h.line_span.start as usize, at);
        at = h.line_span.end as usize;
        assert!(h.name_span.end <= h.value_span.start);
        assert!(h.value_span.start <= h.value_span.end);
        assert!(h.value_span.end <= h.line_span.end);
        assert_eq!(HeaderName::from_bytes(msg.name_bytes(h)), h.name);
        let value = msg.value_bytes(h);
        assert_eq!(value.len(), h.value_span.len());
        if let Ok(text) = msg.value_str(h) {
            assert_eq!(text.as_bytes(), value);
            if let Ok(name) = std::str::from_utf8(msg.name_bytes(h)) {
                assert!(msg.find_named(name).any(|f| f == h));
            }
        }
    }
    assert_eq!(at, msg.head_end());
    for &name in KNOWN {
        let _ = msg.single(name);
        let _ = msg.required_str(name);
        assert_eq!(msg.find(name).count(), msg.positions(name).count());
    }
    // The framed bytes parse to the same message.
    let again = Message::parse(msg.bytes().clone()).expect("framed message re-parses");
    assert_eq!(again, msg);
});
