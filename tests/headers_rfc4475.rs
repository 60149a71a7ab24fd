//! Every header value of the RFC 4475 torture messages through the typed parsers, and
//! the same for the sample REGISTER and 200 OK: which values must parse, which must be
//! refused, and what the tricky ones read as.

use std::collections::BTreeSet;

use sip_oauth::message::ParseError;
use sip_oauth::message::header::{
    Allow, CSeq, Challenge, ChargingVector, Contact, ContentType, Credentials, NameAddr,
    OptionTags, Via, VisitedNetwork, parse_call_id, parse_content_length, parse_expires,
    parse_max_forwards,
};

/// The header fields of a header section: `(name, raw value)`, folds kept in the value.
fn fields(section: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut lines = section.split("\r\n").skip(1).peekable();
    let mut start = None;
    // Track byte positions to return borrowed values spanning folded lines.
    let base = section.as_ptr() as usize;
    while let Some(line) = lines.next() {
        let line_start = line.as_ptr() as usize - base;
        if start.is_none() {
            start = Some(line_start);
        }
        let mut end = line_start + line.len();
        while lines
            .peek()
            .is_some_and(|l| l.starts_with(' ') || l.starts_with('\t'))
        {
            let next = lines.next().unwrap_or_default();
            end = next.as_ptr() as usize - base + next.len();
        }
        let field = &section[start.take().unwrap_or(0)..end];
        if let Some((name, value)) = field.split_once(':') {
            out.push((name.trim_end_matches([' ', '\t']), value));
        }
    }
    out
}

/// Parses `value` as header `name` demands; `None` for headers without a typed parser.
fn check(name: &str, value: &str) -> Option<Result<(), ParseError>> {
    fn all<T>(mut it: impl Iterator<Item = Result<T, ParseError>>) -> Result<(), ParseError> {
        it.try_for_each(|r| r.map(|_| ()))
    }
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "via" | "v" => all(Via::parse_list(value)),
        "from" | "f" | "to" | "t" => NameAddr::parse(value).map(|_| ()),
        "contact" | "m" => all(Contact::parse_list(value)),
        "route"
        | "record-route"
        | "path"
        | "service-route"
        | "p-associated-uri"
        | "p-asserted-identity" => all(NameAddr::parse_list(value)),
        "cseq" => CSeq::parse(value).map(|_| ()),
        "max-forwards" => parse_max_forwards(value).map(|_| ()),
        "expires" => parse_expires(value).map(|_| ()),
        "content-length" | "l" => parse_content_length(value).map(|_| ()),
        "call-id" | "i" => parse_call_id(value).map(|_| ()),
        "content-type" | "c" => ContentType::parse(value).map(|_| ()),
        "accept" => all(ContentType::parse_list(value)),
        "require" | "proxy-require" | "supported" | "k" | "unsupported" => {
            OptionTags::parse(value).map(|_| ())
        }
        "allow" => Allow::parse(value).map(|_| ()),
        "p-charging-vector" => ChargingVector::parse(value).map(|_| ()),
        "p-visited-network-id" => all(VisitedNetwork::parse_list(value)),
        "authorization" | "proxy-authorization" => Credentials::parse(value).map(|_| ()),
        "www-authenticate" | "proxy-authenticate" => Challenge::parse(value).map(|_| ()),
        _ => return None,
    })
}

