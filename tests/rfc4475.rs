//! RFC 4475 torture messages: every one of the 49 messages in `tests/data/rfc4475/`
//! is parsed as a datagram and either accepted with its key fields asserted, or
//! rejected (by [`Message::parse`] or by the semantic checks of
//! [`sip_oauth::message::check`]) with the rule, the status and a plausible offset.
//!
//! The per-message functions are dispatched from the manifest, so a message missing
//! from the corpus, a manifest row without a test, or a test without a row all fail.
//! Each function returns what the element does with the message; the dispatcher
//! compares that with the manifest's class (a `valid` message must be accepted, an
//! `invalid` one rejected or accepted-and-flagged).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use sip_oauth::message::header::{
    CSeq, Contact, ContentType, Credentials, Host, NameAddr, Scheme, TokenList, Uri, Via,
    ViaTransport, parse_call_id, parse_expires, parse_max_forwards, percent_decode, split_list,
};
use sip_oauth::message::{
    Frame, HeaderName, Limits, Message, ParseError, ParseErrorKind, Violation, check_proxy_request,
    check_request, check_response, frame,
};

/// What a robust edge proxy does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Parsed and passed every check.
    Accept,
    /// Parsed and passed the protocol checks, but carries something the caller must
    /// act on (a policy decision above the wire format).
    Flag,
    /// Refused; for requests, answered with this status (responses are dropped).
    Reject(u16),
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475")
}

struct Row {
    name: String,
    section: String,
    class: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(dir().join("MANIFEST.tsv")).expect("manifest");
    let mut lines = text.lines();
    assert_eq!(
        lines
            .next()
            .map(|h| h.split('\t').take(4).collect::<Vec<_>>()),
        Some(vec!["name", "rfc_section", "class", "expected"])
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 5, "{l}");
            Row {
                name: cols[0].to_owned(),
                section: cols[1].to_owned(),
                class: cols[2].to_owned(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Helpers

fn parse(b: &[u8]) -> Message {
    Message::parse(b.to_vec()).unwrap_or_else(|e| panic!("should parse: {e}"))
}

fn parse_err(b: &[u8]) -> ParseError {
    Message::parse(b.to_vec()).expect_err("should be rejected by the parser")
}

/// The value of the single field `name`.
fn one(m: &Message, name: HeaderName) -> &str {
    let f = m.single(name).expect("single").expect("present");
    m.value_str(f).expect("utf-8")
}

fn values(m: &Message, name: HeaderName) -> Vec<&str> {
    m.find(name)
        .map(|f| m.value_str(f).expect("utf-8"))
        .collect()
}

fn unknown<'m>(m: &'m Message, name: &'m str) -> Vec<&'m [u8]> {
    m.find_named(name).map(|f| m.value_bytes(f)).collect()
}

fn vias(m: &Message) -> Vec<Via<'_>> {
    values(m, HeaderName::Via)
        .into_iter()
        .flat_map(|v| Via::parse_list(v).map(|r| r.expect("via").1))
        .collect()
}

fn name_addr(m: &Message, name: HeaderName) -> NameAddr<'_> {
    NameAddr::parse(one(m, name)).expect("name-addr")
}

fn contacts(m: &Message) -> Vec<NameAddr<'_>> {
    values(m, HeaderName::Contact)
        .into_iter()
        .flat_map(|v| Contact::parse_list(v).map(|r| r.expect("contact").1))
        .map(|c| *c.addr().expect("not *"))
        .collect()
}

fn cseq(m: &Message) -> CSeq<'_> {
    CSeq::parse(one(m, HeaderName::CSeq)).expect("cseq")
}

fn call_id(m: &Message) -> &str {
    parse_call_id(one(m, HeaderName::CallId)).expect("call-id")
}

fn max_forwards(m: &Message) -> u8 {
    parse_max_forwards(one(m, HeaderName::MaxForwards)).expect("max-forwards")
}

fn ruri(m: &Message) -> Uri<'_> {
    Uri::parse(m.request_uri().expect("request")).expect("request-uri")
}

fn decoded(s: &str) -> Vec<u8> {
    percent_decode(s).expect("escapes").into_owned()
}

fn branches<'a>(v: &[Via<'a>]) -> Vec<Option<&'a str>> {
    v.iter().map(Via::branch).collect()
}

/// Every request this edge accepts passes the UAS checks and the proxy checks (no
/// Proxy-Require extension supported); every response passes the response checks.
fn checked(m: &Message) -> Verdict {
    if m.is_request() {
        assert_eq!(check_request(m).map(|_| ()), Ok(()));
        assert_eq!(check_proxy_request(m, &[]).map(|_| ()), Ok(()));
    } else {
        assert_eq!(check_response(m).map(|_| ()), Ok(()));
    }
    Verdict::Accept
}

/// The whole datagram is the message: nothing before or after the framed body.
fn whole(m: &Message, b: &[u8]) {
    assert_eq!(m.as_bytes(), b);
    assert_eq!(m.content_length(), Some(m.body().len()));
}

/// Asserts the violation and that its offset lands on `at` in `b`.
fn violation(v: &Violation, b: &[u8], status: u16, section: &str, at: &[u8]) -> Verdict {
    assert_eq!((v.status(), v.section()), (status, section), "{v}");
    assert!(
        b[v.offset()..].starts_with(at),
        "{v}: offset {} holds {:?}",
        v.offset(),
        String::from_utf8_lossy(&b[v.offset()..(v.offset() + 30).min(b.len())])
    );
    Verdict::Reject(status)
}

