//! `name-addr` / `addr-spec` values with header parameters (RFC 3261 sections 20.10,
//! 20.20, 20.30, 20.34, 20.39 and the `name-addr` grammar of section 25.1): From, To,
//! Contact, Route, Record-Route, Path (RFC 3327), Service-Route (RFC 3608),
//! P-Associated-URI (RFC 7315 section 4.1) and P-Asserted-Identity (RFC 3325).
//!
//! Without angle brackets the URI ends at the first `;`: what follows are header
//! parameters, never URI parameters (RFC 3261 section 20.10; RFC 4475 sections
//! 3.3.11 and 3.3.12), and such a URI may not carry `?headers` (RFC 4475 3.1.2.17).

use std::borrow::Cow;

use super::lex::{scan_quoted, skip_lws, skip_token, sub, trim};
use super::params::{Param, Params, Style, unquote};
use super::uri::Uri;
use crate::message::ParseError;

/// One `name-addr` or `addr-spec` with its header parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameAddr<'a> {
    display_name: Option<&'a str>,
    uri: Uri<'a>,
    uri_start: usize,
    bracketed: bool,
    params: Params<'a>,
    tag: Option<&'a str>,
}

impl<'a> NameAddr<'a> {
    /// Parses one element (not a comma-separated list: see [`NameAddr::parse_list`]).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        Self::parse_visiting(value, |_| {})
    }

    /// Like [`NameAddr::parse`], also handing every header parameter (ranges relative
    /// to `value`) to `visit` during the validating pass, so a caller looking for
    /// several parameters need not walk them a second time.
    pub(crate) fn parse_visiting(
        value: &'a str,
        visit: impl FnMut(&Param<'a>),
    ) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        Self::parse_trimmed(v, base, None, visit).map_err(|e| e.shifted(base))
    }

    /// [`NameAddr::parse`] of a value whose URI may be written as `like`'s (the To and
    /// From of a REGISTER name the same address of record): then `like`'s URI, already
    /// checked, is taken over rather than the same text parsed again. The result is
    /// the one [`NameAddr::parse`] gives.
    pub(crate) fn parse_like(value: &'a str, like: &NameAddr<'_>) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        Self::parse_trimmed(v, base, Some(&like.uri), |_| {}).map_err(|e| e.shifted(base))
    }

    /// Parses every element of a comma-separated list (Route, Path, P-Associated-URI...),
    /// yielding each element's offset within `value`.
    pub fn parse_list(
        value: &'a str,
    ) -> impl Iterator<Item = Result<(usize, Self), ParseError>> + 'a {
        super::list::parse_list(value, Self::parse)
    }

    /// `v` is trimmed and starts at `base` in the caller's input. Errors are relative
    /// to `v`; parameter ranges are relative to the caller's input.
    fn parse_trimmed(
        v: &'a str,
        base: usize,
        like: Option<&Uri<'_>>,
        mut visit: impl FnMut(&Param<'a>),
    ) -> Result<Self, ParseError> {
        let b = v.as_bytes();
        let mut display_name = None;
        let mut lt = None;
        match b.first() {
            None => return Err(ParseError::expected("name-addr or addr-spec", 0)),
            Some(b'"') => {
                let q = scan_quoted(b, 0)?;
                display_name = Some(sub(v, 0, q));
                let k = skip_lws(b, q);
                if b.get(k) != Some(&b'<') {
                    return Err(ParseError::expected("'<' after display name", k));
                }
                lt = Some(k);
            }
            Some(b'<') => lt = Some(0),
            Some(_) => {
                // A display name made of tokens is followed by `<`; anything else must
                // be an addr-spec (RFC 4475 3.1.2.16: a comma here is not a token).
                let mut k = 0;
                let mut last = 0;
                loop {
                    let t = skip_token(b, k);
                    if t == k {
                        break;
                    }
                    last = t;
                    k = skip_lws(b, t);
                }
                if last > 0 && b.get(k) == Some(&b'<') {
                    display_name = Some(sub(v, 0, last));
                    lt = Some(k);
                }
            }
        }
        let (uri, uri_start, bracketed, rest) = match lt {
            Some(lt) => {
                let gt = b
                    .get(lt..)
                    .and_then(|r| memchr::memchr(b'>', r))
                    .map(|k| lt + k)
                    .ok_or_else(|| ParseError::expected("'>' closing the URI", b.len()))?;
                let text = sub(v, lt + 1, gt);
                let uri = match like.and_then(|u| u.rebased(text)) {
                    Some(uri) => uri,
                    None => Uri::parse(text).map_err(|e| e.shifted(lt + 1))?,
                };
                (uri, lt + 1, true, gt + 1)
            }
            None => {
                let end = b
                    .iter()
                    .position(|&c| matches!(c, b';' | b' ' | b'\t' | b'\r' | b'\n'))
                    .unwrap_or(b.len());
                let text = sub(v, 0, end);
                if let Some(q) = memchr::memchr(b'?', text.as_bytes()) {
                    return Err(ParseError::expected("'<' '>' around a URI with headers", q));
                }
                let uri = match like.and_then(|u| u.rebased(text)) {
                    Some(uri) => uri,
                    None => Uri::parse(text)?,
                };
                (uri, 0, false, end)
            }
        };
        // From/To tags are read for every dialog and transaction match: keep the first
        // one from the validating pass.
        let mut tag = None;
        let params = Params::parse_with(sub(v, rest, v.len()), base + rest, Style::Header, |p| {
            visit(&p);
            if tag.is_none() && p.is("tag") {
                tag = Some(p.value);
            }
            Ok(())
        })
        .map_err(|e| ParseError::new(e.kind, e.offset.saturating_sub(base)))?;
        Ok(Self {
            display_name,
            uri,
            uri_start: base + uri_start,
            bracketed,
            params,
            tag: tag.flatten(),
        })
    }

    /// The display name as written: with its quotes if quoted, or the token sequence.
    pub fn display_name(&self) -> Option<&'a str> {
        self.display_name
    }

    /// The display name without quotes, quoted-pairs resolved (allocates only when an
    /// escape is present).
    pub fn display_name_unquoted(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(unquote)
    }

    /// The URI.
    pub fn uri(&self) -> Uri<'a> {
        self.uri
    }

    /// Byte range of the URI (without `<` `>`) within the value given to the parser.
    /// Ranges of URI parameters are relative to the URI: add `uri_range().start`.
    pub fn uri_range(&self) -> std::ops::Range<usize> {
        self.uri_start..self.uri_start + self.uri.as_str().len()
    }

    /// `true` when the URI was enclosed in `<` `>`.
    pub fn is_bracketed(&self) -> bool {
        self.bracketed
    }

    /// The header parameters (after the URI, or after `>`).
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }

    /// The header parameter section, for lookups.
    pub fn param_section(&self) -> Params<'a> {
        self.params
    }

    /// The first header parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'a>> {
        self.params.get(name)
    }

    /// The `tag` parameter of From / To (RFC 3261 section 19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.tag
    }

    /// The `expires` parameter of a Contact in seconds; values above `u32::MAX`
    /// saturate (RFC 3261 section 20.19 limits them to 2^32-1). `None` when absent or
    /// not a number.
    pub fn expires(&self) -> Option<u32> {
        let v = self.params.value("expires").flatten()?;
        match super::lex::parse_digits(v)? {
            Ok(n) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(()) => Some(u32::MAX),
        }
    }

    /// The `q` parameter in thousandths (`q=0.33` gives 330), `None` when absent or not
    /// a `qvalue` (RFC 3261 section 25.1).
    pub fn q(&self) -> Option<u16> {
        let v = self.params.value("q").flatten()?;
        let (int, frac) = v.split_once('.').unwrap_or((v, ""));
        if frac.len() > 3 || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut thousandths: u16 = match int {
            "0" => 0,
            "1" => 1000,
            _ => return None,
        };
        let mut scale = 100;
        for c in frac.bytes() {
            thousandths += u16::from(c - b'0') * scale;
            scale /= 10;
        }
        (thousandths <= 1000).then_some(thousandths)
    }

    /// The `reg-id` parameter of an outbound Contact (RFC 5626 section 4.2).
    pub fn reg_id(&self) -> Option<u32> {
        self.params.value("reg-id").flatten()?.parse().ok()
    }

    /// The `+sip.instance` parameter of a Contact (RFC 5626 section 4.1), quotes
    /// removed: usually `<urn:uuid:...>`.
    pub fn instance(&self) -> Option<Cow<'a, str>> {
        self.params.value("+sip.instance").flatten().map(unquote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ParseErrorKind;
    use crate::message::header::uri::Scheme;

    /// Every part of `a` points into `text` exactly where `b`'s does into its own.
    fn same_places(a: &NameAddr<'_>, text: &str, b: &NameAddr<'_>, other: &str) {
        let at = |part: &str, whole: &str| part.as_ptr() as usize - whole.as_ptr() as usize;
        let (ua, ub) = (a.uri(), b.uri());
        assert_eq!(at(ua.as_str(), text), at(ub.as_str(), other));
        if let (Some(x), Some(y)) = (ua.host_str(), ub.host_str()) {
            assert_eq!(at(x, text), at(y, other));
        }
        if let (Some(x), Some(y)) = (ua.user(), ub.user()) {
            assert_eq!(at(x, text), at(y, other));
        }
        for (x, y) in ua.params().zip(ub.params()) {
            assert_eq!(at(x.name, text), at(y.name, other));
        }
    }

    #[test]
    fn a_value_parsed_like_another_is_the_value_parsed_alone() {
        let values = [
            "\"Bob\" <sip:bob@ims.example;user=phone>;tag=1",
            "<sip:bob@ims.example;user=phone>",
            "sip:bob@ims.example;user=phone;tag=2",
            "<sip:bob@IMS.example>",
            "<sips:bob:pw@[2001:db8::1]:5061;transport=tls?subject=x>",
            "<tel:+1-555-0100;phone-context=example.com>",
            "<urn:service:sos>",
            "<sip:bob@ims.example;;>",
            "<sip:b b@ims.example>",
            "sip:bob@ims.example?x=1",
        ];
        for like_text in values {
            let Ok(like) = NameAddr::parse(like_text) else {
                continue;
            };
            for v in values {
                let alone = NameAddr::parse(v);
                let liked = NameAddr::parse_like(v, &like);
                assert_eq!(liked, alone, "{v} like {like_text}");
                if let (Ok(a), Ok(b)) = (&liked, &alone) {
                    same_places(a, v, b, v);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_like_any_value_changes_nothing(
            like in "(\"[a-z ]{0,4}\" )?<(sip|sips|tel):[a-z0-9+.;=@:-]{0,16}>(;tag=[a-z0-9]{1,4})?",
            v in "(\"[a-z ]{0,4}\" )?<?(sip|sips|tel):[a-z0-9+.;=@:-]{0,16}>?(;tag=[a-z0-9]{1,4})?",
        ) {
            if let Ok(like) = NameAddr::parse(&like) {
                proptest::prop_assert_eq!(NameAddr::parse_like(&v, &like), NameAddr::parse(&v));
                // The same URI written in both: taken over, in place.
                let text = like.uri().as_str().to_owned();
                let own = format!("<{text}>");
                let (a, b) = (NameAddr::parse_like(&own, &like), NameAddr::parse(&own));
                proptest::prop_assert_eq!(&a, &b);
                if let (Ok(a), Ok(b)) = (a, b) {
                    same_places(&a, &own, &b, &own);
                }
            }
        }
    }

    fn ok(s: &str) -> NameAddr<'_> {
        NameAddr::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn sample_headers() {
        let c = ok(
            "<sip:r2b6v7cq@8h2kqv9r1c4p.invalid;transport=ws>;reg-id=1;+sip.instance=\"<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>\";expires=3600",
        );
        assert_eq!(c.uri().transport(), Some("ws"));
        assert_eq!(c.reg_id(), Some(1));
        assert_eq!(c.expires(), Some(3600));
        assert_eq!(
            c.instance().as_deref(),
            Some("<urn:uuid:3d1f9a2e-5b7c-4e21-9f0a-6c8d2b4e1a77>")
        );
        let f = ok("\"Bob\" <sip:bob@ims.mnc001.mcc001.3gppnetwork.org>;tag=t0b1bq4r");
        assert_eq!(f.display_name(), Some("\"Bob\""));
        assert_eq!(f.display_name_unquoted().as_deref(), Some("Bob"));
        assert_eq!(f.tag(), Some("t0b1bq4r"));
        assert_eq!(f.uri().user(), Some("bob"));
        let p = ok("<sip:term@pcscf.visited.example;lr;ob>");
        assert!(p.uri().lr());
        assert!(p.uri().param("ob").is_some());
        assert_eq!(p.params().count(), 0);
        let items: Vec<_> =
            NameAddr::parse_list("<sip:bob@ims.mnc001.mcc001.3gppnetwork.org>, <tel:+15550100123>")
                .collect::<Result<_, _>>()
                .expect("valid");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].0, 45);
        assert_eq!(items[1].1.uri().scheme(), Scheme::Tel);
    }

    #[test]
    fn rfc4475_valid() {
        // wsinv
        let to = ok("\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
        assert_eq!(to.tag(), Some("1918181833n"));
        assert!(!to.is_bracketed());
        let from = ok(
            " \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
        );
        assert_eq!(
            from.display_name_unquoted().as_deref(),
            Some("J Rosenberg \\\"")
        );
        assert_eq!(from.tag(), Some("98asjd8"));
        let m = ok(
            "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33",
        );
        assert_eq!(m.q(), Some(330));
        assert_eq!(m.param("newparam").and_then(|p| p.value), Some("newvalue"));
        assert_eq!(m.param("secondparam").map(|p| p.value), Some(None));
        // lwsdisp
        let l = ok("caller<sip:caller@example.com>;tag=323");
        assert_eq!(l.display_name(), Some("caller"));
        // intmeth: controls escaped in a quoted display name, token display names.
        let t = ok(
            "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>",
        );
        assert_eq!(
            t.display_name_unquoted().as_deref(),
            Some("BEL:\x07 NUL:\x00 DEL:\x7f")
        );
        let f = ok(
            "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\u{430}\u{431}\u{43e}\u{442}\u{430}\u{44e}\u{449}\u{438}\u{439}\";tag=_token~1'+`*%!-.",
        );
        assert_eq!(f.display_name(), Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(f.tag(), Some("_token~1'+`*%!-."));
        // cparam01 / cparam02
        let c1 = ok("sip:+19725552222@gw1.example.net;unknownparam");
        assert_eq!(c1.uri().params().count(), 0);
        assert!(c1.param("unknownparam").is_some());
        let c2 = ok("<sip:+19725552222@gw1.example.net;unknownparam>");
        assert!(c2.uri().param("unknownparam").is_some());
        assert!(c2.param("unknownparam").is_none());
        // regescrt
        let r = ok("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");
        assert!(r.uri().has_headers());
        // unksm2
        assert!(matches!(
            ok("isbn:2983792873").uri().scheme(),
            Scheme::Other("isbn")
        ));
        assert_eq!(
            ok("<http://www.example.com>;tag=3234233").tag(),
            Some("3234233")
        );
        assert_eq!(ok("<name:John_Smith>").uri().as_str(), "name:John_Smith");
        // esc02: % in a display name is literal.
        assert_eq!(
            ok("\"%Z%45\" <sip:resource@example.com>")
                .display_name_unquoted()
                .as_deref(),
            Some("%Z%45")
        );
        // scalar02: a huge expires saturates.
        assert_eq!(
            ok("<sip:user@host129.example.com>\r\n  ;expires=280297596632815").expires(),
            Some(u32::MAX)
        );
        // IPv6
        let v6 = ok("<sip:[2001:db8::10]:5070;lr>");
        assert_eq!(v6.uri().port(), Some(5070));
    }

    #[test]
    fn rfc4475_invalid() {
        // quotbal
        assert_eq!(
            NameAddr::parse("\"Mr. J. User <sip:j.user@example.com>").map_err(|e| e.kind),
            Err(ParseErrorKind::Expected("closing quote"))
        );
        // baddn
        assert!(NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43").is_err());
        // badaspec
        assert!(NameAddr::parse("\"Watson, Thomas\" < sip:t.watson@example.org >").is_err());
        // regbadct
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E").is_err());
        // badinv01
        assert!(NameAddr::parse("\"Joe\" <sip:joe@example.org>;;;;").is_err());
        // ltgt / misc
        for bad in [
            "",
            "<sip:a@b",
            "\"x\" sip:a@b",
            "<sip:a@b> x",
            "<sip:a@b>;tag=",
            "sip:a@b x",
            "<>",
            "a b",
            "<sip:a@b>>",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad:?}");
        }
        let e = NameAddr::parse("  <sip:a@b>;;").expect_err("empty param");
        assert_eq!(e.offset, 12);
    }

    #[test]
    fn param_ranges_are_relative_to_value() {
        let v = " <sip:a@b> ;tag=x; expires=5";
        let n = ok(v);
        assert_eq!(&v[n.uri_range()], "sip:a@b");
        let bare = " sip:a@b;tag=1";
        assert_eq!(&bare[ok(bare).uri_range()], "sip:a@b");
        let t = n.param("tag").expect("tag");
        assert_eq!(&v[t.range.clone()], "tag=x");
        let r = t.removal_range(v);
        assert_eq!(
            format!("{}{}", &v[..r.start], &v[r.end..]),
            " <sip:a@b>; expires=5"
        );
        assert_eq!(ok("<sip:a@b>;q=1.000").q(), Some(1000));
        assert_eq!(ok("<sip:a@b>;q=1.5").q(), None);
        assert_eq!(ok("<sip:a@b>;q=0").q(), Some(0));
        assert_eq!(ok("<sip:a@b>;q=0.0001").q(), None);
    }
}
