//! Validated identities taken from an authorisation token.
//!
//! 3GPP TS 24.371 has the eP-CSCF obtain the private user identity (IMPI), the public user
//! identities (IMPUs), the WWSF identity and, for a third-party WAF, the identity of the
//! authorisation entity from the token. TS 33.203 Annex U then writes the IMPI into the
//! `username` of a Digest Authorization header (RFC 3261 section 25.1 `quoted-string`), and
//! IMPUs end up in header values such as `To` or `P-Associated-URI`. Every value here is
//! checked on construction so that nothing a token carries can break out of a header field:
//! no CR, LF, NUL or other control characters, no double quotes or backslashes, and, for the
//! identities, none of the separators (`,`, `;`, `<`, `>`) that would split a header value.
//!
//! ```
//! use sip_oauth::identity::{Impi, Impu};
//! let impi = Impi::try_from("alice_private@home.example").unwrap();
//! let impu = Impu::try_from("sip:alice@home.example").unwrap();
//! assert_eq!(impi.realm(), "home.example");
//! assert!(Impu::try_from("sip:alice@home.example\r\nVia: x").is_err());
//! ```

use std::fmt;

use crate::message::header::{Host, Scheme, parse_hostport};
use crate::message::{HeaderValue, QuotedText};

/// Longest accepted IMPI, in bytes (RFC 7542 section 2.2 caps an NAI at 253 octets; a little
/// room is left for deployments that exceed it slightly).
pub const MAX_IMPI_LEN: usize = 255;
/// Longest accepted IMPU, in bytes.
pub const MAX_IMPU_LEN: usize = 512;
/// Longest accepted [`HeaderText`], in bytes.
pub const MAX_HEADER_TEXT_LEN: usize = 1024;

/// Why a string was refused as an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The value is empty.
    #[error("identity is empty")]
    Empty,
    /// The value is longer than the limit for its kind.
    #[error("identity is longer than {max} bytes")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The value holds CR, LF, NUL or another control character.
    #[error("identity contains a control character")]
    ControlCharacter,
    /// The value holds a double quote or a backslash.
    #[error("identity contains a quote or backslash")]
    Quote,
    /// The value holds whitespace where none is allowed.
    #[error("identity contains whitespace")]
    Whitespace,
    /// The value holds a header separator (`,` `;` `<` `>`) or a non-ASCII byte.
    #[error("identity contains a forbidden character")]
    ForbiddenCharacter,
    /// An IMPI is not of the form `user@realm`.
    #[error("private identity is not of the form user@realm")]
    NotNai,
    /// The realm of an IMPI is not a domain name.
    #[error("private identity realm is not a domain name")]
    BadRealm,
    /// An IMPU does not start with `sip:`, `sips:` or `tel:`.
    #[error("public identity is not a sip:, sips: or tel: URI")]
    BadScheme,
    /// An IMPU has nothing after its scheme.
    #[error("public identity URI is empty after the scheme")]
    EmptyUri,
    /// The value starts or ends with a space.
    #[error("text starts or ends with a space")]
    OuterSpace,
}

/// Checks shared by every kind: length, then the writers' check of quoted text (no
/// CR, LF, NUL or other control), then quotes and backslashes (so no kind needs escapes)
/// and the controls beyond ASCII.
fn check_common(s: &str, max: usize) -> Result<QuotedText, IdentityError> {
    if s.is_empty() {
        return Err(IdentityError::Empty);
    }
    if s.len() > max {
        return Err(IdentityError::TooLong { max });
    }
    let text = QuotedText::new("identity", s).map_err(|_| IdentityError::ControlCharacter)?;
    if text.to_value().is_none() {
        return Err(IdentityError::Quote);
    }
    if !s.is_ascii() && s.chars().any(char::is_control) {
        return Err(IdentityError::ControlCharacter);
    }
    Ok(text)
}

/// Checks for values written bare or inside a URI: no whitespace, no separators, ASCII only.
fn check_token_chars(s: &str) -> Result<(), IdentityError> {
    for b in s.bytes() {
        match b {
            b' ' | b'\t' => return Err(IdentityError::Whitespace),
            b',' | b';' | b'<' | b'>' => return Err(IdentityError::ForbiddenCharacter),
            0x21..=0x7e => {}
            _ => return Err(IdentityError::ForbiddenCharacter),
        }
    }
    Ok(())
}

