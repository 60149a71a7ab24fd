//! Credentials and challenges: Authorization / Proxy-Authorization and
//! WWW-Authenticate / Proxy-Authenticate (RFC 3261 sections 20.7, 20.28, 20.27, 20.44
//! and 22.4; RFC 7235 section 2.1 for `token68`), the Bearer scheme of RFC 8898
//! section 2 with the `b64token` of RFC 6750 section 2.1 and its challenge parameters
//! (RFC 6750 section 3), and the `integrity-protected` Digest parameter of 3GPP TS
//! 24.229 clause 7.2A.1.
//!
//! After the scheme comes either a single `token68` (the Bearer access token) or a
//! comma-separated list of `auth-param`s; unknown schemes are kept generic (RFC 4475
//! section 3.3.9).

use std::borrow::Cow;
use std::fmt;

use super::lex::{class, skip_blocks, skip_lws, skip_token, sub, trim};
use super::params::{Param, Params, Style};
use crate::message::ParseError;

/// An authentication scheme (compared case-insensitively, RFC 3261 section 25.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthScheme<'a> {
    /// `Digest` (RFC 3261 section 22.4, RFC 8760).
    Digest,
    /// `Bearer` (RFC 8898, RFC 6750).
    Bearer,
    /// Any other scheme, as written.
    Other(&'a str),
}

impl<'a> AuthScheme<'a> {
    fn from_token(t: &'a str) -> Self {
        if t.eq_ignore_ascii_case("Digest") {
            AuthScheme::Digest
        } else if t.eq_ignore_ascii_case("Bearer") {
            AuthScheme::Bearer
        } else {
            AuthScheme::Other(t)
        }
    }
}

/// `b64token` characters, by arithmetic rather than table lookup so that the check of
/// a whole block compiles to vector instructions (access tokens are hundreds of bytes).
#[inline]
const fn is_b64_byte(c: u8) -> bool {
    // `-` `.` `/` and the digits are one run (0x2D..=0x39): two range tests and three
    // equalities per vector instead of two ranges and six equalities.
    (c | 0x20).wrapping_sub(b'a') <= b'z' - b'a'
        || c.wrapping_sub(b'-') <= b'9' - b'-'
        || c == b'_'
        || c == b'~'
        || c == b'+'
}

/// Index of the first byte at or after `i` that is not a `b64token` character (tokens
/// are hundreds of bytes: blocks of 32).
fn skip_b64(b: &[u8], i: usize) -> usize {
    skip_blocks::<32>(b, i, is_b64_byte, class::B64)
}

/// `true` when `s` is an RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" /
/// "~" / "+" / "/" ) *"="`.
pub fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty() && skip_b64(body.as_bytes(), 0) == body.len()
}

/// The shared shape of credentials and challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AuthValue<'a> {
    scheme: AuthScheme<'a>,
    scheme_str: &'a str,
    token68: Option<&'a str>,
    params: Params<'a>,
}

impl<'a> AuthValue<'a> {
    fn parse(value: &'a str) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        let b = v.as_bytes();
        let s1 = skip_token(b, 0);
        if s1 == 0 {
            return Err(ParseError::expected("auth-scheme", base));
        }
        let scheme_str = sub(v, 0, s1);
        let mut out = Self {
            scheme: AuthScheme::from_token(scheme_str),
            scheme_str,
            token68: None,
            params: Params::default(),
        };
        if s1 == b.len() {
            return Ok(out);
        }
        let k = skip_lws(b, s1);
        if k == s1 {
            return Err(ParseError::expected(
                "white space after auth-scheme",
                base + s1,
            ));
        }
        // RFC 7235 section 2.1: a token68 is the whole rest; otherwise auth-params.
        let t = skip_b64(b, k);
        if t > k {
            let mut e = t;
            while b.get(e) == Some(&b'=') {
                e += 1;
            }
            if e == b.len() {
                out.token68 = Some(sub(v, k, e));
                return Ok(out);
            }
        }
        out.params = Params::parse(sub(v, k, v.len()), base + k, Style::Auth)?;
        Ok(out)
    }