/// Asserts a parser error and its offset (`at` must start there).
fn parser_reject(b: &[u8], kind: ParseErrorKind, offset: usize, at: &[u8]) -> Verdict {
    let e = parse_err(b);
    assert_eq!(e, ParseError::new(kind, offset));
    assert!(b[e.offset..].starts_with(at), "{e}");
    Verdict::Reject(Violation::from(e).status())
}

// ---------------------------------------------------------------------------------
// 3.1.1 Valid messages

fn wsinv(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(m.method(), Some("INVITE"));
    let r = ruri(&m);
    assert_eq!(r.user(), Some("vivekg"));
    assert!(r.param("unknownparam").is_some());
    // Folded To with a line break right after the colon, spaces around `=`.
    let to = name_addr(&m, HeaderName::To);
    assert_eq!(to.uri().as_str(), "sip:vivekg@chair-dnrc.example.com");
    assert_eq!(to.tag(), Some("1918181833n"));
    let from = name_addr(&m, HeaderName::From);
    assert_eq!(from.display_name(), Some(r#""J Rosenberg \\\"""#));
    assert_eq!(
        from.display_name_unquoted().as_deref(),
        Some(r#"J Rosenberg \""#)
    );
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(max_forwards(&m), 68);
    assert_eq!(call_id(&m), "wsinv.ndaksdj@192.0.2.1");
    assert_eq!(m.content_length(), Some(150));
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 9,
            method: "INVITE"
        }
    );
    let v = vias(&m);
    assert_eq!(
        v.iter()
            .map(|v| (v.transport(), v.host_str()))
            .collect::<Vec<_>>(),
        [
            (ViaTransport::Udp, "192.0.2.2"),
            (ViaTransport::Tcp, "spindle.example.com"),
            (ViaTransport::Udp, "192.168.255.111")
        ]
    );
    assert_eq!(
        branches(&v),
        [
            Some("390skdjuw"),
            Some("z9hG4bK9ikj8"),
            Some("z9hG4bK30239")
        ]
    );
    // `s :` is Subject with an empty value.
    assert_eq!(values(&m, HeaderName::Subject), [""]);
    assert_eq!(
        unknown(&m, "newfangledheader"),
        [&b"newfangled value\r\n continued newfangled value"[..]]
    );
    assert_eq!(
        unknown(&m, "UnknownHeaderWithUnusualValue"),
        [&b";;,,;;,;"[..]]
    );
    let route = NameAddr::parse(one(&m, HeaderName::Route)).expect("route");
    assert!(route.uri().lr());
    assert_eq!(route.uri().params().count(), 3);
    let c = contacts(&m);
    assert_eq!(c.len(), 1);
    assert_eq!(
        c[0].display_name_unquoted().as_deref(),
        Some(r#"Quoted string """#)
    );
    assert_eq!(
        c[0].param("newparam").and_then(|p| p.value),
        Some("newvalue")
    );
    assert!(c[0].param("secondparam").is_some());
    assert_eq!(c[0].q(), Some(330));
    assert!(m.body().starts_with(b"v=0\r\n"));
    checked(&m)
}

fn intmeth(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(m.method(), Some(method));
    let r = ruri(&m);
    assert_eq!(
        r.user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        r.password(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(r.host_str(), Some("example.com"));
    // Quoted-pairs escape BEL, NUL and DEL in the display name.
    let to = name_addr(&m, HeaderName::To);
    assert_eq!(
        to.display_name_unquoted().as_deref(),
        Some("BEL:\u{7} NUL:\0 DEL:\u{7f}")
    );
    assert_eq!(
        to.uri().user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    let from = name_addr(&m, HeaderName::From);
    assert_eq!(from.display_name(), Some("token1~` token2'+_ token3*%!.-"));
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    let p = from.param("fromParam''~+*_!.-%").expect("fromParam");
    assert_eq!(p.unquoted().as_deref(), Some("работающий"));
    assert_eq!(call_id(&m), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 139_122_385,
            method
        }
    );
    assert_eq!(max_forwards(&m), 255);
    assert_eq!(vias(&m)[0].branch(), Some("z9hG4bK-.!%66*_+`'~"));
    assert_eq!(
        unknown(&m, "extensionHeader-!.%*+_`'~"),
        ["\u{feff}\u{5927}\u{505c}\u{96fb}".as_bytes()]
    );
    assert!(m.body().is_empty());
    // An unknown method is syntactically fine: a UAS answers 501 and a proxy forwards,
    // both decisions above these checks.
    checked(&m)
}

fn esc01(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let r = ruri(&m);
    assert_eq!(r.scheme(), Scheme::Sip);
    assert_eq!(r.user(), Some("sips%3Auser%40example.com"));
    assert_eq!(
        r.user_decoded().as_deref(),
        Some(&b"sips:user@example.com"[..])
    );
    assert_eq!(r.host_str(), Some("example.net"));
    let to = name_addr(&m, HeaderName::To);
    assert_eq!(to.uri().user_decoded().as_deref(), Some(&b"user"[..]));
    assert_eq!(to.tag(), None);
    let from = name_addr(&m, HeaderName::From);
    assert_eq!(
        from.uri().user_decoded().as_deref(),
        Some(&b"I have spaces"[..])
    );
    assert_eq!(from.tag(), Some("938"));
    assert_eq!(max_forwards(&m), 87);
    assert_eq!(call_id(&m), "esc01.239409asdfakjkn23onasd0-3234");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 234_234,
            method: "INVITE"
        }
    );
    assert_eq!(branches(&vias(&m)), [Some("z9hG4bKkdjuw")]);
    assert_eq!(values(&m, HeaderName::ContentType), ["application/sdp"]);
    let c = contacts(&m);
    let uri = c[0].uri();
    assert_eq!(uri.user_decoded().as_deref(), Some(&b"caller"[..]));
    // URI parameters compare after unescaping (RFC 3261 19.1.4).
    let params: Vec<(Vec<u8>, Option<Vec<u8>>)> = uri
        .params()
        .map(|p| (decoded(p.name), p.value.map(decoded)))
        .collect();
    assert_eq!(
        params,
        [
            (b"lr".to_vec(), None),
            (b"name".to_vec(), Some(b"value%41".to_vec()))
        ]
    );
    assert_eq!(m.body().len(), 150);
    checked(&m)
}

fn escnull(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(m.method(), Some("REGISTER"));
    // %00 decodes to a NUL without truncating what follows it.
    let to = name_addr(&m, HeaderName::To);
    assert_eq!(
        to.uri().user_decoded().as_deref(),
        Some(&b"null-\0-null"[..])
    );
    let from = name_addr(&m, HeaderName::From);
    assert_eq!(
        from.uri().user_decoded().as_deref(),
        Some(&b"null-\0-null"[..])
    );
    assert_eq!(from.tag(), Some("839923423"));
    assert_eq!(max_forwards(&m), 70);
    assert_eq!(call_id(&m), "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 14_398_234,
            method: "REGISTER"
        }
    );
    let users: Vec<Vec<u8>> = contacts(&m)
        .iter()
        .map(|c| c.uri().user_decoded().expect("user").into_owned())
        .collect();
    assert_eq!(users, [b"\0".to_vec(), b"\0\0".to_vec()]);
    assert_eq!(m.content_length(), Some(0));
    checked(&m)
}

fn esc02(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    // `%` outside a URI is literal: this is not REGISTER.
    assert_eq!(m.method(), Some("RE%47IST%45R"));
    assert_ne!(m.method(), Some("REGISTER"));
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 29_344,
            method: "RE%47IST%45R"
        }
    );
    for h in [HeaderName::To, HeaderName::From] {
        assert_eq!(
            name_addr(&m, h).display_name_unquoted().as_deref(),
            Some("%Z%45")
        );
    }
    assert_eq!(name_addr(&m, HeaderName::From).tag(), Some("f232jadfj23"));
    assert_eq!(call_id(&m), "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf");
    assert_eq!(branches(&vias(&m)), [Some("z9hG4bK209%fzsnel234")]);
    assert_eq!(max_forwards(&m), 70);
    // `C%6Fntact` is an unknown header, not Contact: two Contact values.
    let hosts: Vec<_> = contacts(&m).iter().map(|c| c.uri().host_str()).collect();
    assert_eq!(
        hosts,
        [Some("host1.example.com"), Some("host3.example.com")]
    );
    assert_eq!(
        unknown(&m, "C%6Fntact"),
        [&b"<sip:alias2@host2.example.com>"[..]]
    );
    checked(&m)
}

