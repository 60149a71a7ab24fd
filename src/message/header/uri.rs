//! URIs in header values and request lines: SIP and SIPS URIs (RFC 3261 section 19.1
//! and the `SIP-URI` grammar of section 25.1), `tel` URIs (RFC 3966, as used in
//! P-Associated-URI by RFC 3455) and any other `absoluteURI` (kept opaque).
//!
//! A URI never contains white space (RFC 3261 section 25.1; RFC 4475 sections 3.1.2.6
//! and 3.1.2.15); %-escapes are validated when parsing and decoded only on request
//! (RFC 3261 section 19.1.4 compares URIs after unescaping).

use std::borrow::Cow;
use std::fmt;

use super::host::{Host, parse_host_at, parse_port};
use super::lex::{class, hex_val, rebase, sub};
use super::params::{Param, Params, Style, scan_escaped};
use crate::message::{ParseError, ParseErrorKind};

/// A URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme<'a> {
    /// `sip`.
    Sip,
    /// `sips`.
    Sips,
    /// `tel` (RFC 3966).
    Tel,
    /// Any other scheme, as written.
    Other(&'a str),
}

impl Scheme<'_> {
    /// `true` for `sip` and `sips`.
    pub fn is_sip(&self) -> bool {
        matches!(self, Scheme::Sip | Scheme::Sips)
    }
}

/// A parsed URI borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uri<'a> {
    raw: &'a str,
    scheme: Scheme<'a>,
    user: Option<&'a str>,
    password: Option<&'a str>,
    host: Option<(Host<'a>, &'a str)>,
    port: Option<u16>,
    params: Params<'a>,
    headers: Params<'a>,
}

const fn is_tel_byte(c: u8) -> bool {
    c.is_ascii_hexdigit() || matches!(c, b'*' | b'#' | b'-' | b'.' | b'(' | b')')
}

/// Checks that `s` is made of bytes of the classes in `mask` or `%` HEX HEX escapes.
fn check_escaped(s: &str, base: usize, mask: u16, what: &'static str) -> Result<(), ParseError> {
    let b = s.as_bytes();
    let e = scan_escaped(b, 0, mask).map_err(|e| e.shifted(base))?;
    if e < b.len() {
        return Err(ParseError::expected(what, base + e));
    }
    Ok(())
}