    fn unquoted(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params.get(name).and_then(|p| p.unquoted())
    }
}

/// The value of the `integrity-protected` Digest parameter (3GPP TS 24.229 clause
/// 7.2A.1), telling the S-CSCF how the P-CSCF protected the REGISTER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegrityProtected<'a> {
    /// `yes`: IPsec security association in place.
    Yes,
    /// `no`.
    No,
    /// `tls-pending`.
    TlsPending,
    /// `tls-yes`.
    TlsYes,
    /// `ip-assoc-pending`.
    IpAssocPending,
    /// `ip-assoc-yes`.
    IpAssocYes,
    /// `auth-done`: a trusted node has already authenticated the user (TS 33.203
    /// Annex U).
    AuthDone,
    /// A value outside the TS 24.229 list, as written (quotes removed).
    Other(&'a str),
}

impl<'a> IntegrityProtected<'a> {
    const KNOWN: [(&'static str, IntegrityProtected<'static>); 7] = [
        ("yes", IntegrityProtected::Yes),
        ("no", IntegrityProtected::No),
        ("tls-pending", IntegrityProtected::TlsPending),
        ("tls-yes", IntegrityProtected::TlsYes),
        ("ip-assoc-pending", IntegrityProtected::IpAssocPending),
        ("ip-assoc-yes", IntegrityProtected::IpAssocYes),
        ("auth-done", IntegrityProtected::AuthDone),
    ];

    /// Classifies a parameter value, quoted or not, ignoring case.
    pub fn from_value(v: &'a str) -> Self {
        let bare = v
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(v);
        Self::KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(bare))
            .map_or(IntegrityProtected::Other(bare), |&(_, k)| k)
    }

    /// The value as written on the wire (without quotes).
    pub fn as_str(&self) -> &'a str {
        match self {
            IntegrityProtected::Other(v) => v,
            known => Self::KNOWN
                .iter()
                .find(|(_, k)| k == known)
                .map_or("", |&(name, _)| name),
        }
    }
}

impl fmt::Display for IntegrityProtected<'_> {
    /// Writes the value without quotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! common_accessors {
    () => {
        /// The scheme.
        pub fn scheme(&self) -> AuthScheme<'a> {
            self.0.scheme
        }

        /// The scheme as written.
        pub fn scheme_str(&self) -> &'a str {
            self.0.scheme_str
        }

        /// The `token68` that follows the scheme, when the value has that form.
        pub fn token68(&self) -> Option<&'a str> {
            self.0.token68
        }

        /// The auth-params, in order (empty for the `token68` form).
        pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
            self.0.params.iter()
        }

        /// The auth-param section, for lookups.
        pub fn param_section(&self) -> Params<'a> {
            self.0.params
        }

        /// The first auth-param called `name` (case-insensitive). Its
        /// [`Param::range`] locates it within the parsed value, e.g. to remove it.
        pub fn param(&self, name: &str) -> Option<Param<'a>> {
            self.0.params.get(name)
        }

        /// The value of auth-param `name`, quotes removed.
        pub fn param_unquoted(&self, name: &str) -> Option<Cow<'a, str>> {
            self.0.unquoted(name)
        }

        /// `realm`.
        pub fn realm(&self) -> Option<Cow<'a, str>> {
            self.0.unquoted("realm")
        }

        /// `nonce`.
        pub fn nonce(&self) -> Option<Cow<'a, str>> {
            self.0.unquoted("nonce")
        }

        /// `opaque`.
        pub fn opaque(&self) -> Option<Cow<'a, str>> {
            self.0.unquoted("opaque")
        }

        /// `algorithm`.
        pub fn algorithm(&self) -> Option<Cow<'a, str>> {
            self.0.unquoted("algorithm")
        }
    };
}

/// The value of an Authorization or Proxy-Authorization header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a>(AuthValue<'a>);