fn lwsdisp(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let from = name_addr(&m, HeaderName::From);
    assert_eq!(from.display_name(), Some("caller"));
    assert_eq!(from.uri().as_str(), "sip:caller@example.com");
    assert_eq!(from.tag(), Some("323"));
    assert_eq!(call_id(&m), "lwsdisp.1234abcd@funky.example.com");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 60,
            method: "OPTIONS"
        }
    );
    assert_eq!(branches(&vias(&m)), [Some("z9hG4bKkdjuw")]);
    checked(&m)
}

fn longreq(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let to = name_addr(&m, HeaderName::To);
    let dn = to.display_name_unquoted().expect("display name");
    assert!(dn.starts_with("I have a user name of extremeextreme"));
    assert!(dn.ends_with(" proportion"));
    assert_eq!(to.uri().port(), Some(6000));
    assert_eq!(to.uri().params().count(), 3);
    assert!(to.uri().param("unknownparam1").is_some_and(|p| {
        p.value
            .is_some_and(|v| v.starts_with("verylonglong") && v.ends_with("longvalue"))
    }));
    let from = name_addr(&m, HeaderName::From);
    let tag = from.tag().expect("tag");
    assert_eq!(tag.len(), 155);
    assert!(tag.starts_with("1298298298") && tag.ends_with("2424"));
    assert_eq!(from.params().count(), 3);
    assert_eq!(
        from.uri().user().map(str::len),
        Some(5 * "amazinglylongcallername".len())
    );
    assert!(call_id(&m).starts_with("longreq.onereally") && call_id(&m).ends_with("longcallid"));
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 3_882_340,
            method: "INVITE"
        }
    );
    // Every spelling of Via (long, compact, any case, white space before the colon).
    let v = vias(&m);
    let mut hosts: Vec<String> = (1..=33)
        .rev()
        .map(|n| format!("sip{n}.example.com"))
        .collect();
    hosts.push("host.example.com".into());
    assert_eq!(v.iter().map(Via::host_str).collect::<Vec<_>>(), hosts);
    assert!(
        v[..33]
            .iter()
            .all(|v| v.transport() == ViaTransport::Tcp && v.branch().is_none())
    );
    let last = v[33];
    assert_eq!(last.received(), Some("192.0.2.5"));
    assert!(last.branch().is_some_and(|b| b.len() > 200));
    let name = "Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name";
    let unk = unknown(&m, name);
    assert_eq!(unk.len(), 1);
    assert!(unk[0].starts_with(b"unknown-longlong") && unk[0].ends_with(b"-parameter-value"));
    assert_eq!(max_forwards(&m), 70);
    let c = contacts(&m);
    assert_eq!(c[0].uri().host_str(), Some("host5.example.net"));
    assert_eq!(m.body().len(), 150);
    checked(&m)
}

