//! Parameters: the `;name=value` lists of header fields (`generic-param`, RFC 3261
//! section 25.1), of SIP URIs (`uri-parameters` and `headers`, RFC 3261 section 19.1.1)
//! and the comma-separated `auth-param`s of credentials and challenges (RFC 3261
//! section 25.1, RFC 7235 section 2.1).
//!
//! A parser validates a parameter section once and keeps it as raw text; [`Params`]
//! then walks it again on demand, so reading parameters never allocates. Names compare
//! case-insensitively (RFC 3261 section 7.3.1); values are returned raw, quotes kept,
//! and [`unquote`] strips them.

use std::borrow::Cow;
use std::ops::Range;

use super::lex::{class, hex_val, is, rebase, scan_quoted, skip_class, skip_lws, skip_token, sub};
use crate::message::ParseError;

/// One parameter as it appears in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// The parameter name, as written (compare case-insensitively).
    pub name: &'a str,
    /// The raw value: `None` for a valueless parameter (`;lr`), quotes kept for a
    /// `quoted-string`, %-escapes kept for URI parameters.
    pub value: Option<&'a str>,
    /// Byte range of the whole `name[=value]` element (separators excluded), relative
    /// to the string given to the parser that produced this parameter.
    pub range: Range<usize>,
}

impl<'a> Param<'a> {
    /// `true` when the name equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value with surrounding quotes removed and quoted-pairs resolved (see
    /// [`unquote`]); `None` for a valueless parameter.
    pub fn unquoted(&self) -> Option<Cow<'a, str>> {
        self.value.map(unquote)
    }

    /// The range to cut out of `within` (the string this parameter was parsed from) to
    /// remove the parameter together with one adjacent separator (`;`, `,`, `&`) and
    /// its white space, leaving a well-formed list.
    pub fn removal_range(&self, within: &str) -> Range<usize> {
        let b = within.as_bytes();
        let is_sep = |c: u8| matches!(c, b';' | b',' | b'&' | b'?');
        let is_sp = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let mut a = self.range.start.min(b.len());
        while a > 0 && b.get(a - 1).is_some_and(|&c| is_sp(c)) {
            a -= 1;
        }
        if a > 0 && b.get(a - 1).is_some_and(|&c| is_sep(c) && c != b'?') {
            a -= 1;
            while a > 0 && b.get(a - 1).is_some_and(|&c| is_sp(c)) {
                a -= 1;
            }
            return a..self.range.end.min(b.len());
        }
        // First element: take the following separator instead.
        let mut e = self.range.end.min(b.len());
        let mut k = e;
        while b.get(k).is_some_and(|&c| is_sp(c)) {
            k += 1;
        }
        if b.get(k).is_some_and(|&c| is_sep(c)) {
            k += 1;
            while b.get(k).is_some_and(|&c| is_sp(c)) {
                k += 1;
            }
            e = k;
        }
        self.range.start.min(e)..e
    }
}

/// Removes the quotes around a `quoted-string` and resolves its quoted-pairs; any other
/// text is returned unchanged. Allocates only when the string holds a `\` escape.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let inner = match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if s.len() >= 2 => inner,
        _ => return Cow::Borrowed(s),
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The grammar a parameter section follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Style {
    /// `*( SEMI generic-param )`: LWS around `;` and `=`, token/host/quoted values.
    #[default]
    Header,
    /// `*( ";" uri-parameter )`: no white space, `paramchar`s with %-escapes.
    Uri,
    /// `"?" header *( "&" header )` of a SIP URI; values may be empty.
    UriHeaders,
    /// `auth-param *( COMMA auth-param )`: every parameter has a value.
    Auth,
    /// `generic-param *( SEMI generic-param )`: as [`Style::Header`] but without a
    /// `;` before the first parameter (P-Charging-Vector, RFC 7315 section 4.6).
    HeaderNoLead,
}

/// A validated parameter section, read lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
    base: usize,
    style: Style,
}

