//! Property tests of the typed header parsers: totality on arbitrary input, offsets and
//! ranges that point into the input, and write-then-parse round trips.

use proptest::prelude::*;
use sip_oauth::message::header::{
    Allow, AuthScheme, CSeq, Challenge, ChargingVector, Contact, ContentType, Credentials, Host,
    NameAddr, OptionTags, Param, Uri, Via, ViaTransport, VisitedNetwork, parse_call_id,
    parse_content_length, parse_expires, parse_hostport, parse_max_forwards, percent_decode,
    split_list, unquote,
};
use sip_oauth::message::{HeaderValue, HostPort, QuotedText, Token, ValueBuilder};

/// `s` written as a quoted-string.
fn quoted_string(s: &str) -> String {
    let mut v = ValueBuilder::default();
    v.push_quoted(&QuotedText::try_from(s).expect("allowed"));
    v.to_string()
}

/// Text made mostly of the SIP grammar's delimiters, so parsers get deep into their
/// states instead of failing on the first byte.
fn sipish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,80}",
        "[a-z0-9 \t\r\n\"<>;,=:@/?&%\\[\\]\\\\*.+-]{0,80}",
        "(SIP/2.0/(UDP|WSS) |Digest |Bearer |\"|<sip:|sip:|tel:|;|,|=| |\r\n |\\\\|%4|%00|\\[::1\\]|:5060|a|Ñ|\u{0}|>)*",
        any::<String>(),
    ]
}

fn check_param(value: &str, p: &Param<'_>) -> Result<(), TestCaseError> {
    let text = value.get(p.range.clone());
    prop_assert!(text.is_some(), "range {:?} not in {:?}", p.range, value);
    prop_assert!(text.unwrap_or_default().starts_with(p.name));
    let r = p.removal_range(value);
    prop_assert!(value.get(r).is_some());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_are_total(s in sipish()) {
        let _ = Uri::parse(&s);
        let _ = Via::parse(&s);
        let _ = NameAddr::parse(&s);
        let _ = Contact::parse(&s);
        let _ = CSeq::parse(&s);
        let _ = ContentType::parse(&s);
        let _ = OptionTags::parse(&s);
        let _ = Allow::parse(&s);
        let _ = parse_max_forwards(&s);
        let _ = parse_expires(&s);
        let _ = parse_content_length(&s);
        let _ = parse_call_id(&s);
        let _ = percent_decode(&s);
        let _ = parse_hostport(&s);
        let _ = ChargingVector::parse(&s).map(|c| (c.icid_value(), c.orig_ioi()));
        let _ = VisitedNetwork::parse_list(&s).count();
        let _ = Token::try_from(s.as_str());
        let _ = HostPort::try_from(s.as_str());
        prop_assert_eq!(
            HeaderValue::try_from(s.as_str()).is_ok(),
            QuotedText::try_from(s.as_str()).is_ok()
        );
        let _ = unquote(&s);
        for (_, v) in Via::parse_list(&s).flatten() {
            let _ = (v.branch(), v.rport(), v.received_addr(), v.ttl(), v.params().count());
        }
        for (_, c) in Contact::parse_list(&s).flatten() {
            let _ = c.addr().map(|a| (a.q(), a.expires(), a.instance(), a.uri().user_decoded()));
        }
        if let Ok(c) = Credentials::parse(&s) {
            let _ = (c.username(), c.integrity_protected(), c.bearer_token(), c.params().count());
        }
        if let Ok(c) = Challenge::parse(&s) {
            let _ = (c.realm(), c.error(), c.params().count());
        }
    }

    #[test]
    fn errors_and_ranges_stay_in_bounds(s in sipish()) {
        let len = s.len();
        let checks: [Result<(), usize>; 5] = [
            NameAddr::parse(&s).map(|_| ()).map_err(|e| e.offset),
            Via::parse(&s).map(|_| ()).map_err(|e| e.offset),
            Uri::parse(&s).map(|_| ()).map_err(|e| e.offset),
            Credentials::parse(&s).map(|_| ()).map_err(|e| e.offset),
            CSeq::parse(&s).map(|_| ()).map_err(|e| e.offset),
        ];
        for c in checks {
            if let Err(off) = c {
                prop_assert!(off <= len, "offset {} beyond {}", off, len);
            }
        }
        if let Ok(n) = NameAddr::parse(&s) {
            for p in n.params() {
                check_param(&s, &p)?;
            }
            prop_assert_eq!(s.get(n.uri_range()), Some(n.uri().as_str()));
            let u = n.uri();
            for p in u.params().chain(u.headers()) {
                check_param(u.as_str(), &p)?;
            }
            let _ = (n.tag(), n.q(), n.expires(), n.reg_id(), n.instance(), n.display_name_unquoted());
        }
        if let Ok(v) = Via::parse(&s) {
            for p in v.params() {
                check_param(&s, &p)?;
            }
        }
        if let Ok(c) = Credentials::parse(&s) {
            for p in c.params() {
                check_param(&s, &p)?;
            }
        }
    }

    #[test]
    fn split_list_offsets_point_at_elements(s in sipish()) {
        for (off, e) in split_list(&s) {
            prop_assert_eq!(s.get(off..off + e.len()), Some(e));
            prop_assert!(!e.is_empty());
            prop_assert!(!e.starts_with([' ', '\t', '\r', '\n']));
            prop_assert!(!e.ends_with([' ', '\t', '\r', '\n']));
        }
    }

    #[test]
    fn percent_decoding_inverts_encoding(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let encoded: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        let decoded = percent_decode(&encoded).expect("valid escapes");
        prop_assert_eq!(decoded.as_ref(), bytes.as_slice());
    }
}