fn dblreq(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(m.method(), Some("REGISTER"));
    assert_eq!(m.content_length(), Some(0));
    assert!(m.body().is_empty());
    // The INVITE after the announced body is not part of this datagram's message.
    let rest = &b[m.as_bytes().len()..];
    let at = rest
        .iter()
        .position(|&c| c != b'\r' && c != b'\n')
        .expect("more");
    assert!(rest[at..].starts_with(b"INVITE sip:joe@example.com SIP/2.0\r\n"));
    assert_eq!(call_id(&m), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
    assert_eq!(name_addr(&m, HeaderName::From).tag(), Some("43251j3j324"));
    assert_eq!(max_forwards(&m), 8);
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 8,
            method: "REGISTER"
        }
    );
    assert_eq!(branches(&vias(&m)), [Some("z9hG4bKkdjuw23492")]);
    assert_eq!(
        contacts(&m)[0].uri().as_str(),
        "sip:j.user@host.example.com"
    );
    checked(&m)
}

fn semiuri(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    // The semicolon and the escaped `@` belong to the user part, not URI parameters.
    let r = ruri(&m);
    assert_eq!(r.user(), Some("user;par=u%40example.net"));
    assert_eq!(
        r.user_decoded().as_deref(),
        Some(&b"user;par=u@example.net"[..])
    );
    assert_eq!(r.host_str(), Some("example.com"));
    assert_eq!(r.params().count(), 0);
    assert_eq!(name_addr(&m, HeaderName::From).tag(), Some("33242"));
    assert_eq!(max_forwards(&m), 3);
    assert_eq!(call_id(&m), "semiuri.0ha0isndaksdj");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 8,
            method: "OPTIONS"
        }
    );
    let accept: Vec<_> = unknown(&m, "Accept")
        .iter()
        .flat_map(|v| split_list(std::str::from_utf8(v).expect("utf-8")).map(|(_, t)| t))
        .collect();
    assert_eq!(accept.len(), 6);
    assert_eq!(accept[5], "message/sipfrag");
    checked(&m)
}

fn transports(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let v = vias(&m);
    assert_eq!(
        v.iter().map(Via::transport).collect::<Vec<_>>(),
        [
            ViaTransport::Udp,
            ViaTransport::Sctp,
            ViaTransport::Tls,
            ViaTransport::Other("UNKNOWN"),
            ViaTransport::Tcp
        ]
    );
    assert_eq!(v[3].host_str(), "t4.example.com");
    assert!(v.iter().all(Via::has_rfc3261_branch));
    assert_eq!(call_id(&m), "transports.kijh4akdnaqjkwendsasfdj");
    checked(&m)
}

fn mpart01(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(m.method(), Some("MESSAGE"));
    let v = vias(&m);
    assert_eq!(
        (v[0].host_str(), v[0].port(), v[0].rport()),
        ("127.0.0.1", Some(5070), Some(None))
    );
    let ct = ContentType::parse(one(&m, HeaderName::ContentType)).expect("content-type");
    assert!(ct.is("multipart", "mixed"));
    assert_eq!(
        ct.param("boundary").and_then(|p| p.value),
        Some("7a9cbec02ceef655")
    );
    // The body is opaque: binary part with NULs and bare CR/LF, framed by length only.
    assert_eq!(m.body().len(), 553);
    assert!(m.body().contains(&0));
    assert!(m.body().ends_with(b"--7a9cbec02ceef655--\r\n"));
    assert_eq!(name_addr(&m, HeaderName::From).tag(), Some("2fb0dcc9"));
    assert_eq!(call_id(&m), "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 1,
            method: "MESSAGE"
        }
    );
    assert_eq!(values(&m, HeaderName::Identity).len(), 1);
    checked(&m)
}

fn unreason(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(m.status(), Some(200));
    let reason = m.reason().expect("response");
    let line_end = b.windows(2).position(|w| w == b"\r\n").expect("line");
    assert_eq!(reason, &b[b"SIP/2.0 200 ".len()..line_end]);
    let text = std::str::from_utf8(reason).expect("UTF-8 reason");
    assert!(text.starts_with("= 2**3 * 5**2 \u{43d}\u{43e} "));
    assert_eq!(name_addr(&m, HeaderName::To).tag(), Some("2229"));
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 35,
            method: "INVITE"
        }
    );
    assert_eq!(branches(&vias(&m)), [Some("z9hG4bK1324923")]);
    assert_eq!(m.body().len(), 154);
    checked(&m)
}