impl<'a> Params<'a> {
    /// This section as read from `raw`, a text equal to the one it was read from (see
    /// [`crate::message::header::Uri`]'s `rebased`).
    pub(crate) fn rebased<'b>(&self, from: &str, raw: &'b str) -> Params<'b> {
        Params {
            raw: rebase(self.raw, from, raw),
            base: self.base,
            style: self.style,
        }
    }

    /// Validates `raw` as a section of `style`; `base` is the offset of `raw` within
    /// the parser's input, used for error offsets and [`Param::range`].
    #[inline]
    pub(crate) fn parse(raw: &'a str, base: usize, style: Style) -> Result<Self, ParseError> {
        // Most sections are empty (a URI without parameters or headers): no call then.
        if raw.is_empty() {
            return Ok(Self { raw, base, style });
        }
        Self::parse_with(raw, base, style, |_| Ok(()))
    }

    /// Like [`Params::parse`], handing each parameter (range relative to the parser's
    /// input) to `check` in the same pass, so callers can validate or remember the
    /// parameters they know without walking the section again.
    pub(crate) fn parse_with(
        raw: &'a str,
        base: usize,
        style: Style,
        mut check: impl FnMut(Param<'a>) -> Result<(), ParseError>,
    ) -> Result<Self, ParseError> {
        // Most sections are empty (a URI without parameters or headers).
        if raw.is_empty() {
            return Ok(Self { raw, base, style });
        }
        let mut i = 0;
        loop {
            match next_param(raw, i, style) {
                Ok(Some((mut p, n))) => {
                    p.range = p.range.start + base..p.range.end + base;
                    check(p)?;
                    i = n;
                }
                Ok(None) => return Ok(Self { raw, base, style }),
                Err(e) => return Err(e.shifted(base)),
            }
        }
    }

    /// The raw section text (with its leading separator, if any).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// `true` when there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The parameters in order of appearance.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter {
            raw: self.raw,
            base: self.base,
            style: self.style,
            pos: 0,
        }
    }

    /// The first parameter called `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<Param<'a>> {
        self.iter().find(|p| p.is(name))
    }

    /// `true` when a parameter called `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The raw value of the first parameter called `name`: `None` when absent,
    /// `Some(None)` when present without a value.
    pub fn value(&self, name: &str) -> Option<Option<&'a str>> {
        self.get(name).map(|p| p.value)
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over the parameters of a [`Params`] section.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    raw: &'a str,
    base: usize,
    style: Style,
    pos: usize,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        match next_param(self.raw, self.pos, self.style) {
            Ok(Some((mut p, n))) => {
                self.pos = n;
                p.range = p.range.start + self.base..p.range.end + self.base;
                Some(p)
            }
            // The section was validated when parsed, so an error cannot occur here.
            _ => {
                self.pos = self.raw.len();
                None
            }
        }
    }
}

/// Scans a run of bytes of the classes in `mask`, where `%` HEX HEX escapes are also
/// allowed.
pub(crate) fn scan_escaped(b: &[u8], mut i: usize, mask: u16) -> Result<usize, ParseError> {
    loop {
        match b.get(i) {
            Some(b'%') => {
                let h1 = b.get(i + 1).and_then(|&c| hex_val(c));
                let h2 = b.get(i + 2).and_then(|&c| hex_val(c));
                if h1.is_none() || h2.is_none() {
                    return Err(ParseError::expected("%-escape of two hex digits", i));
                }
                i += 3;
            }
            Some(&c) if is(c, mask) => i += 1,
            _ => return Ok(i),
        }
    }
}