#[test]
fn torture_messages_fail_exactly_where_expected() {
    let mut failures = BTreeSet::new();
    let mut checked = 0;
    for (msg, section) in MESSAGES {
        for (name, value) in fields(section) {
            if let Some(r) = check(name, value) {
                checked += 1;
                if let Err(e) = r {
                    assert!(e.offset <= value.len(), "{msg} {name}: offset {}", e.offset);
                    failures.insert(format!("{msg}: {name}"));
                }
            }
        }
    }
    let expected: BTreeSet<String> = [
        // RFC 4475 3.1.2.8: Max-Forwards 300 and a 101-digit Expires are out of range,
        // and the CSeq number exceeds 2^31-1.
        "scalar02: CSeq",
        "scalar02: Max-Forwards",
        "scalar02: Expires",
        // 3.1.2.9: CSeq above 2^31-1 in a response.
        "scalarlg: CSeq",
        // 3.1.2.7: negative Content-Length.
        "ncl: Content-Length",
        // 3.1.2.3: stray semicolons and commas.
        "badinv01: Via",
        "badinv01: Contact",
        // 3.1.2.12: unterminated quoted display name.
        "quotbal: To",
        // 3.1.2.16: unquoted display names with commas.
        "baddn: From",
        "baddn: To",
        // 3.1.2.15: white space inside the addr-spec.
        "badaspec: To",
        // 3.1.2.17: escaped headers in an unbracketed Contact URI.
        "regbadct: Contact",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(failures, expected);
    assert!(checked > 400, "only {checked} values checked");
}

fn value_of(msg: &str, header: &str) -> &'static str {
    let section = MESSAGES
        .iter()
        .find(|(n, _)| *n == msg)
        .map(|(_, s)| *s)
        .unwrap_or_default();
    fields(section)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(header))
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[test]
fn tricky_values_read_right() {
    // wsinv: folded Via with LWS around every slash, two via-parms on one line.
    let vias: Vec<_> = Via::parse_list(value_of("wsinv", "v"))
        .collect::<Result<_, _>>()
        .expect("valid");
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[1].1.branch(), Some("z9hG4bK30239"));
    assert_eq!(
        CSeq::parse(value_of("wsinv", "cseq")).map(|c| (c.seq, c.method)),
        Ok((9, "INVITE"))
    );
    assert_eq!(
        parse_max_forwards(value_of("wsinv", "MaX-fOrWaRdS")),
        Ok(68)
    );
    let m = NameAddr::parse(value_of("wsinv", "m")).expect("valid");
    assert_eq!(
        m.display_name_unquoted().as_deref(),
        Some("Quoted string \"\"")
    );
    assert_eq!(m.q(), Some(330));
    // longreq: long values and many list items survive intact.
    let to = NameAddr::parse(value_of("longreq", "To")).expect("valid");
    assert_eq!(to.uri().params().count(), 3);
    assert_eq!(to.uri().port(), Some(6000));
    let via_count: usize = fields(
        MESSAGES
            .iter()
            .find(|(n, _)| *n == "longreq")
            .map_or("", |m| m.1),
    )
    .iter()
    .filter(|(n, _)| n.eq_ignore_ascii_case("via") || n.eq_ignore_ascii_case("v"))
    .map(|(_, v)| Via::parse_list(v).count())
    .sum();
    assert!(via_count >= 30, "{via_count}");
    // escnull: NULs decoded without truncation.
    let c = Contact::parse(value_of("escnull", "Contact")).expect("valid");
    assert_eq!(
        c.addr().and_then(|a| a.uri().user_decoded()).as_deref(),
        Some(&b"\0"[..])
    );
    // unksm2, regaut01
    assert!(NameAddr::parse(value_of("unksm2", "To")).is_ok());
    let a = Credentials::parse(value_of("regaut01", "Authorization")).expect("valid");
    assert_eq!(a.scheme_str(), "NoOneKnowsThisScheme");
    // transports: the unknown transport is kept.
    assert!(
        fields(
            MESSAGES
                .iter()
                .find(|(n, _)| *n == "transports")
                .map_or("", |m| m.1)
        )
        .iter()
        .filter(|(n, _)| *n == "Via")
        .filter_map(|(_, v)| Via::parse(v).ok())
        .any(|v| v.transport().as_str() == "UNKNOWN")
    );
}

const REGISTER: &str = concat!(
    "REGISTER sip:ims.mnc001.mcc001.3gppnetwork.org SIP/2.0\r\n",
    "Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport\r\n",
    "Max-Forwards: 70\r\n",
    "To: \"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>\r\n",
    "From: \"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=t0b1bq4r\r\n",
    "Call-ID: 3mq0v1ccpo3db3lr8v9tqk\r\n",
    "CSeq: 1 REGISTER\r\n",
    "Contact: <sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;reg-id=1;+sip.instance=\"<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>\";expires=3600\r\n",
    "Expires: 3600\r\n",
    "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IndhZi0yMDI2LTExIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL3dhZi5vcGVyYXRvci5leGFtcGxlIiwic3ViIjoiYm9iIiwiYXVkIjoic2lwOmltcy5tbmMwMDEubWNjMDAxLjNncHBuZXR3b3JrLm9yZyIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzk1NDgwMDAwLCJzY29wZSI6InNpcDpyZWdpc3RlciJ9.c2lnbmF0dXJlLW5vdC12YWxpZC1pbi10aGlzLXNhbXBsZS1vbmx5LXNoYXBlLW1hdHRlcnM\r\n",
    "Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY,SUBSCRIBE\r\n",
    "Supported: path,gruu,outbound\r\n",
    "User-Agent: SIP.js/0.21.2\r\n",
    "Content-Length: 0",
);