fn noreason(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(m.status(), Some(100));
    assert_eq!(m.reason(), Some(&b""[..]));
    assert_eq!(name_addr(&m, HeaderName::To).tag(), Some("902jndnke3"));
    assert_eq!(call_id(&m), "noreason.asndj203insdf99223ndf");
    checked(&m)
}

// ---------------------------------------------------------------------------------
// 3.1.2 Invalid messages

/// Stray `;` and `,` with no parameters in Via and Contact: the first broken header in
/// check order (Via) is reported, 400.
fn badinv01(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert!(NameAddr::parse(one(&m, HeaderName::Contact)).is_err());
    let v = check_request(&m).expect_err("invalid");
    assert!(
        matches!(v, Violation::Malformed { header: "Via", .. }),
        "{v}"
    );
    violation(&v, b, 400, "20.42", b";,;,,")
}

/// Content-Length 9999 with 154 body bytes: as a datagram the message is truncated, 400;
/// on a stream the framer waits for more bytes (a timeout then closes the connection).
fn clerr(b: &[u8]) -> Verdict {
    assert_eq!(frame(b, &Limits::DEFAULT), Ok(Frame::Partial));
    parser_reject(
        b,
        ParseErrorKind::BodyTruncated {
            declared: 9999,
            available: 154,
        },
        b.len(),
        b"",
    )
}

/// Negative Content-Length: rejected by the parser (400 over UDP); on a stream the
/// framing is lost and the framer errors, so the connection is closed.
fn ncl(b: &[u8]) -> Verdict {
    assert!(frame(b, &Limits::DEFAULT).is_err());
    parser_reject(b, ParseErrorKind::InvalidContentLength, 326, b"-999")
}

/// CSeq above 2^31-1: 400 (RFC 3261 8.1.1.5). Max-Forwards 300 and the huge Expires
/// are refused by their typed parsers too; the Contact `expires` parameter saturates.
fn scalar02(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert!(parse_max_forwards(one(&m, HeaderName::MaxForwards)).is_err());
    assert!(parse_expires(one(&m, HeaderName::Expires)).is_err());
    assert_eq!(contacts(&m)[0].expires(), Some(u32::MAX));
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(
        v,
        Violation::Malformed {
            header: "CSeq",
            error: ParseError {
                kind: ParseErrorKind::NumberOutOfRange("CSeq"),
                ..
            },
            ..
        }
    ));
    violation(&v, b, 400, "8.1.1.5", b"36893488147419103232 ")
}

/// A response with an overlarge CSeq: parsed without breaking, then discarded by the
/// response check (a response is never answered). Retry-After and the 4-digit Warning
/// are not interpreted and stay verbatim.
fn scalarlg(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(m.status(), Some(503));
    assert_eq!(
        unknown(&m, "Retry-After"),
        [&b"949302838503028349304023988"[..]]
    );
    assert_eq!(
        unknown(&m, "Warning"),
        [&b"1812 overture \"In Progress\""[..]]
    );
    let v = check_response(&m).expect_err("invalid");
    violation(&v, b, 400, "8.1.1.5", b"9292394834772304023312 ")
}

/// Unterminated quoted display name in To: 400; no closing quote is inferred.
fn quotbal(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(
        v,
        Violation::Malformed {
            header: "To",
            error: ParseError {
                kind: ParseErrorKind::Expected("closing quote"),
                ..
            },
            ..
        }
    ));
    // The scan runs to the end of the To value without finding the quote.
    violation(&v, b, 400, "20.39", b"\r\nFrom:")
}

/// Request-URI in `< >`: the parser wants a scheme where `<` stands, 400.
fn ltgtruri(b: &[u8]) -> Verdict {
    parser_reject(
        b,
        ParseErrorKind::Expected("absolute Request-URI starting with a scheme"),
        7,
        b"<sip:",
    )
}

/// Request-URI with embedded white space: the URI ends at the first SP, so `lr` is
/// read where SIP-Version must be, 400.
fn lwsruri(b: &[u8]) -> Verdict {
    parser_reject(
        b,
        ParseErrorKind::Expected("SIP-Version"),
        29,
        b"lr SIP/2.0",
    )
}

/// Two SPs after the method: the Request-URI would be empty, 400.
fn lwsstart(b: &[u8]) -> Verdict {
    parser_reject(b, ParseErrorKind::Expected("Request-URI"), 7, b" sip:")
}

/// SP after SIP-Version: trailing bytes on the request line, 400.
fn trws(b: &[u8]) -> Verdict {
    parser_reject(b, ParseErrorKind::Trailing("SIP-Version"), 45, b"  \r\n")
}

/// `?Route=...` in the Request-URI: 400 (RFC 3261 19.1.5), not silently ignored.
fn escruri(b: &[u8]) -> Verdict {
    let m = parse(b);
    let r = ruri(&m);
    assert_eq!(r.headers().map(|p| p.name).collect::<Vec<_>>(), ["Route"]);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::RequestUriHeaders { .. }));
    violation(&v, b, 400, "19.1.5", b"?Route=")
}