/// Parses the parameter starting at `i` (at its separator, or at the first name for an
/// auth section); `Ok(None)` at the end of the section.
fn next_param(s: &str, i: usize, style: Style) -> Result<Option<(Param<'_>, usize)>, ParseError> {
    let b = s.as_bytes();
    match style {
        Style::Header | Style::HeaderNoLead => {
            let j = skip_lws(b, i);
            if j >= b.len() {
                return Ok(None);
            }
            let n0 = if style == Style::HeaderNoLead && i == 0 {
                j
            } else if b.get(j) == Some(&b';') {
                skip_lws(b, j + 1)
            } else {
                return Err(ParseError::expected("';' before a parameter", j));
            };
            let n1 = skip_token(b, n0);
            if n1 == n0 {
                return Err(ParseError::expected("parameter name", n0));
            }
            let k = skip_lws(b, n1);
            if b.get(k) != Some(&b'=') {
                return Ok(Some((param(s, n0, n1, None, n1), n1)));
            }
            let v0 = skip_lws(b, k + 1);
            let v1 = if b.get(v0) == Some(&b'"') {
                scan_quoted(b, v0)?
            } else {
                skip_class(b, v0, class::GEN_VALUE)
            };
            if v1 == v0 {
                return Err(ParseError::expected("parameter value", v0));
            }
            Ok(Some((param(s, n0, n1, Some((v0, v1)), v1), v1)))
        }
        Style::Uri | Style::UriHeaders => {
            if i >= b.len() {
                return Ok(None);
            }
            let sep_ok = match (style, b.get(i)) {
                (Style::Uri, Some(b';')) => true,
                (Style::UriHeaders, Some(b'?')) => i == 0,
                (Style::UriHeaders, Some(b'&')) => i > 0,
                _ => false,
            };
            if !sep_ok {
                return Err(ParseError::expected("URI parameter separator", i));
            }
            let mask = if style == Style::Uri {
                class::PARAMCHAR
            } else {
                class::HCHAR
            };
            let n0 = i + 1;
            let n1 = scan_escaped(b, n0, mask)?;
            if n1 == n0 {
                return Err(ParseError::expected("parameter name", n0));
            }
            if b.get(n1) != Some(&b'=') {
                if style == Style::UriHeaders {
                    return Err(ParseError::expected("'=' in URI header", n1));
                }
                return Ok(Some((param(s, n0, n1, None, n1), n1)));
            }
            let v0 = n1 + 1;
            let v1 = scan_escaped(b, v0, mask)?;
            if v1 == v0 && style == Style::Uri {
                return Err(ParseError::expected("parameter value", v0));
            }
            Ok(Some((param(s, n0, n1, Some((v0, v1)), v1), v1)))
        }
        Style::Auth => {
            let mut j = skip_lws(b, i);
            if j >= b.len() {
                return Ok(None);
            }
            if i > 0 {
                if b.get(j) != Some(&b',') {
                    return Err(ParseError::expected("',' between parameters", j));
                }
                // RFC 7235 section 7.3.1 (list elements may be empty).
                while matches!(b.get(j), Some(b',')) {
                    j = skip_lws(b, j + 1);
                }
                if j >= b.len() {
                    return Ok(None);
                }
            }
            let n0 = j;
            let n1 = skip_token(b, n0);
            if n1 == n0 {
                return Err(ParseError::expected("auth-param name", n0));
            }
            let k = skip_lws(b, n1);
            if b.get(k) != Some(&b'=') {
                return Err(ParseError::expected("'=' after auth-param name", k));
            }
            let v0 = skip_lws(b, k + 1);
            let v1 = if b.get(v0) == Some(&b'"') {
                scan_quoted(b, v0)?
            } else {
                skip_class(b, v0, class::AUTH_VALUE)
            };
            if v1 == v0 {
                return Err(ParseError::expected("auth-param value", v0));
            }
            Ok(Some((param(s, n0, n1, Some((v0, v1)), v1), v1)))
        }
    }
}