impl<'a> Uri<'a> {
    /// Parses a whole URI (no surrounding white space or angle brackets).
    pub fn parse(s: &'a str) -> Result<Self, ParseError> {
        let b = s.as_bytes();
        // A branch-free test first (vectorised); the position only on failure.
        let has_ctl = b
            .iter()
            .fold(false, |acc, &c| acc | (c <= b' ') | (c == 0x7f));
        if let Some(i) = has_ctl
            .then(|| b.iter().position(|&c| c <= b' ' || c == 0x7f))
            .flatten()
        {
            return match b.get(i) {
                Some(&c) if c != b' ' && c != b'\t' => {
                    Err(ParseError::new(ParseErrorKind::ForbiddenByte(c), i))
                }
                _ => Err(ParseError::expected("URI without white space", i)),
            };
        }
        // The scheme is a few bytes: a plain scan beats setting up a vector search.
        let colon = b
            .iter()
            .position(|&c| c == b':')
            .ok_or_else(|| ParseError::expected("URI scheme", 0))?;
        let scheme_str = sub(s, 0, colon);
        let mut sb = scheme_str.bytes();
        if !sb.next().is_some_and(|c| c.is_ascii_alphabetic())
            || !sb.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            return Err(ParseError::expected("URI scheme", 0));
        }
        let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_str.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_str.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            Scheme::Other(scheme_str)
        };
        let start = colon + 1;
        let mut uri = Uri {
            raw: s,
            scheme,
            user: None,
            password: None,
            host: None,
            port: None,
            params: Params::default(),
            headers: Params::default(),
        };
        match scheme {
            Scheme::Sip | Scheme::Sips => uri.parse_sip(start)?,
            Scheme::Tel => uri.parse_tel(start)?,
            Scheme::Other(_) => {
                if start >= b.len() {
                    return Err(ParseError::expected("URI body", start));
                }
                if let Some(i) = b.iter().position(|&c| matches!(c, b'<' | b'>' | b'"')) {
                    return Err(ParseError::expected("URI character", i));
                }
            }
        }
        Ok(uri)
    }

    fn parse_sip(&mut self, start: usize) -> Result<(), ParseError> {
        let s = self.raw;
        let b = s.as_bytes();
        let rest = sub(s, start, s.len());
        let mut i = start;
        // `@` appears in no part after the userinfo, so the first one ends it.
        if let Some(at) = memchr::memchr(b'@', rest.as_bytes()).map(|k| start + k) {
            let userinfo = sub(s, start, at);
            let (user, password) = match userinfo.bytes().position(|c| c == b':') {
                Some(k) => (
                    sub(userinfo, 0, k),
                    Some((start + k + 1, sub(userinfo, k + 1, userinfo.len()))),
                ),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(ParseError::expected("URI user", start));
            }
            check_escaped(user, start, class::USER, "URI user character")?;
            if let Some((pos, pw)) = password {
                check_escaped(pw, pos, class::PASSWORD, "URI password character")?;
                self.password = Some(pw);
            }
            self.user = Some(user);
            i = at + 1;
        }
        let (host, e) = parse_host_at(s, i)?;
        self.host = Some((host, sub(s, i, e)));
        i = e;
        if b.get(i) == Some(&b':') {
            let mut e = i + 1;
            while b.get(e).is_some_and(u8::is_ascii_digit) {
                e += 1;
            }
            self.port = Some(parse_port(sub(s, i + 1, e), i + 1)?);
            i = e;
        }
        let q = b
            .get(i..)
            .and_then(|r| memchr::memchr(b'?', r))
            .map_or(b.len(), |k| i + k);
        match b.get(i) {
            None | Some(b';' | b'?') => {}
            Some(_) => return Err(ParseError::new(ParseErrorKind::Trailing("URI host"), i)),
        }
        self.params = Params::parse(sub(s, i, q), i, Style::Uri)?;
        self.headers = Params::parse(sub(s, q, s.len()), q, Style::UriHeaders)?;
        Ok(())
    }

    fn parse_tel(&mut self, start: usize) -> Result<(), ParseError> {
        let s = self.raw;
        let b = s.as_bytes();
        let end = b
            .get(start..)
            .and_then(|r| memchr::memchr(b';', r))
            .map_or(b.len(), |k| start + k);
        let number = sub(s, start, end);
        let digits = number.strip_prefix('+').unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(is_tel_byte) {
            return Err(ParseError::expected("telephone number", start));
        }
        self.user = Some(number);
        self.params = Params::parse(sub(s, end, s.len()), end, Style::Uri)?;
        Ok(())
    }

    /// This URI as parsed from `raw`, a text equal to the one it was parsed from: the
    /// same parse, its parts taken from `raw`, without reading `raw` again. `None` when
    /// the texts differ.
    pub(crate) fn rebased<'b>(&self, raw: &'b str) -> Option<Uri<'b>> {
        if raw != self.raw {
            return None;
        }
        let from = self.raw;
        let at = |part: &str| rebase(part, from, raw);
        Some(Uri {
            raw,
            scheme: match self.scheme {
                Scheme::Sip => Scheme::Sip,
                Scheme::Sips => Scheme::Sips,
                Scheme::Tel => Scheme::Tel,
                Scheme::Other(s) => Scheme::Other(at(s)),
            },
            user: self.user.map(at),
            password: self.password.map(at),
            host: self.host.map(|(host, text)| {
                let host = match host {
                    Host::Domain(d) => Host::Domain(at(d)),
                    Host::Ipv4(a) => Host::Ipv4(a),
                    Host::Ipv6(a) => Host::Ipv6(a),
                };
                (host, at(text))
            }),
            port: self.port,
            params: self.params.rebased(from, raw),
            headers: self.headers.rebased(from, raw),
        })
    }

    /// The whole URI text, as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme<'a> {
        self.scheme
    }

    /// The user part (still %-escaped); the number of a `tel` URI.
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The telephone number of a `tel` URI (with its leading `+` if global).
    pub fn number(&self) -> Option<&'a str> {
        match self.scheme {
            Scheme::Tel => self.user,
            _ => None,
        }
    }

    /// The user part with %-escapes decoded. Bytes, not text: `%00` yields a NUL and
    /// `%FF` a byte that is not UTF-8 (RFC 4475 section 3.1.1.4).
    pub fn user_decoded(&self) -> Option<Cow<'a, [u8]>> {
        self.user
            .map(|u| percent_decode(u).unwrap_or(Cow::Borrowed(u.as_bytes())))
    }

    /// The password of the userinfo (deprecated by RFC 3261 section 19.1.1, but legal).
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host of a SIP/SIPS URI; `None` for other schemes.
    pub fn host(&self) -> Option<Host<'a>> {
        self.host.map(|(h, _)| h)
    }

    /// The host exactly as written (IPv6 with brackets).
    pub fn host_str(&self) -> Option<&'a str> {
        self.host.map(|(_, t)| t)
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters (`;name[=value]`), values still %-escaped. Their ranges are
    /// relative to [`Uri::as_str`]. Empty for schemes other than `sip`, `sips`, `tel`.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }

    /// The URI parameter section, for lookups.
    pub fn param_section(&self) -> Params<'a> {
        self.params
    }

    /// The first URI parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'a>> {
        self.params.get(name)
    }

    /// `true` when the URI carries `lr` (loose routing, RFC 3261 section 19.1.1).
    pub fn lr(&self) -> bool {
        self.params.contains("lr")
    }

    /// The `transport` parameter value.
    pub fn transport(&self) -> Option<&'a str> {
        self.params.value("transport").flatten()
    }

    /// The URI headers (`?name=value&...`), still %-escaped.
    pub fn headers(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.headers.iter()
    }

    /// `true` when the URI has a `?headers` part (forbidden in a Request-URI and
    /// meaningless in Via and Route, RFC 3261 section 19.1.1 table 1).
    pub fn has_headers(&self) -> bool {
        !self.headers.as_str().is_empty()
    }
}

