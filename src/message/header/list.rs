//! Splitting comma-separated header values into their elements (RFC 3261 section 7.3.1:
//! `#element` lists such as Via, Contact, Route, Path, Service-Route, P-Associated-URI).
//!
//! A comma separates elements only outside `quoted-string`s (honouring `\` quoted-pairs)
//! and outside `<...>` URIs, where it is an ordinary character.

use super::lex::{is_token_byte, is_ws, sub};
use crate::message::ParseError;

/// Splits `value` at the commas that separate list elements.
///
/// Yields each element trimmed of LWS together with its byte offset within `value`;
/// empty elements (`a,,b`, a trailing comma) are skipped. The iterator never fails: an
/// unterminated quote or bracket simply extends the last element to the end, where the
/// element parser reports it.
pub fn split_list(value: &str) -> SplitList<'_> {
    SplitList { value, pos: 0 }
}

/// Iterator returned by [`split_list`].
#[derive(Debug, Clone)]
pub struct SplitList<'a> {
    value: &'a str,
    pos: usize,
}

impl<'a> Iterator for SplitList<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.value.as_bytes();
        while self.pos < b.len() {
            let start = self.pos;
            // Most lists have one element: without a comma left there is nothing to
            // split, and no quote or bracket to track.
            let end = if memchr::memchr(b',', b.get(start..).unwrap_or_default()).is_none() {
                b.len()
            } else {
                element_end(b, start)
            };
            self.pos = end + 1;
            let mut a = start;
            let mut e = end;
            while a < e && b.get(a).is_some_and(|&c| is_ws(c)) {
                a += 1;
            }
            while e > a && b.get(e - 1).is_some_and(|&c| is_ws(c)) {
                e -= 1;
            }
            if a < e {
                return Some((a, sub(self.value, a, e)));
            }
        }
        None
    }
}

/// Index of the comma ending the element that starts at `i` (or `b.len()`). Jumps
/// from one delimiter to the next with memchr instead of testing every byte: only
/// `,` `"` `<` matter outside brackets and quotes, `>` `"` inside brackets, and `"`
/// `\` inside quotes.
fn element_end(b: &[u8], mut i: usize) -> usize {
    let find = |i: usize, f: fn(&[u8]) -> Option<usize>| b.get(i..).and_then(f).map(|k| i + k);
    loop {
        let Some(k) = find(i, |r| memchr::memchr3(b',', b'"', b'<', r)) else {
            return b.len();
        };
        match b.get(k) {
            Some(b'"') => i = after_quote(b, k + 1),
            Some(b'<') => {
                // Inside `<...>` a comma is data; a quote still opens a quoted-string.
                let mut j = k + 1;
                loop {
                    match find(j, |r| memchr::memchr2(b'>', b'"', r)) {
                        None => return b.len(),
                        Some(q) if b.get(q) == Some(&b'"') => j = after_quote(b, q + 1),
                        Some(q) => {
                            i = q + 1;
                            break;
                        }
                    }
                }
            }
            _ => return k,
        }
    }
}

/// Index just past the `"` closing a quoted-string whose content starts at `i`
/// (`b.len()` or beyond when unterminated), honouring `\` quoted-pairs.
fn after_quote(b: &[u8], mut i: usize) -> usize {
    loop {
        match b
            .get(i..)
            .and_then(|r| memchr::memchr2(b'"', b'\\', r))
            .map(|k| i + k)
        {
            None => return b.len(),
            Some(k) if b.get(k) == Some(&b'"') => return k + 1,
            Some(k) => i = k + 2,
        }
    }
}

/// Parses every element of a comma-separated `value` with `parse`, yielding each
/// element's offset within `value` with its result. Errors are shifted to be relative
/// to `value`; ranges inside a parsed element stay relative to that element.
pub fn parse_list<'a, T: 'a>(
    value: &'a str,
    parse: fn(&'a str) -> Result<T, ParseError>,
) -> impl Iterator<Item = Result<(usize, T), ParseError>> + 'a {
    split_list(value).map(move |(off, s)| parse(s).map(|t| (off, t)).map_err(|e| e.shifted(off)))
}