impl<'a> Credentials<'a> {
    /// Parses a credentials value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        AuthValue::parse(value).map(Self)
    }

    common_accessors!();

    /// The access token of `Bearer` credentials (RFC 8898 section 2.4, RFC 6750
    /// section 2.1); `None` for other schemes or when no single `b64token` follows.
    pub fn bearer_token(&self) -> Option<&'a str> {
        match self.0.scheme {
            AuthScheme::Bearer => self.0.token68,
            _ => None,
        }
    }

    /// `username` (the private user identity in IMS, TS 24.229 clause 5.1.1.2).
    pub fn username(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("username")
    }

    /// `uri` (the digest-uri).
    pub fn uri(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("uri")
    }

    /// `response`.
    pub fn response(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("response")
    }

    /// `integrity-protected` (TS 24.229 clause 7.2A.1), accepted quoted or not.
    pub fn integrity_protected(&self) -> Option<IntegrityProtected<'a>> {
        self.0
            .params
            .value("integrity-protected")
            .flatten()
            .map(IntegrityProtected::from_value)
    }
}

/// The value of a WWW-Authenticate or Proxy-Authenticate header (one challenge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a>(AuthValue<'a>);

impl<'a> Challenge<'a> {
    /// Parses a challenge value.
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        AuthValue::parse(value).map(Self)
    }

    common_accessors!();

    /// `scope` of a Bearer challenge (RFC 6750 section 3, RFC 8898 section 2.3).
    pub fn scope(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("scope")
    }

    /// `authz_server`: where to obtain a token (RFC 8898 section 2.3).
    pub fn authz_server(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("authz_server")
    }

    /// `error` of a Bearer challenge (RFC 6750 section 3.1).
    pub fn error(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("error")
    }

    /// `error_description` of a Bearer challenge (RFC 6750 section 3).
    pub fn error_description(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("error_description")
    }

    /// `qop` options of a Digest challenge (still comma-separated).
    pub fn qop(&self) -> Option<Cow<'a, str>> {
        self.0.unquoted("qop")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_bytes_by_arithmetic_match_the_class_table() {
        for c in 0..=255u8 {
            assert_eq!(
                is_b64_byte(c),
                super::super::lex::is(c, super::super::lex::class::B64),
                "{c:#x}"
            );
        }
    }

    const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IndhZi0yMDI2LTExIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL3dhZi5vcGVyYXRvci5leGFtcGxlIiwic3ViIjoiYm9iIiwiYXVkIjoic2lwOmltcy5tbmMwMDEubWNjMDAxLjNncHBuZXR3b3JrLm9yZyIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzk1NDgwMDAwLCJzY29wZSI6InNpcDpyZWdpc3RlciJ9.c2lnbmF0dXJlLW5vdC12YWxpZC1pbi10aGlzLXNhbXBsZS1vbmx5LXNoYXBlLW1hdHRlcnM";

    #[test]
    fn b64_classes_agree() {
        for c in 0..=255u8 {
            assert_eq!(is_b64_byte(c), super::super::lex::is(c, class::B64), "{c}");
        }
        let long = "a".repeat(100) + "!";
        assert_eq!(skip_b64(long.as_bytes(), 0), 100);
        assert_eq!(skip_b64(long.as_bytes(), 99), 100);
        assert_eq!(skip_b64(b"", 0), 0);
    }

    #[test]
    fn bearer_credentials() {
        let v = format!(" Bearer {TOKEN}\r\n");
        let c = Credentials::parse(&v).expect("valid");
        assert_eq!(c.scheme(), AuthScheme::Bearer);
        assert_eq!(c.bearer_token(), Some(TOKEN));
        assert_eq!(c.params().count(), 0);
        assert_eq!(
            Credentials::parse("bearer abc==").map(|c| c.bearer_token()),
            Ok(Some("abc=="))
        );
        assert_eq!(
            Credentials::parse("Bearer a/b+c~d").map(|c| c.bearer_token()),
            Ok(Some("a/b+c~d"))
        );
        // Not a b64token: falls back to auth-params, so no bearer token.
        assert_eq!(
            Credentials::parse("Bearer a=b").map(|c| c.bearer_token()),
            Ok(None)
        );
        assert!(Credentials::parse("Bearer a b").is_err());
        // Unquoted auth-param values may hold `=` (base64 nonces sent bare).
        assert!(Credentials::parse("Bearer a=b=").is_ok());
        assert!(
            Credentials::parse("Bearer ")
                .map(|c| c.bearer_token())
                .is_ok_and(|t| t.is_none())
        );
        assert!(
            Credentials::parse("Bearerabc")
                .is_ok_and(|c| matches!(c.scheme(), AuthScheme::Other(_)))
        );
        assert!(Credentials::parse("Bearer\"x\"").is_err());
        assert!(is_b64token("ab=="));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("a=b"));
    }

    #[test]
    fn annex_u_digest() {
        let v = "Digest username=\"alice_private@home.example\", realm=\"home.example\",\r\n    uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"";
        let c = Credentials::parse(v).expect("valid");
        assert_eq!(c.scheme(), AuthScheme::Digest);
        assert_eq!(c.username().as_deref(), Some("alice_private@home.example"));
        assert_eq!(c.realm().as_deref(), Some("home.example"));
        assert_eq!(c.uri().as_deref(), Some("sip:home.example"));
        assert_eq!(c.nonce().as_deref(), Some(""));
        assert_eq!(c.response().as_deref(), Some(""));
        assert_eq!(c.integrity_protected(), Some(IntegrityProtected::AuthDone));
        assert_eq!(c.token68(), None);
        let p = c.param("Integrity-Protected").expect("present");
        assert_eq!(&v[p.range.clone()], "integrity-protected=\"auth-done\"");
        let r = p.removal_range(v);
        assert!(v[..r.start].ends_with("response=\"\""));
        assert_eq!(r.end, v.len());
        let u =
            Credentials::parse("Digest username=x, integrity-protected=tls-yes").expect("valid");
        assert_eq!(u.integrity_protected(), Some(IntegrityProtected::TlsYes));
        assert_eq!(
            Credentials::parse("Digest integrity-protected=\"maybe\"")
                .map(|c| c.integrity_protected()),
            Ok(Some(IntegrityProtected::Other("maybe")))
        );
        for (s, k) in IntegrityProtected::KNOWN {
            assert_eq!(IntegrityProtected::from_value(s), k);
            assert_eq!(k.as_str(), s);
        }
    }

    #[test]
    fn rfc4475_regaut01_unknown_scheme() {
        let c = Credentials::parse("NoOneKnowsThisScheme opaque-data=here").expect("valid");
        assert_eq!(c.scheme(), AuthScheme::Other("NoOneKnowsThisScheme"));
        assert_eq!(c.param("opaque-data").and_then(|p| p.value), Some("here"));
    }

    #[test]
    fn bearer_challenge() {
        let c = Challenge::parse(
            "Bearer realm=\"ims.example\", scope=\"sip:register\", authz_server=\"https://as.example/token\", error=\"invalid_token\", error_description=\"expired \\\"token\\\"\"",
        )
        .expect("valid");
        assert_eq!(c.scheme(), AuthScheme::Bearer);
        assert_eq!(c.realm().as_deref(), Some("ims.example"));
        assert_eq!(c.scope().as_deref(), Some("sip:register"));
        assert_eq!(
            c.authz_server().as_deref(),
            Some("https://as.example/token")
        );
        assert_eq!(c.error().as_deref(), Some("invalid_token"));
        assert_eq!(c.error_description().as_deref(), Some("expired \"token\""));
        let d = Challenge::parse(
            "Digest realm=\"a\", nonce=\"b\",qop=\"auth,auth-int\" ,algorithm=MD5, opaque=\"\"",
        )
        .expect("valid");
        assert_eq!(d.qop().as_deref(), Some("auth,auth-int"));
        assert_eq!(d.algorithm().as_deref(), Some("MD5"));
        assert_eq!(d.opaque().as_deref(), Some(""));
        assert_eq!(
            Challenge::parse("Bearer").map(|c| c.params().count()),
            Ok(0)
        );
        for bad in [
            "",
            " ",
            "\"Digest\" a=b",
            "Digest realm=\"a",
            "Digest a=b c=d",
            "Digest a=b,, =c",
        ] {
            assert!(Challenge::parse(bad).is_err(), "{bad:?}");
        }
    }
}