#[inline]
fn param(s: &str, n0: usize, n1: usize, v: Option<(usize, usize)>, end: usize) -> Param<'_> {
    Param {
        name: sub(s, n0, n1),
        value: v.map(|(a, e)| sub(s, a, e)),
        range: n0..end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Params<'_>) -> Vec<(String, Option<String>)> {
        p.iter()
            .map(|p| (p.name.to_owned(), p.value.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn header_params_with_lws_and_quotes() {
        let s = " ;   tag    = 1918181833n ;\r\n  x ; q = 0.33;i=\"<urn:a>\"";
        let p = Params::parse(s, 10, Style::Header).expect("valid");
        assert_eq!(
            names(&p),
            vec![
                ("tag".into(), Some("1918181833n".into())),
                ("x".into(), None),
                ("q".into(), Some("0.33".into())),
                ("i".into(), Some("\"<urn:a>\"".into())),
            ]
        );
        let tag = p.get("TAG").expect("tag");
        assert_eq!(
            &s[tag.range.start - 10..tag.range.end - 10],
            "tag    = 1918181833n"
        );
        assert_eq!(
            p.get("i").and_then(|p| p.unquoted()).as_deref(),
            Some("<urn:a>")
        );
        assert_eq!(p.value("x"), Some(None));
        assert_eq!(p.value("y"), None);
    }

    #[test]
    fn header_params_rejects() {
        for bad in [
            ";", ";;", ";a=", "x", ";a=\"b", ";a b", ";a=b c", ";=b", ";a=b,",
        ] {
            assert!(Params::parse(bad, 0, Style::Header).is_err(), "{bad:?}");
        }
        assert!(
            Params::parse("", 0, Style::Header)
                .expect("empty")
                .is_empty()
        );
        assert_eq!(
            Params::parse(";;", 7, Style::Header),
            Err(ParseError::expected("parameter name", 8))
        );
    }

    #[test]
    fn uri_params_and_headers() {
        let p = Params::parse(
            ";lr;%6C%72;n%61me=v%61lue%25%34%31;maddr=[::1]",
            0,
            Style::Uri,
        )
        .expect("valid");
        assert_eq!(p.iter().count(), 4);
        assert_eq!(p.value("n%61me"), Some(Some("v%61lue%25%34%31")));
        assert!(Params::parse(";a=%zz", 0, Style::Uri).is_err());
        assert!(Params::parse(";a=", 0, Style::Uri).is_err());
        assert!(Params::parse(";a b", 0, Style::Uri).is_err());
        let h = Params::parse("?Route=%3Csip:sip.example.com%3E&a=", 0, Style::UriHeaders)
            .expect("valid");
        assert_eq!(h.value("route"), Some(Some("%3Csip:sip.example.com%3E")));
        assert_eq!(h.value("a"), Some(Some("")));
        assert!(Params::parse("?a", 0, Style::UriHeaders).is_err());
        assert!(Params::parse("&a=b", 0, Style::UriHeaders).is_err());
    }

    #[test]
    fn auth_params() {
        let s = "username=\"a\" ,realm = b,\r\n nonce=\"\", , uri=sip:x";
        let p = Params::parse(s, 0, Style::Auth).expect("valid");
        assert_eq!(p.iter().count(), 4);
        assert_eq!(p.value("nonce"), Some(Some("\"\"")));
        assert_eq!(p.value("uri"), Some(Some("sip:x")));
        for bad in ["a", "a=", "a=b c=d", "=b", "a=\"x"] {
            assert!(Params::parse(bad, 0, Style::Auth).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn removal_ranges() {
        let s = "a=1, b=2, c=3";
        let p = Params::parse(s, 0, Style::Auth).expect("valid");
        let cut = |name: &str| {
            let r = p.get(name).expect("present").removal_range(s);
            format!("{}{}", &s[..r.start], &s[r.end..])
        };
        assert_eq!(cut("a"), "b=2, c=3");
        assert_eq!(cut("b"), "a=1, c=3");
        assert_eq!(cut("c"), "a=1, b=2");
        let h = ";x=1 ; y;z=\"q\"";
        let p = Params::parse(h, 0, Style::Header).expect("valid");
        let r = p.get("y").expect("y").removal_range(h);
        assert_eq!(format!("{}{}", &h[..r.start], &h[r.end..]), ";x=1;z=\"q\"");
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote("\"a\\\"b\\\\\""), "a\"b\\");
        assert!(matches!(unquote("\"plain\""), Cow::Borrowed("plain")));
        assert_eq!(unquote("token"), "token");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("\"\""), "");
    }
}