/// A validated comma-separated list of `token`s (option tags, methods), read lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenList<'a> {
    raw: &'a str,
}

impl<'a> TokenList<'a> {
    /// Validates `value` as `[token *(COMMA token)]`; `what` names the element in errors.
    pub fn parse(value: &'a str, what: &'static str) -> Result<Self, ParseError> {
        for (off, item) in split_list(value) {
            if let Some(i) = item.bytes().position(|c| !is_token_byte(c)) {
                return Err(ParseError::expected(what, off + i));
            }
        }
        Ok(Self { raw: value })
    }

    /// The tokens, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        split_list(self.raw).map(|(_, s)| s)
    }

    /// `true` when `token` is in the list (exact, case-sensitive comparison).
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// `true` when the list holds no token.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The raw header value.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lists() {
        let t = TokenList::parse(" path,gruu ,\r\n outbound", "option-tag").expect("valid");
        assert_eq!(t.iter().collect::<Vec<_>>(), ["path", "gruu", "outbound"]);
        assert!(t.contains("gruu"));
        assert!(!t.contains("GRUU"));
        assert!(TokenList::parse("", "x").expect("empty").is_empty());
        assert_eq!(
            TokenList::parse("a, b c", "option-tag"),
            Err(ParseError::expected("option-tag", 4))
        );
        assert!(TokenList::parse("a;b", "x").is_err());
    }

    fn all(v: &str) -> Vec<(usize, &str)> {
        split_list(v).collect()
    }

    #[test]
    fn splits_outside_quotes_and_brackets() {
        assert_eq!(
            all(r#"<sip:a@b>, <tel:+1>"#),
            vec![(0, "<sip:a@b>"), (11, "<tel:+1>")]
        );
        assert_eq!(
            all(r#""Bell, A" <sip:a,b@c>;x="1,2", *"#),
            vec![(0, r#""Bell, A" <sip:a,b@c>;x="1,2""#), (31, "*")]
        );
        assert_eq!(all(r#""a\",b", c"#), vec![(0, r#""a\",b""#), (9, "c")]);
    }

    #[test]
    fn skips_empty_elements_and_trims_folds() {
        assert_eq!(all(" ,a ,\r\n b,, ,"), vec![(2, "a"), (8, "b")]);
        assert_eq!(all(""), vec![]);
        assert_eq!(all(",,,"), vec![]);
        assert_eq!(all(";;,;,,"), vec![(0, ";;"), (3, ";")]);
    }

    #[test]
    fn unterminated_quote_runs_to_end() {
        assert_eq!(all(r#""a, b"#), vec![(0, r#""a, b"#)]);
        assert_eq!(all("\"a\\"), vec![(0, "\"a\\")]);
    }

    /// The byte-at-a-time reading of the splitting rule, as the reference.
    fn element_end_bytewise(b: &[u8], mut i: usize) -> usize {
        let (mut in_quote, mut in_angle) = (false, false);
        while let Some(&c) = b.get(i) {
            if in_quote {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_quote = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_quote = true,
                    b'<' => in_angle = true,
                    b'>' => in_angle = false,
                    b',' if !in_angle => break,
                    _ => {}
                }
            }
            i += 1;
        }
        i.min(b.len())
    }

    proptest::proptest! {
        #[test]
        fn element_end_matches_bytewise(s in "[a,<>\"\\\\ ]{0,24}", i in 0usize..24) {
            let b = s.as_bytes();
            let i = i.min(b.len());
            proptest::prop_assert_eq!(element_end(b, i).min(b.len()), element_end_bytewise(b, i));
        }
    }

    #[test]
    fn semiuri_accept_list() {
        let v = "application/sdp, application/pkcs7-mime,\r\n        multipart/mixed, multipart/signed,\r\n        message/sip, message/sipfrag";
        let items: Vec<&str> = split_list(v).map(|(_, s)| s).collect();
        assert_eq!(items.len(), 6);
        assert_eq!(items[2], "multipart/mixed");
    }
}