const OK: &str = concat!(
    "SIP/2.0 200 OK\r\n",
    "Via: SIP/2.0/TCP pcscf.visited.example:5060;branch=z9hG4bKedge.1\r\n",
    "Via: SIP/2.0/WSS 8h2kqv9r1c4p.invalid;received=198.51.100.7;rport=50312;branch=z9hG4bK7739204\r\n",
    "From: \"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=t0b1bq4r\r\n",
    "To: \"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=8c1f5e\r\n",
    "Call-ID: 3mq0v1ccpo3db3lr8v9tqk\r\n",
    "CSeq: 1 REGISTER\r\n",
    "Contact: <sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;expires=3600;reg-id=1;+sip.instance=\"<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>\"\r\n",
    "Path: <sip:term@pcscf.visited.example;lr;ob>\r\n",
    "Service-Route: <sip:orig@scscf1.ims.mnc001.mcc001.3gppnetwork.org;lr>\r\n",
    "P-Associated-URI: <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>, <tel:+15550100123>\r\n",
    "Content-Length: 0",
);

#[test]
fn samples_parse_completely() {
    for section in [REGISTER, OK] {
        for (name, value) in fields(section) {
            if let Some(r) = check(name, value) {
                assert_eq!(r, Ok(()), "{name}: {value:?}");
            }
        }
    }
    let auth = Credentials::parse(value_of_in(REGISTER, "Authorization")).expect("valid");
    assert!(
        auth.bearer_token()
            .is_some_and(|t| t.starts_with("eyJ") && t.ends_with("dHRlcnM"))
    );
    let uris: Vec<_> = NameAddr::parse_list(value_of_in(OK, "P-Associated-URI"))
        .map(|r| r.map(|(_, n)| n.uri().as_str()))
        .collect::<Result<_, _>>()
        .expect("valid");
    assert_eq!(
        uris,
        [
            "sip:bob@ims.mnc001.mcc001.3gppnetwork.org",
            "tel:+15550100123"
        ]
    );
    let sr = NameAddr::parse(value_of_in(OK, "Service-Route")).expect("valid");
    assert!(sr.uri().lr());
    assert!(
        OptionTags::parse(value_of_in(REGISTER, "Supported")).is_ok_and(|t| t.contains("outbound"))
    );
}