impl fmt::Display for Uri<'_> {
    /// Writes the URI as it was parsed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

/// Decodes `%` HEX HEX escapes. Borrows when there is nothing to decode; a `%` not
/// followed by two hex digits is an error. NUL and non-UTF-8 bytes are kept as bytes.
pub fn percent_decode(s: &str) -> Result<Cow<'_, [u8]>, ParseError> {
    let b = s.as_bytes();
    let Some(first) = memchr::memchr(b'%', b) else {
        return Ok(Cow::Borrowed(b));
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..first).unwrap_or_default());
    let mut i = first;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = b.get(i + 1).and_then(|&c| hex_val(c));
            let lo = b.get(i + 2).and_then(|&c| hex_val(c));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(ParseError::expected("%-escape of two hex digits", i)),
            }
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn ok(s: &str) -> Uri<'_> {
        Uri::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn sip_uri_parts() {
        let u = ok("sip:bob:pw@[2001:db8::10]:5070;transport=ws;lr?Route=%3Csip:a%3E&x=");
        assert_eq!(u.scheme(), Scheme::Sip);
        assert_eq!(u.user(), Some("bob"));
        assert_eq!(u.password(), Some("pw"));
        assert_eq!(
            u.host(),
            Some(Host::Ipv6("2001:db8::10".parse::<Ipv6Addr>().expect("v6")))
        );
        assert_eq!(u.host_str(), Some("[2001:db8::10]"));
        assert_eq!(u.port(), Some(5070));
        assert_eq!(u.transport(), Some("ws"));
        assert!(u.lr());
        assert_eq!(u.headers().count(), 2);
        assert!(u.has_headers());
        let p = u.param("TRANSPORT").expect("transport");
        assert_eq!(&u.as_str()[p.range], "transport=ws");
        assert_eq!(ok("SIPS:a.example").scheme(), Scheme::Sips);
        assert_eq!(ok("sip:a.example").user(), None);
    }

    #[test]
    fn rfc4475_escapes() {
        // esc01
        let u = ok("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(
            u.user_decoded().as_deref(),
            Some(&b"sips:user@example.com"[..])
        );
        let c = ok("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        assert_eq!(c.user_decoded().as_deref(), Some(&b"caller"[..]));
        assert_eq!(c.params().count(), 2);
        // escnull: decoding keeps the NULs.
        let n = ok("sip:null-%00-null@example.com");
        assert_eq!(n.user_decoded().as_deref(), Some(&b"null-\0-null"[..]));
        assert_eq!(
            ok("sip:%00%00@host5.example.com").user_decoded().as_deref(),
            Some(&b"\0\0"[..])
        );
        // semiuri: `;` and escaped `@` belong to the user part.
        let s = ok("sip:user;par=u%40example.net@example.com");
        assert_eq!(s.user(), Some("user;par=u%40example.net"));
        assert_eq!(s.params().count(), 0);
        // regescrt
        let r = ok("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
        let h = r.headers().next().expect("header");
        assert_eq!(h.name, "Route");
        assert_eq!(
            percent_decode(h.value.unwrap_or_default())
                .expect("valid")
                .as_ref(),
            b"<sip:sip.example.com>"
        );
        // intmeth
        let i = ok(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            i.user(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            i.password(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(i.host(), Some(Host::Domain("example.com")));
    }

    #[test]
    fn tel_and_other_schemes() {
        let t = ok("tel:+15550100123;phone-context=example.com");
        assert_eq!(t.scheme(), Scheme::Tel);
        assert_eq!(t.number(), Some("+15550100123"));
        assert_eq!(t.host(), None);
        assert_eq!(
            t.param("phone-context").and_then(|p| p.value),
            Some("example.com")
        );
        for o in [
            "soap.beep://192.0.2.103:3002",
            "http://www.example.com",
            "name:John_Smith",
            "isbn:2983792873",
            "mailto:a@b.example",
            "nobodyKnowsThisScheme:totallyopaquecontent",
        ] {
            let u = ok(o);
            assert!(matches!(u.scheme(), Scheme::Other(_)), "{o}");
            assert_eq!(u.as_str(), o);
        }
        assert_eq!(ok("urn:x").scheme(), Scheme::Other("urn"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "sip:",
            "sip:user@example.com; lr",
            "sip:user@example.com ",
            "sip:a b@c",
            "sip:@host",
            "sip:a@",
            "sip:a@host:",
            "sip:a@host:70000",
            "sip:a@host;",
            "sip:a@host;=x",
            "sip:a@host?x",
            "sip:a%zz@host",
            "sip:a@host%41",
            "sip:a@h\x00",
            "tel:",
            "tel:+1 2",
            "tel:abcz",
            "1x:foo",
            ":foo",
            "x:",
            "http://a<b",
            "nocolon",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Uri::parse("sip:a@h\x00").map_err(|e| e.kind),
            Err(ParseErrorKind::ForbiddenByte(0))
        );
    }

    #[test]
    fn decoding() {
        assert!(matches!(percent_decode("abc"), Ok(Cow::Borrowed(_))));
        assert_eq!(percent_decode("%41%ff").expect("ok").as_ref(), b"A\xff");
        assert!(percent_decode("%4").is_err());
        assert!(percent_decode("%g1").is_err());
        assert!(percent_decode("Ñ%").is_err());
    }
}