/// Date in EST: the edge never reads Date, so it ignores it and forwards the value
/// verbatim (the manifest allows this for elements that do not use Date).
fn baddate(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(unknown(&m, "Date"), [&b"Fri, 01 Jan 2010 16:00:00 EST"[..]]);
    checked(&m);
    Verdict::Flag
}

/// Contact URI with `?headers` outside `< >`: 400; no brackets are inferred.
fn regbadct(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(
        v,
        Violation::Malformed {
            header: "Contact",
            ..
        }
    ));
    violation(&v, b, 400, "20.10", b"?Route=")
}

/// Spaces inside `< >` in To: the parser does not break and reports the space, 400.
fn badaspec(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::Malformed { header: "To", .. }));
    violation(&v, b, 400, "20.39", b" sip:t.watson")
}

/// Unquoted display names with a comma in From and To.
///
/// The archive copy ends with `l: 0` CRLF and has no empty line closing the header
/// section. As a datagram that is an incomplete message: the parser cannot tell
/// whether `l: 0` continues on a folded line, reports `Incomplete` at the end of the
/// input, and the datagram is dropped or answered 400. With the final CRLF that later
/// copies add, the message parses and the From check rejects `Bell,` as an addr-spec
/// (a comma is not a token, so it cannot be a display name), 400.
fn baddn(b: &[u8]) -> Verdict {
    assert!(b.ends_with(b"l: 0\r\n") && !b.ends_with(b"\r\n\r\n"));
    parser_reject(b, ParseErrorKind::Incomplete("header line"), b.len(), b"");
    let mut fixed = b.to_vec();
    fixed.extend_from_slice(b"\r\n");
    let m = parse(&fixed);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::Malformed { header: "From", .. }));
    assert!(NameAddr::parse(one(&m, HeaderName::To)).is_err());
    violation(&v, &fixed, 400, "20.20", b"Bell, Alexander")
}

/// SIP/7.0: the parser names the version, which maps to 505.
fn badvers(b: &[u8]) -> Verdict {
    let v = parser_reject(b, ParseErrorKind::UnsupportedVersion, 33, b"SIP/7.0");
    assert_eq!(v, Verdict::Reject(505));
    assert_eq!(Violation::from(parse_err(b)).section(), "21.5.7");
    v
}

/// OPTIONS with CSeq method INVITE: 400.
fn mismatch01(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::CSeqMethodMismatch { .. }));
    violation(&v, b, 400, "8.1.1.5", b"INVITE\r\n")
}

/// Unknown method NEWMETHOD with CSeq INVITE: the wire-level check cannot know which
/// methods the application supports, so it answers 400 for the mismatch (the manifest
/// accepts 400 as well as 501).
fn mismatch02(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(m.method(), Some("NEWMETHOD"));
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::CSeqMethodMismatch { .. }));
    violation(&v, b, 400, "8.1.1.5", b"INVITE\r\n")
}

/// Status code 4294967301: not three digits, so the parser refuses it without
/// overflowing; the response is dropped.
fn bigcode(b: &[u8]) -> Verdict {
    parser_reject(b, ParseErrorKind::InvalidStatusCode, 8, b"4294967301")
}

// ---------------------------------------------------------------------------------
// 3.2 Transaction layer

/// Branch is the bare magic cookie: syntactically legal, so it parses and passes the
/// checks; flagged because it identifies no transaction (a transaction layer would
/// fall back to RFC 2543 matching; this edge keeps no server transactions).
fn badbranch(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let v = vias(&m);
    assert_eq!(v[0].branch(), Some("z9hG4bK"));
    assert_eq!(v[0].branch().map(|b| b.len() - "z9hG4bK".len()), Some(0));
    checked(&m);
    Verdict::Flag
}

// ---------------------------------------------------------------------------------
// 3.3 Application layer

/// No Call-ID, From or To: 400 naming the first missing header, offset at the end of
/// the header section.
fn insuf(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::Missing { header: "To", .. }));
    assert_eq!(v.offset(), m.head_end());
    violation(&v, b, 400, "8.1.1", b"\r\nv=0")
}

/// Unknown Request-URI scheme: 416, not routed on To.
fn unkscm(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(ruri(&m).scheme(), Scheme::Other("nobodyKnowsThisScheme"));
    let v = check_request(&m).expect_err("unsupported");
    assert!(matches!(v, Violation::UnsupportedScheme { .. }));
    violation(&v, b, 416, "8.2.2.1", b"nobodyKnowsThisScheme:")
}

/// `soap.beep` Request-URI: never acceptable here, 416.
fn novelsc(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(ruri(&m).scheme(), Scheme::Other("soap.beep"));
    let v = check_request(&m).expect_err("unsupported");
    violation(&v, b, 416, "8.2.2.1", b"soap.beep://")
}

/// Non-SIP URIs in To, From and Contact: legal syntax and a SIP Request-URI, so the
/// checks pass; flagged because a registrar (the S-CSCF behind this edge) rejects a
/// non-SIP AOR with 400.
fn unksm2(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(
        name_addr(&m, HeaderName::To).uri().scheme(),
        Scheme::Other("isbn")
    );
    assert_eq!(
        name_addr(&m, HeaderName::From).uri().scheme(),
        Scheme::Other("http")
    );
    assert_eq!(name_addr(&m, HeaderName::From).tag(), Some("3234233"));
    assert_eq!(contacts(&m)[0].uri().as_str(), "name:John_Smith");
    checked(&m);
    Verdict::Flag
}