fn lws() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just(" "),
        Just("  \t"),
        Just("\r\n "),
        Just(" \r\n\t")
    ]
}

fn host() -> impl Strategy<Value = (String, Host<'static>)> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9]{0,6}){0,3}".prop_map(|d| {
            let h = Host::Domain(Box::leak(d.clone().into_boxed_str()));
            (d, h)
        }),
        any::<[u8; 4]>().prop_map(|o| {
            let a = std::net::Ipv4Addr::from(o);
            (a.to_string(), Host::Ipv4(a))
        }),
        any::<[u16; 8]>().prop_map(|s| {
            let a = std::net::Ipv6Addr::from(s);
            (format!("[{a}]"), Host::Ipv6(a))
        }),
    ]
}

const TOKEN: &str = "[A-Za-z0-9.!%*_+`'~-]{1,12}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn via_round_trips(
        transport in prop_oneof![Just("UDP"), Just("tcp"), Just("TLS"), Just("SCTP"), Just("ws"), Just("WSS"), Just("X-NEW")],
        (host_text, host) in host(),
        port in proptest::option::of(any::<u16>()),
        branch in TOKEN,
        rport in proptest::option::of(proptest::option::of(any::<u16>())),
        received in proptest::option::of(any::<[u8; 4]>()),
        sp in (lws(), lws(), lws(), lws(), lws()),
    ) {
        let mut text = format!("SIP{}/{}2.0/{}{} {}{}", sp.0, sp.1, sp.2, transport, sp.3, host_text);
        if let Some(p) = port {
            text.push_str(&format!("{}:{}{p}", sp.4, sp.0));
        }
        text.push_str(&format!("{};{}branch{}={}{branch}", sp.1, sp.2, sp.3, sp.4));
        match rport {
            None => {}
            Some(None) => text.push_str(&format!("{};rport", sp.0)),
            Some(Some(p)) => text.push_str(&format!(";rport={p}")),
        }
        if let Some(r) = received {
            text.push_str(&format!(";received={}", std::net::Ipv4Addr::from(r)));
        }
        let v = Via::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(v.protocol_name(), "SIP");
        prop_assert_eq!(v.protocol_version(), "2.0");
        prop_assert_eq!(v.transport(), ViaTransport::from_token(transport));
        prop_assert_eq!(v.host(), host);
        prop_assert_eq!(v.port(), port);
        prop_assert_eq!(v.branch(), Some(branch.as_str()));
        prop_assert_eq!(v.rport(), rport);
        prop_assert_eq!(v.received_addr(), received.map(std::net::IpAddr::from));
    }

    #[test]
    fn name_addr_round_trips(
        display in proptest::option::of(prop_oneof![
            "[^\\x00-\\x08\\x0a-\\x1f\\x7f]{0,20}".prop_map(|d| (true, d)),
            "[A-Za-z0-9.!%*_+`'~-]{1,8}( [A-Za-z0-9.!%*_+`'~-]{1,8}){0,2}".prop_map(|d| (false, d)),
        ]),
        user in proptest::option::of("[a-z0-9_.+-]{1,10}"),
        (host_text, host) in host(),
        port in proptest::option::of(any::<u16>()),
        uri_param in proptest::option::of("[a-z]{1,6}"),
        tag in proptest::option::of(TOKEN),
        expires in proptest::option::of(any::<u32>()),
        sp in (lws(), lws()),
    ) {
        let mut uri = String::from("sip:");
        if let Some(u) = &user {
            uri.push_str(u);
            uri.push('@');
        }
        uri.push_str(&host_text);
        if let Some(p) = port {
            uri.push_str(&format!(":{p}"));
        }
        if let Some(p) = &uri_param {
            uri.push(';');
            uri.push_str(p);
        }
        let mut text = String::from(sp.0);
        match &display {
            Some((true, d)) => {
                text.push_str(&quoted_string(d));
                text.push_str(sp.1);
            }
            Some((false, d)) => {
                text.push_str(d);
                text.push(' ');
            }
            None => {}
        }
        text.push('<');
        text.push_str(&uri);
        text.push('>');
        if let Some(t) = &tag {
            text.push_str(&format!("{};{}tag={t}", sp.1, sp.0));
        }
        if let Some(e) = expires {
            text.push_str(&format!(";expires={e}"));
        }
        let n = NameAddr::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let shown = n.display_name_unquoted();
        prop_assert_eq!(shown.as_deref(), display.as_ref().map(|(_, d)| d.as_str()));
        prop_assert_eq!(n.uri().as_str(), uri.as_str());
        prop_assert_eq!(n.uri().user(), user.as_deref());
        prop_assert_eq!(n.uri().host(), Some(host));
        prop_assert_eq!(n.uri().port(), port);
        prop_assert_eq!(n.uri().params().next().map(|p| p.name), uri_param.as_deref());
        prop_assert_eq!(n.tag(), tag.as_deref());
        prop_assert_eq!(n.expires(), expires);
    }

    #[test]
    fn credentials_round_trip(
        params in proptest::collection::vec(
            ("[a-z][a-z0-9-]{0,10}", prop_oneof![
                "[^\\x00-\\x08\\x0a-\\x1f\\x7f]{0,20}".prop_map(|v| (true, v)),
                TOKEN.prop_map(|v| (false, v)),
            ]),
            1..6,
        ),
        sp in (lws(), lws()),
    ) {
        let mut text = String::from("Digest ");
        for (i, (name, (quoted, value))) in params.iter().enumerate() {
            if i > 0 {
                text.push_str(sp.0);
                text.push(',');
                text.push_str(sp.1);
            }
            text.push_str(name);
            text.push_str(sp.1);
            text.push('=');
            text.push_str(sp.0);
            if *quoted {
                text.push_str(&quoted_string(value));
            } else {
                text.push_str(value);
            }
        }
        let c = Credentials::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(c.scheme(), AuthScheme::Digest);
        let got: Vec<(String, String)> = c
            .params()
            .map(|p| (p.name.to_owned(), p.unquoted().unwrap_or_default().into_owned()))
            .collect();
        let want: Vec<(String, String)> = params.iter().map(|(n, (_, v))| (n.clone(), v.clone())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn bearer_tokens_round_trip(token in "[A-Za-z0-9._~+/-]{1,200}={0,2}", sp in lws()) {
        let text = format!("Bearer {sp}{token}{sp}");
        let c = Credentials::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(c.bearer_token(), Some(token.as_str()));
    }
}
