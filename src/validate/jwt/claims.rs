//! Reading the JWT claims set (RFC 7519 section 4) in one pass.
//!
//! The claims the validator needs are the registered ones of RFC 7519 section 4.1 (`iss`,
//! `sub`, `aud`, `exp`, `nbf`, `iat`), the scope (`scope` of RFC 9068 section 2.2.3 and RFC 8693
//! section 4.2, or the common `scp` array) and the identity claims whose names are configured.
//! The payload is parsed once, straight into those fields; every other member is skipped
//! without being stored. A member that fills a role twice makes the token malformed (RFC 7519
//! section 4: parsers must either refuse duplicate claim names or keep the last; refusing
//! closes the door on parser-differential tricks).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use smallvec::SmallVec;

use super::config::ClaimNames;

/// Most claim names tried in turn for the IMPI.
pub const MAX_IMPI_CLAIMS: usize = 4;

const ISS: u32 = 1;
const SUB: u32 = 1 << 1;
const AUD: u32 = 1 << 2;
const EXP: u32 = 1 << 3;
const NBF: u32 = 1 << 4;
const IAT: u32 = 1 << 5;
const SCOPE: u32 = 1 << 6;
const SCP: u32 = 1 << 7;
const IMPUS: u32 = 1 << 8;
const WWSF: u32 = 1 << 9;
const AUTH_ENTITY: u32 = 1 << 10;
const IMPI_SHIFT: u32 = 11;

/// A claim string, borrowed from the decoded payload unless it held JSON escapes.
pub(crate) type Text<'a> = Cow<'a, str>;
/// A claim that is a string or an array of strings; two fit without allocating.
pub(crate) type TextList<'a> = SmallVec<[Text<'a>; 2]>;

/// The claims the validator uses, as found in the token.
#[derive(Debug, Default)]
pub(crate) struct RawClaims<'a> {
    pub(crate) iss: Option<Text<'a>>,
    pub(crate) sub: Option<Text<'a>>,
    pub(crate) aud: Option<TextList<'a>>,
    pub(crate) exp: Option<f64>,
    pub(crate) nbf: Option<f64>,
    pub(crate) iat: Option<f64>,
    pub(crate) scope: Option<Text<'a>>,
    pub(crate) scp: Option<TextList<'a>>,
    pub(crate) impi: [Option<Text<'a>>; MAX_IMPI_CLAIMS],
    pub(crate) impus: Option<TextList<'a>>,
    pub(crate) wwsf: Option<Text<'a>>,
    pub(crate) auth_entity: Option<Text<'a>>,
    /// The role of the first claim whose JSON type was wrong.
    pub(crate) type_error: Option<&'static str>,
}

/// A claim value, reduced to the shapes the roles accept.
#[derive(Clone)]
enum Value<'a> {
    Null,
    Str(Text<'a>),
    Num(f64),
    List(TextList<'a>),
    Other,
}

impl<'a> RawClaims<'a> {
    fn assign(&mut self, roles: u32, value: Value<'a>) {
        if matches!(value, Value::Null) {
            return;
        }
        let take = |bit: u32| (roles & bit != 0).then(|| value.clone());
        if let Some(v) = take(ISS) {
            self.iss = self.string(v, "iss");
        }
        if let Some(v) = take(SUB) {
            self.sub = self.string(v, "sub");
        }
        if let Some(v) = take(AUD) {
            self.aud = self.list(v, "aud");
        }
        if let Some(v) = take(EXP) {
            self.exp = self.number(v, "exp");
        }
        if let Some(v) = take(NBF) {
            self.nbf = self.number(v, "nbf");
        }
        if let Some(v) = take(IAT) {
            self.iat = self.number(v, "iat");
        }
        if let Some(v) = take(SCOPE) {
            self.scope = self.string(v, "scope");
        }
        if let Some(v) = take(SCP) {
            self.scp = self.list(v, "scope");
        }
        if let Some(v) = take(IMPUS) {
            self.impus = self.list(v, "impus");
        }
        if let Some(v) = take(WWSF) {
            self.wwsf = self.string(v, "wwsf");
        }
        if let Some(v) = take(AUTH_ENTITY) {
            self.auth_entity = self.string(v, "auth_entity");
        }
        for i in 0..MAX_IMPI_CLAIMS {
            if let Some(v) = take(1 << (IMPI_SHIFT + i as u32)) {
                let s = self.string(v, "impi");
                if let Some(slot) = self.impi.get_mut(i) {
                    *slot = s;
                }
            }
        }
    }

    fn fail<T>(&mut self, role: &'static str) -> Option<T> {
        self.type_error.get_or_insert(role);
        None
    }

    fn string(&mut self, v: Value<'a>, role: &'static str) -> Option<Text<'a>> {
        match v {
            Value::Str(s) => Some(s),
            _ => self.fail(role),
        }
    }

    fn number(&mut self, v: Value<'a>, role: &'static str) -> Option<f64> {
        match v {
            Value::Num(n) => Some(n),
            _ => self.fail(role),
        }
    }

    fn list(&mut self, v: Value<'a>, role: &'static str) -> Option<TextList<'a>> {
        match v {
            Value::Str(s) => Some(smallvec::smallvec![s]),
            Value::List(l) => Some(l),
            _ => self.fail(role),
        }
    }
}