/// A private user identity (IMPI) as a Network Access Identifier, `user@realm`
/// (3GPP TS 23.003 section 13.3, RFC 7542).
///
/// Restricted to printable ASCII without whitespace, quotes, backslash, `,` `;` `<` `>`, with
/// exactly one `@` and a domain-name realm, so it can be written into a Digest `username`
/// quoted-string (TS 33.203 Annex U) unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Impi(QuotedText);

impl Impi {
    /// The identity as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The identity as quoted text (no copy; it never needs escapes).
    pub fn as_quoted(&self) -> &QuotedText {
        &self.0
    }

    /// The identity as a header value (no copy).
    pub fn to_value(&self) -> HeaderValue {
        self.0.to_value().unwrap_or(HeaderValue::EMPTY)
    }

    /// The realm: the part after the `@`.
    pub fn realm(&self) -> &str {
        self.as_str()
            .rsplit_once('@')
            .map_or("", |(_, realm)| realm)
    }

    /// The user part: the part before the `@`.
    pub fn user(&self) -> &str {
        self.as_str().rsplit_once('@').map_or("", |(user, _)| user)
    }
}

impl TryFrom<&str> for Impi {
    type Error = IdentityError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let text = check_common(s, MAX_IMPI_LEN)?;
        check_token_chars(s)?;
        let (user, realm) = s.split_once('@').ok_or(IdentityError::NotNai)?;
        if user.is_empty() || realm.contains('@') {
            return Err(IdentityError::NotNai);
        }
        // The realm is a domain name in the host grammar every writer uses.
        if !matches!(parse_hostport(realm), Ok((Host::Domain(_), None))) {
            return Err(IdentityError::BadRealm);
        }
        Ok(Self(text))
    }
}

impl TryFrom<String> for Impi {
    type Error = IdentityError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Impi::try_from(s.as_str())
    }
}

impl fmt::Display for Impi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Impi {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A public user identity (IMPU): a `sip:`, `sips:` (RFC 3261 section 19.1) or `tel:`
/// (RFC 3966) URI.
///
/// Restricted to printable ASCII without whitespace, quotes, backslash, `,` `<` `>`, so it can
/// be placed inside `<...>` in a name-addr without escaping. `;` is allowed, since URI
/// parameters use it and it cannot end a name-addr inside angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Impu(HeaderValue);

impl Impu {
    /// The URI as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URI as a header value (no copy).
    pub fn as_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The URI scheme: [`Scheme::Sip`], [`Scheme::Sips`] or [`Scheme::Tel`].
    pub fn scheme(&self) -> Scheme<'static> {
        scheme_of(self.as_str()).map_or(Scheme::Sip, |(scheme, _)| scheme)
    }
}

/// The scheme of an IMPU (`sip:`, `sips:` or `tel:`, case-insensitive) at the start of
/// `s`, and the length of its prefix.
fn scheme_of(s: &str) -> Option<(Scheme<'static>, usize)> {
    [
        ("sips:", Scheme::Sips),
        ("sip:", Scheme::Sip),
        ("tel:", Scheme::Tel),
    ]
    .into_iter()
    .find(|(p, _)| {
        s.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
    .map(|(p, scheme)| (scheme, p.len()))
}

impl TryFrom<&str> for Impu {
    type Error = IdentityError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        // Quoted text without quotes or backslashes is a header value as it stands.
        let value = check_common(s, MAX_IMPU_LEN)?
            .to_value()
            .ok_or(IdentityError::Quote)?;
        for b in s.bytes() {
            match b {
                b' ' | b'\t' => return Err(IdentityError::Whitespace),
                b',' | b'<' | b'>' => return Err(IdentityError::ForbiddenCharacter),
                0x21..=0x7e => {}
                _ => return Err(IdentityError::ForbiddenCharacter),
            }
        }
        let (_, scheme) = scheme_of(s).ok_or(IdentityError::BadScheme)?;
        match s.get(scheme..) {
            Some(rest) if !rest.is_empty() && !rest.starts_with(';') => Ok(Self(value)),
            _ => Err(IdentityError::EmptyUri),
        }
    }
}

impl TryFrom<String> for Impu {
    type Error = IdentityError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Impu::try_from(s.as_str())
    }
}

impl fmt::Display for Impu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Impu {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Text that is safe inside a SIP `quoted-string` (RFC 3261 section 25.1): no control
/// characters (so no CR, LF or NUL), no double quote, no backslash, no leading or trailing space.
///
/// Used for the WWSF identity and the identity of the authorisation entity, whose form
/// TS 24.371 leaves open; a writer still has to quote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderText(QuotedText);

impl HeaderText {
    /// The text as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text as quoted text (no copy; it never needs escapes).
    pub fn as_quoted(&self) -> &QuotedText {
        &self.0
    }