/// Unknown option tags: a proxy supporting none of them answers 420 for
/// Proxy-Require (offset at the first tag); Require is for the UAS, not the proxy.
fn bext01(b: &[u8]) -> Verdict {
    let m = parse(b);
    let require = TokenList::parse(one(&m, HeaderName::Require), "option-tag").expect("tags");
    assert_eq!(
        require.iter().collect::<Vec<_>>(),
        ["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    assert_eq!(check_request(&m).map(|_| ()), Ok(()));
    assert_eq!(
        check_proxy_request(&m, &["noProxiesSupportThis", "norDoAnyProxiesSupportThis"])
            .map(|_| ()),
        Ok(())
    );
    let v = check_proxy_request(&m, &[]).expect_err("420");
    assert!(matches!(v, Violation::BadExtension { .. }));
    violation(&v, b, 420, "16.3", b"noProxiesSupportThis")
}

/// Unknown body type: a proxy forwards it (a UAS would answer 415).
fn invut(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let ct = ContentType::parse(one(&m, HeaderName::ContentType)).expect("content-type");
    assert!(ct.is("application", "unknownformat"));
    assert_eq!(m.body().len(), 40);
    checked(&m)
}

/// Authorization with an unknown scheme: parsed generically and forwarded unchanged.
fn regaut01(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let cred = Credentials::parse(one(&m, HeaderName::Authorization)).expect("credentials");
    assert_eq!(cred.scheme_str(), "NoOneKnowsThisScheme");
    assert_eq!(cred.bearer_token(), None);
    assert_eq!(
        cred.param("opaque-data").and_then(|p| p.value),
        Some("here")
    );
    checked(&m)
}

/// Two Call-ID, To, From, Max-Forwards and CSeq fields: 400, naming the first
/// repeated header in check order (To), offset at its second occurrence.
fn multi01(b: &[u8]) -> Verdict {
    let m = parse(b);
    let v = check_request(&m).expect_err("invalid");
    assert!(matches!(v, Violation::Repeated { header: "To", .. }));
    for h in [
        HeaderName::CallId,
        HeaderName::CSeq,
        HeaderName::From,
        HeaderName::MaxForwards,
    ] {
        assert_eq!(m.find(h).count(), 2);
    }
    violation(&v, b, 400, "7.3.1", b"To: sip:other@example.net")
}

/// Two different Content-Length values: the body cannot be framed, so the parser
/// refuses the message (drop the datagram, close a stream).
fn mcl01(b: &[u8]) -> Verdict {
    assert!(frame(b, &Limits::DEFAULT).is_err());
    parser_reject(
        b,
        ParseErrorKind::ConflictingContentLength,
        268,
        b"Content-Length: 5",
    )
}

/// 200 OK whose second Via is the broadcast address: well formed, so the response
/// check passes; flagged because the relay must drop it rather than send it there.
fn bcast(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let v = vias(&m);
    assert_eq!(v[1].host(), Host::Ipv4(Ipv4Addr::BROADCAST));
    checked(&m);
    Verdict::Flag
}

/// Max-Forwards 0: fine for an endpoint, 483 for a proxy.
fn zeromf(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(max_forwards(&m), 0);
    assert_eq!(check_request(&m).map(|_| ()), Ok(()));
    let v = check_proxy_request(&m, &[]).expect_err("483");
    assert!(matches!(v, Violation::TooManyHops { .. }));
    violation(&v, b, 483, "16.3", b"0\r\n")
}

/// Unbracketed Contact: `unknownparam` is a contact parameter, not a URI parameter.
fn cparam01(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let c = contacts(&m);
    assert!(!c[0].is_bracketed());
    assert_eq!(c[0].uri().as_str(), "sip:+19725552222@gw1.example.net");
    assert_eq!(c[0].uri().params().count(), 0);
    assert!(c[0].param("unknownparam").is_some());
    assert_eq!(
        name_addr(&m, HeaderName::From).tag(),
        Some("DkfVgjkrtMwaerKKpe")
    );
    checked(&m)
}

/// Bracketed Contact: `unknownparam` is a URI parameter and stays in the binding.
fn cparam02(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let c = contacts(&m);
    assert!(c[0].is_bracketed());
    assert!(c[0].uri().param("unknownparam").is_some());
    assert_eq!(c[0].params().count(), 0);
    assert_eq!(
        c[0].uri().as_str(),
        "sip:+19725552222@gw1.example.net;unknownparam"
    );
    checked(&m)
}

/// Bracketed Contact with an escaped Route header: legal, kept in the binding.
fn regescrt(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    let c = contacts(&m);
    let h: Vec<_> = c[0].uri().headers().collect();
    assert_eq!(h.len(), 1);
    assert!(h[0].is("Route"));
    assert_eq!(
        h[0].value.map(decoded).as_deref(),
        Some(&b"<sip:sip.example.com>"[..])
    );
    checked(&m)
}

/// Accept lists only an unknown type: a UAS answers 406; a proxy forwards.
fn sdp01(b: &[u8]) -> Verdict {
    let m = parse(b);
    whole(&m, b);
    assert_eq!(unknown(&m, "Accept"), [&b"text/nobodyKnowsThis"[..]]);
    checked(&m)
}

// ---------------------------------------------------------------------------------
// 3.4 Backward compatibility

/// RFC 2543 INVITE: no branch, no From tag, no Max-Forwards, no Content-Length (the
/// body is the rest of the datagram). Accepted.
fn inv2543(b: &[u8]) -> Verdict {
    let m = parse(b);
    assert_eq!(m.as_bytes(), b);
    assert_eq!(m.content_length(), None);
    assert_eq!(m.body().len(), 105);
    assert!(m.body().starts_with(b"v=0\r\n"));
    assert_eq!(vias(&m)[0].branch(), None);
    assert_eq!(name_addr(&m, HeaderName::From).tag(), None);
    assert_eq!(m.find(HeaderName::MaxForwards).count(), 0);
    let to = name_addr(&m, HeaderName::To);
    assert_eq!(to.param("user").map(|p| p.value), Some(Some("phone")));
    let rr = NameAddr::parse(one(&m, HeaderName::RecordRoute)).expect("record-route");
    assert_eq!(
        rr.uri().param("maddr").and_then(|p| p.value),
        Some("ss1.example.com")
    );
    assert_eq!(
        cseq(&m),
        CSeq {
            seq: 56,
            method: "INVITE"
        }
    );
    checked(&m)
}

// ---------------------------------------------------------------------------------

fn run(name: &str, b: &[u8]) -> Option<Verdict> {
    let f: fn(&[u8]) -> Verdict = match name {
        "wsinv.dat" => wsinv,
        "intmeth.dat" => intmeth,
        "esc01.dat" => esc01,
        "escnull.dat" => escnull,
        "esc02.dat" => esc02,
        "lwsdisp.dat" => lwsdisp,
        "longreq.dat" => longreq,
        "dblreq.dat" => dblreq,
        "semiuri.dat" => semiuri,
        "transports.dat" => transports,
        "mpart01.dat" => mpart01,
        "unreason.dat" => unreason,
        "noreason.dat" => noreason,
        "badinv01.dat" => badinv01,
        "clerr.dat" => clerr,
        "ncl.dat" => ncl,
        "scalar02.dat" => scalar02,
        "scalarlg.dat" => scalarlg,
        "quotbal.dat" => quotbal,
        "ltgtruri.dat" => ltgtruri,
        "lwsruri.dat" => lwsruri,
        "lwsstart.dat" => lwsstart,
        "trws.dat" => trws,
        "escruri.dat" => escruri,
        "baddate.dat" => baddate,
        "regbadct.dat" => regbadct,
        "badaspec.dat" => badaspec,
        "baddn.dat" => baddn,
        "badvers.dat" => badvers,
        "mismatch01.dat" => mismatch01,
        "mismatch02.dat" => mismatch02,
        "bigcode.dat" => bigcode,
        "badbranch.dat" => badbranch,
        "insuf.dat" => insuf,
        "unkscm.dat" => unkscm,
        "novelsc.dat" => novelsc,
        "unksm2.dat" => unksm2,
        "bext01.dat" => bext01,
        "invut.dat" => invut,
        "regaut01.dat" => regaut01,
        "multi01.dat" => multi01,
        "mcl01.dat" => mcl01,
        "bcast.dat" => bcast,
        "zeromf.dat" => zeromf,
        "cparam01.dat" => cparam01,
        "cparam02.dat" => cparam02,
        "regescrt.dat" => regescrt,
        "sdp01.dat" => sdp01,
        "inv2543.dat" => inv2543,
        _ => return None,
    };
    Some(f(b))
}

#[test]
fn every_torture_message() {
    let rows = manifest();
    assert_eq!(rows.len(), 49, "manifest rows");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(on_disk, listed, "corpus files and manifest rows differ");

    let mut visited = BTreeSet::new();
    let mut failures = Vec::new();
    for row in &rows {
        let bytes = std::fs::read(dir().join(&row.name)).expect("message");
        let outcome = std::panic::catch_unwind(|| run(&row.name, &bytes));
        let verdict = match outcome {
            Ok(Some(v)) => v,
            Ok(None) => {
                failures.push(format!("{}: no test", row.name));
                continue;
            }
            Err(_) => {
                failures.push(format!(
                    "{} (RFC 4475 {}): assertion failed",
                    row.name, row.section
                ));
                continue;
            }
        };
        let consistent = match row.class.as_str() {
            "valid" | "backward-compat" => verdict == Verdict::Accept,
            "invalid" => verdict != Verdict::Accept,
            "transaction-layer" | "application-layer" => true,
            other => {
                failures.push(format!("{}: unknown class {other}", row.name));
                continue;
            }
        };
        if !consistent {
            failures.push(format!("{}: {verdict:?} for class {}", row.name, row.class));
        }
        visited.insert(row.name.clone());
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(visited.len(), 49);
    assert_eq!(visited, listed);
}

/// The corpus is the bit-exact archive: `SHA256SUMS` lists the 49 files.
#[test]
fn checksums_list_every_file() {
    let sums = std::fs::read_to_string(dir().join("SHA256SUMS")).expect("sums");
    let names: BTreeSet<&str> = sums
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|n| n.trim_start_matches('*'))
        .collect();
    let rows = manifest();
    assert_eq!(names.len(), 49);
    assert!(rows.iter().all(|r| names.contains(r.name.as_str())));
}