/// Parses a claims set JSON object with the configured claim names.
/// Strings without escapes are borrowed from `json`.
pub(crate) fn parse<'a>(
    json: &'a [u8],
    names: &ClaimNames,
) -> Result<RawClaims<'a>, serde_json::Error> {
    // One UTF-8 check over the whole payload (RFC 7519 section 7.2 step 9: it must be UTF-8)
    // is cheaper than the parser's check of each string.
    let json = std::str::from_utf8(json).map_err(|_| de::Error::custom("not UTF-8"))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let claims = ClaimsSeed { names }.deserialize(&mut de)?;
    de.end()?;
    Ok(claims)
}

/// Reads `iss` alone, for routing before the signature is checked.
pub(crate) fn peek_issuer(json: &[u8]) -> Result<Option<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Iss {
        #[serde(default)]
        iss: Option<String>,
    }
    serde_json::from_slice::<Iss>(json).map(|i| i.iss)
}

struct ClaimsSeed<'a> {
    names: &'a ClaimNames,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = RawClaims<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawClaims<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims<'de>, A::Error> {
        let mut claims = RawClaims::default();
        let mut seen = 0u32;
        while let Some(roles) = map.next_key_seed(RoleSeed { names: self.names })? {
            if roles == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if seen & roles != 0 {
                return Err(de::Error::custom("duplicate claim"));
            }
            seen |= roles;
            let value = map.next_value::<Value<'de>>()?;
            claims.assign(roles, value);
        }
        Ok(claims)
    }
}

/// Maps a member name to the roles it fills, without allocating.
struct RoleSeed<'a> {
    names: &'a ClaimNames,
}

impl RoleSeed<'_> {
    fn roles(&self, name: &str) -> u32 {
        let mut roles = match name {
            "iss" => ISS,
            "sub" => SUB,
            "aud" => AUD,
            "exp" => EXP,
            "nbf" => NBF,
            "iat" => IAT,
            "scope" => SCOPE,
            "scp" => SCP,
            _ => 0,
        };
        let is = |configured: Option<&str>| configured == Some(name);
        if is(self.names.impus.as_deref()) {
            roles |= IMPUS;
        }
        if is(self.names.wwsf.as_deref()) {
            roles |= WWSF;
        }
        if is(self.names.auth_entity_claim()) {
            roles |= AUTH_ENTITY;
        }
        for (i, impi) in self.names.impi.iter().take(MAX_IMPI_CLAIMS).enumerate() {
            if impi == name {
                roles |= 1 << (IMPI_SHIFT + i as u32);
            }
        }
        roles
    }
}

impl<'de> DeserializeSeed<'de> for RoleSeed<'_> {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RoleSeed<'_> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claim name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        Ok(self.roles(v))
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value<'de>, E> {
        Ok(Value::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Num(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Num(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(Value::Num(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut list = TextList::new();
        let mut all_strings = true;
        while let Some(item) = seq.next_element::<Value<'de>>()? {
            match item {
                Value::Str(s) if all_strings => list.push(s),
                _ => all_strings = false,
            }
        }
        Ok(if all_strings {
            Value::List(list)
        } else {
            Value::Other
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Value::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ClaimNames {
        ClaimNames::default()
    }

    #[test]
    fn reads_roles_in_one_pass() {
        let c = parse(
            br#"{"iss":"https://waf","sub":"alice@home.example","aud":["a","b"],"exp":10.5,
                "nbf":1,"iat":1,"scope":"sip ims","scp":["x"],"impus":"sip:alice@home.example",
                "wwsf":"wwsf.example","other":{"deep":[1,2,{"x":null}]}}"#,
            &names(),
        )
        .unwrap();
        assert_eq!(c.iss.as_deref(), Some("https://waf"));
        assert_eq!(c.aud.as_deref(), Some(&["a".into(), "b".into()][..]));
        assert_eq!(c.exp, Some(10.5));
        assert_eq!(
            c.impus.as_deref(),
            Some(&["sip:alice@home.example".into()][..])
        );
        // `sub` fills the subject and the IMPI fallback.
        assert_eq!(c.impi[1].as_deref(), Some("alice@home.example"));
        assert_eq!(c.sub.as_deref(), Some("alice@home.example"));
        assert!(c.type_error.is_none());
    }

    #[test]
    fn flags_wrong_types_and_duplicates() {
        let c = parse(br#"{"exp":"soon","aud":[1]}"#, &names()).unwrap();
        assert_eq!(c.type_error, Some("exp"));
        assert!(parse(br#"{"exp":1,"exp":2}"#, &names()).is_err());
        assert!(parse(br#"{"exp":1} x"#, &names()).is_err());
        assert!(parse(br#"[1]"#, &names()).is_err());
        assert!(parse(br#"{"exp":null}"#, &names()).unwrap().exp.is_none());
    }

    #[test]
    fn peeks_issuer() {
        assert_eq!(
            peek_issuer(br#"{"a":[1],"iss":"x"}"#).unwrap().as_deref(),
            Some("x")
        );
        assert!(peek_issuer(br#"{"iss":"x","iss":"y"}"#).is_err());
    }
}