    /// The text as a header value (no copy).
    pub fn to_value(&self) -> HeaderValue {
        self.0.to_value().unwrap_or(HeaderValue::EMPTY)
    }
}

impl TryFrom<&str> for HeaderText {
    type Error = IdentityError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        let text = check_common(s, MAX_HEADER_TEXT_LEN)?;
        if s.starts_with(' ') || s.ends_with(' ') {
            return Err(IdentityError::OuterSpace);
        }
        Ok(Self(text))
    }
}

impl TryFrom<String> for HeaderText {
    type Error = IdentityError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        HeaderText::try_from(s.as_str())
    }
}

impl fmt::Display for HeaderText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for HeaderText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impi_accepts_nai() {
        let impi = Impi::try_from("alice_private@home.example").unwrap();
        assert_eq!(impi.user(), "alice_private");
        assert_eq!(impi.realm(), "home.example");
        assert_eq!(impi.to_string(), "alice_private@home.example");
        assert!(Impi::try_from("234150999999999@ims.mnc015.mcc234.3gppnetwork.org").is_ok());
    }

    #[test]
    fn impi_rejects_injection_and_bad_forms() {
        use IdentityError::*;
        let cases: &[(&str, IdentityError)] = &[
            ("", Empty),
            ("alice", NotNai),
            ("@home.example", NotNai),
            ("a@b@home.example", NotNai),
            ("alice@", BadRealm),
            ("alice@home..example", BadRealm),
            ("alice@-home.example", BadRealm),
            ("alice\r\n@home.example", ControlCharacter),
            ("alice@home.example\0", ControlCharacter),
            ("al\"ice@home.example", Quote),
            ("al\\ice@home.example", Quote),
            ("al ice@home.example", Whitespace),
            ("alice,bob@home.example", ForbiddenCharacter),
            ("alice;x@home.example", ForbiddenCharacter),
            ("<alice@home.example>", ForbiddenCharacter),
            ("alicé@home.example", ForbiddenCharacter),
        ];
        for (input, want) in cases {
            assert_eq!(Impi::try_from(*input), Err(*want), "{input:?}");
        }
        let long = format!("{}@home.example", "a".repeat(300));
        assert_eq!(
            Impi::try_from(long.as_str()),
            Err(TooLong { max: MAX_IMPI_LEN })
        );
    }

    #[test]
    fn impu_accepts_sip_sips_tel() {
        assert_eq!(
            Impu::try_from("sip:alice@home.example").unwrap().scheme(),
            Scheme::Sip
        );
        assert_eq!(
            Impu::try_from("SIPS:alice@home.example").unwrap().scheme(),
            Scheme::Sips
        );
        assert_eq!(
            Impu::try_from("tel:+15551234567").unwrap().scheme(),
            Scheme::Tel
        );
        assert!(Impu::try_from("sip:alice@home.example;user=phone").is_ok());
    }

    #[test]
    fn impu_rejects_injection_and_bad_forms() {
        use IdentityError::*;
        let cases: &[(&str, IdentityError)] = &[
            ("", Empty),
            ("http://x", BadScheme),
            ("alice@home.example", BadScheme),
            ("sip:", EmptyUri),
            ("sip:;lr", EmptyUri),
            ("sip:a@b\r\nVia: x", ControlCharacter),
            ("sip:a\"@b", Quote),
            ("sip:a@b>", ForbiddenCharacter),
            ("sip:a@b,sip:c@d", ForbiddenCharacter),
            ("sip:a @b", Whitespace),
        ];
        for (input, want) in cases {
            assert_eq!(Impu::try_from(*input), Err(*want), "{input:?}");
        }
    }

    #[test]
    fn header_text_rules() {
        assert!(HeaderText::try_from("https://wwsf.example/app, v2").is_ok());
        assert_eq!(HeaderText::try_from(" x"), Err(IdentityError::OuterSpace));
        assert_eq!(
            HeaderText::try_from("x\ny"),
            Err(IdentityError::ControlCharacter)
        );
        assert_eq!(HeaderText::try_from("x\"y"), Err(IdentityError::Quote));
        assert_eq!(HeaderText::try_from(""), Err(IdentityError::Empty));
    }
}