fn value_of_in<'a>(section: &'a str, header: &str) -> &'a str {
    fields(section)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(header))
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Header sections of the 49 RFC 4475 torture messages (from the Appendix A archive,
/// bodies left out): `(name, start line and header fields)`, CRLF-separated, folds kept.
const MESSAGES: &[(&str, &str)] = &[
    (
        "badaspec",
        concat!(
            "OPTIONS sip:user@example.org SIP/2.0\r\n",
            "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\r\n",
            "Max-Forwards: 70\r\n",
            "From: \"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423\r\n",
            "To: \"Watson, Thomas\" < sip:t.watson@example.org >\r\n",
            "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\r\n",
            "Accept: application/sdp\r\n",
            "CSeq: 3923239 OPTIONS\r\n",
            "l: 0",
        ),
    ),
    (
        "badbranch",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.org;tag=33242\r\n",
            "Max-Forwards: 3\r\n",
            "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\r\n",
            "Accept: application/sdp\r\n",
            "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\r\n",
            "CSeq: 8 OPTIONS\r\n",
            "l: 0",
        ),
    ),
    (
        "baddate",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=2234923\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234\r\n",
            "CSeq: 1392934 INVITE\r\n",
            "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\r\n",
            "Date: Fri, 01 Jan 2010 16:00:00 EST\r\n",
            "Contact: <sip:caller@host5.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 150",
        ),
    ),
    (
        "baddn",
        concat!(
            "OPTIONS sip:t.watson@example.org SIP/2.0\r\n",
            "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\r\n",
            "Max-Forwards:      70\r\n",
            "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\r\n",
            "To:      Watson, Thomas <sip:t.watson@example.org>\r\n",
            "Call-ID: baddn.31415@c.example.com\r\n",
            "Accept: application/sdp\r\n",
            "CSeq:    3923239 OPTIONS\r\n",
            "l: 0\r\n",
            "",
        ),
    ),
    (
        "badinv01",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=134161461246\r\n",
            "Max-Forwards: 7\r\n",
            "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\r\n",
            "CSeq: 8 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n",
            "Contact: \"Joe\" <sip:joe@example.org>;;;;\r\n",
            "Content-Length: 152\r\n",
            "Content-Type: application/sdp",
        ),
    ),
    (
        "badvers",
        concat!(
            "OPTIONS sip:t.watson@example.org SIP/7.0\r\n",
            "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\r\n",
            "Max-Forwards:     70\r\n",
            "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\r\n",
            "To:      T. Watson <sip:t.watson@example.org>\r\n",
            "Call-ID: badvers.31417@c.example.com\r\n",
            "CSeq:    1 OPTIONS\r\n",
            "l: 0",
        ),
    ),
    (
        "bcast",
        concat!(
            "SIP/2.0 200 OK\r\n",
            "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\r\n",
            "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\r\n",
            "Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf\r\n",
            "CSeq: 35 INVITE\r\n",
            "From: sip:user@example.com;tag=11141343\r\n",
            "To: sip:user@example.edu;tag=2229\r\n",
            "Content-Length: 154\r\n",
            "Content-Type: application/sdp\r\n",
            "Contact: <sip:user@host28.example.com>",
        ),
    ),
    (
        "bext01",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:j_user@example.com\r\n",
            "From: sip:caller@example.net;tag=242etr\r\n",
            "Max-Forwards: 6\r\n",
            "Call-ID: bext01.0ha0isndaksdj\r\n",
            "Require: nothingSupportsThis, nothingSupportsThisEither\r\n",
            "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n",
            "CSeq: 8 OPTIONS\r\n",
            "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "bigcode",
        concat!(
            "SIP/2.0 4294967301 better not break the receiver\r\n",
            "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n",
            "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\r\n",
            "CSeq: 353494 INVITE\r\n",
            "From: <sip:user@example.com>;tag=39ansfi3\r\n",
            "To: <sip:user@example.edu>;tag=902jndnke3\r\n",
            "Content-Length: 0\r\n",
            "Contact: <sip:user@host105.example.com>",
        ),
    ),
    (
        "clerr",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "Max-Forwards: 80\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=93942939o2\r\n",
            "Contact: <sip:caller@hungry.example.net>\r\n",
            "Call-ID: clerr.0ha0isndaksdjweiafasdk3\r\n",
            "CSeq: 8 INVITE\r\n",
            "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 9999",
        ),
    ),
    (
        "cparam01",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\r\n",
            "Max-Forwards: 70\r\n",
            "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\r\n",
            "To: sip:watson@example.com\r\n",
            "Call-ID: cparam01.70710@saturn.example.com\r\n",
            "CSeq: 2 REGISTER\r\n",
            "Contact: sip:+19725552222@gw1.example.net;unknownparam\r\n",
            "l: 0",
        ),
    ),
    (
        "cparam02",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\r\n",
            "Max-Forwards: 70\r\n",
            "From: sip:watson@example.com;tag=838293\r\n",
            "To: sip:watson@example.com\r\n",
            "Call-ID: cparam02.70710@saturn.example.com\r\n",
            "CSeq: 3 REGISTER\r\n",
            "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\r\n",
            "l: 0",
        ),
    ),
    (
        "dblreq",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:j.user@example.com;tag=43251j3j324\r\n",
            "Max-Forwards: 8\r\n",
            "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\r\n",
            "Contact: sip:j.user@host.example.com\r\n",
            "CSeq: 8 REGISTER\r\n",
            "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "esc01",
        concat!(
            "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\r\n",
            "To: sip:%75se%72@example.com\r\n",
            "From: <sip:I%20have%20spaces@example.net>;tag=938\r\n",
            "Max-Forwards: 87\r\n",
            "i: esc01.239409asdfakjkn23onasd0-3234\r\n",
            "CSeq: 234234 INVITE\r\n",
            "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\r\n",
            "C: application/sdp\r\n",
            "Contact:\r\n",
            "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\r\n",
            "Content-Length: 150",
        ),
    ),
    (
        "esc02",
        concat!(
            "RE%47IST%45R sip:registrar.example.com SIP/2.0\r\n",
            "To: \"%Z%45\" <sip:resource@example.com>\r\n",
            "From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23\r\n",
            "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\r\n",
            "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\r\n",
            "CSeq: 29344 RE%47IST%45R\r\n",
            "Max-Forwards: 70\r\n",
            "Contact: <sip:alias1@host1.example.com>\r\n",
            "C%6Fntact: <sip:alias2@host2.example.com>\r\n",
            "Contact: <sip:alias3@host3.example.com>\r\n",
            "l: 0",
        ),
    ),
    (
        "escnull",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: sip:null-%00-null@example.com\r\n",
            "From: sip:null-%00-null@example.com;tag=839923423\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\r\n",
            "CSeq: 14398234 REGISTER\r\n",
            "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\r\n",
            "Contact: <sip:%00@host5.example.com>\r\n",
            "Contact: <sip:%00%00@host5.example.com>\r\n",
            "L:0",
        ),
    ),
    (
        "escruri",
        concat!(
            "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=341518\r\n",
            "Max-Forwards: 7\r\n",
            "Contact: <sip:caller@host39923.example.net>\r\n",
            "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5\r\n",
            "CSeq: 149209342 INVITE\r\n",
            "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 150",
        ),
    ),
    (
        "insuf",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "CSeq: 193942 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n",
            "Content-Type: application/sdp\r\n",
            "l: 152",
        ),
    ),
    (
        "intmeth",
        concat!(
            "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\n",
            "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n",
            "To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n",
            "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\u{430}\u{431}\u{43e}\u{442}\u{430}\u{44e}\u{449}\u{438}\u{439}\";tag=_token~1'+`*%!-.\r\n",
            "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n",
            "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\r\n",
            "Max-Forwards: 255\r\n",
            "extensionHeader-!.%*+_`'~:\u{feff}\u{5927}\u{505c}\u{96fb}\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "inv2543",
        concat!(
            "INVITE sip:UserB@example.com SIP/2.0\r\n",
            "Via: SIP/2.0/UDP iftgw.example.com\r\n",
            "From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n",
            "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\r\n",
            "To: sip:+16505552222@ss1.example.net;user=phone\r\n",
            "Call-ID: inv2543.1717@ift.client.example.com\r\n",
            "CSeq: 56 INVITE\r\n",
            "Content-Type: application/sdp",
        ),
    ),
    (
        "invut",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "Contact: <sip:caller@host5.example.net>\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=8392034\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: invut.0ha0isndaksdjadsfij34n23d\r\n",
            "CSeq: 235448 INVITE\r\n",
            "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw\r\n",
            "Content-Type: application/unknownformat\r\n",
            "Content-Length: 40",
        ),
    ),
    (
        "longreq",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "To: \"I have a user name of extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion\"<sip:user@example.com:6000;unknownparam1=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongvalue;longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=shortvalue;verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue>\r\n",
            "F: sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@example.net;tag=12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424;unknownheaderparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename=unknowheaderparamvaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevaluevalue;unknownValuelessparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamnameparamname\r\n",
            "Call-ID: longreq.onereallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallyreallylongcallid\r\n",
            "CSeq: 3882340 INVITE\r\n",
            "Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-Name: unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-value; unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-parameter-name = unknown-longlonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglong-parameter-value\r\n",
            "Via: SIP/2.0/TCP sip33.example.com\r\n",
            "v: SIP/2.0/TCP sip32.example.com\r\n",
            "V: SIP/2.0/TCP sip31.example.com\r\n",
            "Via: SIP/2.0/TCP sip30.example.com\r\n",
            "ViA: SIP/2.0/TCP sip29.example.com\r\n",
            "VIa: SIP/2.0/TCP sip28.example.com\r\n",
            "VIA: SIP/2.0/TCP sip27.example.com\r\n",
            "via: SIP/2.0/TCP sip26.example.com\r\n",
            "viA: SIP/2.0/TCP sip25.example.com\r\n",
            "vIa: SIP/2.0/TCP sip24.example.com\r\n",
            "vIA: SIP/2.0/TCP sip23.example.com\r\n",
            "V :  SIP/2.0/TCP sip22.example.com\r\n",
            "v :  SIP/2.0/TCP sip21.example.com\r\n",
            "V  : SIP/2.0/TCP sip20.example.com\r\n",
            "v  : SIP/2.0/TCP sip19.example.com\r\n",
            "Via : SIP/2.0/TCP sip18.example.com\r\n",
            "Via  : SIP/2.0/TCP sip17.example.com\r\n",
            "Via: SIP/2.0/TCP sip16.example.com\r\n",
            "Via: SIP/2.0/TCP sip15.example.com\r\n",
            "Via: SIP/2.0/TCP sip14.example.com\r\n",
            "Via: SIP/2.0/TCP sip13.example.com\r\n",
            "Via: SIP/2.0/TCP sip12.example.com\r\n",
            "Via: SIP/2.0/TCP sip11.example.com\r\n",
            "Via: SIP/2.0/TCP sip10.example.com\r\n",
            "Via: SIP/2.0/TCP sip9.example.com\r\n",
            "Via: SIP/2.0/TCP sip8.example.com\r\n",
            "Via: SIP/2.0/TCP sip7.example.com\r\n",
            "Via: SIP/2.0/TCP sip6.example.com\r\n",
            "Via: SIP/2.0/TCP sip5.example.com\r\n",
            "Via: SIP/2.0/TCP sip4.example.com\r\n",
            "Via: SIP/2.0/TCP sip3.example.com\r\n",
            "Via: SIP/2.0/TCP sip2.example.com\r\n",
            "Via: SIP/2.0/TCP sip1.example.com\r\n",
            "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongbranchvalue\r\n",
            "Max-Forwards: 70\r\n",
            "Contact: <sip:amazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallernameamazinglylongcallername@host5.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "l: 150",
        ),
    ),
    (
        "ltgtruri",
        concat!(
            "INVITE <sip:user@example.com> SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=39291\r\n",
            "Max-Forwards: 23\r\n",
            "Call-ID: ltgtruri.1@192.0.2.5\r\n",
            "CSeq: 1 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.5\r\n",
            "Contact: <sip:caller@host5.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 159",
        ),
    ),
    (
        "lwsdisp",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: caller<sip:caller@example.com>;tag=323\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: lwsdisp.1234abcd@funky.example.com\r\n",
            "CSeq: 60 OPTIONS\r\n",
            "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\r\n",
            "l: 0",
        ),
    ),
    (
        "lwsruri",
        concat!(
            "INVITE sip:user@example.com; lr SIP/2.0\r\n",
            "To: sip:user@example.com;tag=3xfe-9921883-z9f\r\n",
            "From: sip:caller@example.net;tag=231413434\r\n",
            "Max-Forwards: 5\r\n",
            "Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423\r\n",
            "CSeq: 2130706432 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395\r\n",
            "Contact: <sip:caller@host1.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 159",
        ),
    ),
    (
        "lwsstart",
        concat!(
            "INVITE  sip:user@example.com  SIP/2.0\r\n",
            "Max-Forwards: 8\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=8814\r\n",
            "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\r\n",
            "CSeq: 1893884 INVITE\r\n",
            "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923\r\n",
            "Contact: <sip:caller@host1.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 150",
        ),
    ),
    (
        "mcl01",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:other@example.net;tag=3923942\r\n",
            "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\r\n",
            "CSeq: 15932 OPTIONS\r\n",
            "Content-Length: 13\r\n",
            "Max-Forwards: 60\r\n",
            "Content-Length: 5\r\n",
            "Content-Type: text/plain",
        ),
    ),
    (
        "mismatch01",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=34525\r\n",
            "Max-Forwards: 6\r\n",
            "Call-ID: mismatch01.dj0234sxdfl3\r\n",
            "CSeq: 8 INVITE\r\n",
            "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\r\n",
            "l: 0",
        ),
    ),
    (
        "mismatch02",
        concat!(
            "NEWMETHOD sip:user@example.com SIP/2.0\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=34525\r\n",
            "Max-Forwards: 6\r\n",
            "Call-ID: mismatch02.dj0234sxdfl3\r\n",
            "CSeq: 8 INVITE\r\n",
            "Contact: <sip:caller@host.example.net>\r\n",
            "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw\r\n",
            "Content-Type: application/sdp\r\n",
            "l: 138",
        ),
    ),
    (
        "mpart01",
        concat!(
            "MESSAGE sip:kumiko@example.org SIP/2.0\r\n",
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\r\n",
            "Max-Forwards: 70\r\n",
            "Route: <sip:127.0.0.1:5080>\r\n",
            "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=\r\n",
            "Contact: <sip:fluffy@127.0.0.1:5070>\r\n",
            "To: <sip:kumiko@example.org>\r\n",
            "From: <sip:fluffy@example.com>;tag=2fb0dcc9\r\n",
            "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\r\n",
            "CSeq: 1 MESSAGE\r\n",
            "Content-Transfer-Encoding: binary\r\n",
            "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n",
            "Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n",
            "User-Agent: SIPimp.org/0.2.5 (curses)\r\n",
            "Content-Length: 553",
        ),
    ),
    (
        "multi01",
        concat!(
            "INVITE sip:user@company.com SIP/2.0\r\n",
            "Contact: <sip:caller@host25.example.net>\r\n",
            "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\r\n",
            "Max-Forwards: 70\r\n",
            "CSeq: 5 INVITE\r\n",
            "Call-ID: multi01.98asdh@192.0.2.1\r\n",
            "CSeq: 59 INVITE\r\n",
            "Call-ID: multi01.98asdh@192.0.2.2\r\n",
            "From: sip:caller@example.com;tag=3413415\r\n",
            "To: sip:user@example.com\r\n",
            "To: sip:other@example.net\r\n",
            "From: sip:caller@example.net;tag=2923420123\r\n",
            "Content-Type: application/sdp\r\n",
            "l: 154\r\n",
            "Contact: <sip:caller@host36.example.net>\r\n",
            "Max-Forwards: 5",
        ),
    ),
    (
        "ncl",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "Max-Forwards: 254\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:caller@example.net;tag=32394234\r\n",
            "Call-ID: ncl.0ha0isndaksdj2193423r542w35\r\n",
            "CSeq: 0 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\r\n",
            "Contact: <sip:caller@example53.example.net>\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: -999",
        ),
    ),
    (
        "noreason",
        concat!(
            "SIP/2.0 100 \r\n",
            "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n",
            "Call-ID: noreason.asndj203insdf99223ndf\r\n",
            "CSeq: 35 INVITE\r\n",
            "From: <sip:user@example.com>;tag=39ansfi3\r\n",
            "To: <sip:user@example.edu>;tag=902jndnke3\r\n",
            "Content-Length: 0\r\n",
            "Contact: <sip:user@host105.example.com>",
        ),
    ),
    (
        "novelsc",
        concat!(
            "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=384\r\n",
            "Max-Forwards: 3\r\n",
            "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\r\n",
            "CSeq: 3923423 OPTIONS\r\n",
            "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "quotbal",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "To: \"Mr. J. User <sip:j.user@example.com>\r\n",
            "From: sip:caller@example.net;tag=93334\r\n",
            "Max-Forwards: 10\r\n",
            "Call-ID: quotbal.aksdj\r\n",
            "Contact: <sip:caller@host59.example.net>\r\n",
            "CSeq: 8 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\r\n",
            "Content-Type: application/sdp\r\n",
            "Content-Length: 152",
        ),
    ),
    (
        "regaut01",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: sip:j.user@example.com\r\n",
            "From: sip:j.user@example.com;tag=87321hj23128\r\n",
            "Max-Forwards: 8\r\n",
            "Call-ID: regaut01.0ha0isndaksdj\r\n",
            "CSeq: 9338 REGISTER\r\n",
            "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw\r\n",
            "Authorization: NoOneKnowsThisScheme opaque-data=here\r\n",
            "Content-Length:0",
        ),
    ),
    (
        "regbadct",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:user@example.com;tag=998332\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\r\n",
            "CSeq: 1 REGISTER\r\n",
            "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw\r\n",
            "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\r\n",
            "l: 0",
        ),
    ),
    (
        "regescrt",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:user@example.com;tag=8\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\r\n",
            "CSeq: 14398234 REGISTER\r\n",
            "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\r\n",
            "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\r\n",
            "L:0",
        ),
    ),
    (
        "scalar02",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\r\n",
            "To: <sip:user@example.com>\r\n",
            "From: <sip:user@example.com>;tag=239232jh3\r\n",
            "CSeq: 36893488147419103232 REGISTER\r\n",
            "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\r\n",
            "Max-Forwards: 300\r\n",
            "Expires: 10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\r\n",
            "Contact: <sip:user@host129.example.com>\r\n",
            "  ;expires=280297596632815\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "scalarlg",
        concat!(
            "SIP/2.0 503 Service Unavailable\r\n",
            "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129\r\n",
            "To: <sip:user@example.com>\r\n",
            "From: <sip:other@example.net>;tag=2easdjfejw\r\n",
            "CSeq: 9292394834772304023312 OPTIONS\r\n",
            "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\r\n",
            "Retry-After: 949302838503028349304023988\r\n",
            "Warning: 1812 overture \"In Progress\"\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "sdp01",
        concat!(
            "INVITE sip:user@example.com SIP/2.0\r\n",
            "To: sip:j_user@example.com\r\n",
            "Contact: <sip:caller@host15.example.net>\r\n",
            "From: sip:caller@example.net;tag=234\r\n",
            "Max-Forwards: 5\r\n",
            "Call-ID: sdp01.ndaksdj9342dasdd\r\n",
            "Accept: text/nobodyKnowsThis\r\n",
            "CSeq: 8 INVITE\r\n",
            "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw\r\n",
            "Content-Length: 150\r\n",
            "Content-Type: application/sdp",
        ),
    ),
    (
        "semiuri",
        concat!(
            "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\r\n",
            "To: sip:j_user@example.com\r\n",
            "From: sip:caller@example.org;tag=33242\r\n",
            "Max-Forwards: 3\r\n",
            "Call-ID: semiuri.0ha0isndaksdj\r\n",
            "CSeq: 8 OPTIONS\r\n",
            "Accept: application/sdp, application/pkcs7-mime,\r\n",
            "        multipart/mixed, multipart/signed,\r\n",
            "        message/sip, message/sipfrag\r\n",
            "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\r\n",
            "l: 0",
        ),
    ),
    (
        "transports",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: <sip:caller@example.com>;tag=323\r\n",
            "Max-Forwards: 70\r\n",
            "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\r\n",
            "Accept: application/sdp\r\n",
            "CSeq: 60 OPTIONS\r\n",
            "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\r\n",
            "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\r\n",
            "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\r\n",
            "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\r\n",
            "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\r\n",
            "l: 0",
        ),
    ),
    (
        "trws",
        concat!(
            "OPTIONS sip:remote-target@example.com SIP/2.0  \r\n",
            "Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093\r\n",
            "To: <sip:remote-target@example.com>\r\n",
            "From: <sip:local-resource@example.com>;tag=329429089\r\n",
            "Call-ID: trws.oicu34958239neffasdhr2345r\r\n",
            "Accept: application/sdp\r\n",
            "CSeq: 238923 OPTIONS\r\n",
            "Max-Forwards: 70\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "unkscm",
        concat!(
            "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=384\r\n",
            "Max-Forwards: 3\r\n",
            "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\r\n",
            "CSeq: 3923423 OPTIONS\r\n",
            "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\r\n",
            "Content-Length: 0",
        ),
    ),
    (
        "unksm2",
        concat!(
            "REGISTER sip:example.com SIP/2.0\r\n",
            "To: isbn:2983792873\r\n",
            "From: <http://www.example.com>;tag=3234233\r\n",
            "Call-ID: unksm2.daksdj@hyphenated-host.example.com\r\n",
            "CSeq: 234902 REGISTER\r\n",
            "Max-Forwards: 70\r\n",
            "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\r\n",
            "Contact: <name:John_Smith>\r\n",
            "l: 0",
        ),
    ),
    (
        "unreason",
        concat!(
            "SIP/2.0 200 = 2**3 * 5**2 \u{43d}\u{43e} \u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{43d}\u{43e}\u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{442}\u{44c} - \u{43f}\u{440}\u{43e}\u{441}\u{442}\u{43e}\u{435}\r\n",
            "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\r\n",
            "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\r\n",
            "CSeq: 35 INVITE\r\n",
            "From: sip:user@example.com;tag=11141343\r\n",
            "To: sip:user@example.edu;tag=2229\r\n",
            "Content-Length: 154\r\n",
            "Content-Type: application/sdp\r\n",
            "Contact: <sip:user@host198.example.com>",
        ),
    ),
    (
        "wsinv",
        concat!(
            "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n",
            "TO :\r\n",
            " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n",
            "from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n",
            "  ;\r\n",
            "  tag = 98asjd8\r\n",
            "MaX-fOrWaRdS: 0068\r\n",
            "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n",
            "Content-Length   : 150\r\n",
            "cseq: 0009\r\n",
            "  INVITE\r\n",
            "Via  : SIP  /   2.0\r\n",
            " /UDP\r\n",
            "    192.0.2.2;branch=390skdjuw\r\n",
            "s :\r\n",
            "NewFangledHeader:   newfangled value\r\n",
            " continued newfangled value\r\n",
            "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n",
            "Content-Type: application/sdp\r\n",
            "Route:\r\n",
            " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n",
            "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n",
            "  branch  =   z9hG4bK9ikj8  ,\r\n",
            " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n",
            " z9hG4bK30239\r\n",
            "m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n",
            "      newvalue ;\r\n",
            "  secondparam ; q = 0.33",
        ),
    ),
    (
        "zeromf",
        concat!(
            "OPTIONS sip:user@example.com SIP/2.0\r\n",
            "To: sip:user@example.com\r\n",
            "From: sip:caller@example.net;tag=3ghsd41\r\n",
            "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\r\n",
            "CSeq: 39234321 OPTIONS\r\n",
            "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i\r\n",
            "Max-Forwards: 0\r\n",
            "Content-Length: 0",
        ),
    ),
];
