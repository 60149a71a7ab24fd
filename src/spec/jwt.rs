//! [`JwtSpec`]: the settings of a [`JwtValidator`], built into a [`JwtConfig`] or the
//! validator itself.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Deserializer};

use super::error::{SpecError, SpecErrorKind};
use super::secret::Secret;
use super::text::{self, Textual, keyword};
use crate::identity::HeaderText;
use std::sync::Arc;

use crate::validate::jwt::{
    Algorithm, AuthEntitySource, ClaimNames, JwtConfigError, KeySource, MAX_IMPI_CLAIMS,
};
use crate::validate::{Confined, Validator};
use crate::validate::{CryptoBackend, JwtConfig, JwtValidator};

/// The longest accepted clock-skew leeway: more would keep expired tokens valid for long
/// (RFC 7519 section 4.1.4 asks for "no more than a few minutes").
pub const MAX_LEEWAY_SECONDS: u64 = 3600;

/// Where the verification keys come from; exactly one.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySpec {
    /// A shared HMAC secret (HS256/384/512).
    HmacSecret(Secret),
    /// A public key in PEM (RSA, EC or Ed25519), inline.
    Pem(String),
    /// A public key in PEM, read from this file.
    PemFile(PathBuf),
    /// A public key as SubjectPublicKeyInfo DER, read from this file.
    DerFile(PathBuf),
    /// A JSON Web Key Set (RFC 7517 section 5), inline.
    Jwks(JwkSet),
    /// A JSON Web Key Set, read from this file.
    JwksFile(PathBuf),
    /// A JSON Web Key Set the host fetches from this URL and keeps fresh (the WAF's
    /// `jwks_uri`). The library does no I/O: the host fetches the set and builds the
    /// validator with [`JwtSpec::build_with`], then installs later sets with
    /// [`JwtValidator::replace_jwks`].
    JwksUrl(String),
}

// Key material stays out of `{:?}`.
impl std::fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySpec::HmacSecret(s) => f.debug_tuple("HmacSecret").field(s).finish(),
            KeySpec::Pem(_) => f.write_str("Pem(..)"),
            KeySpec::PemFile(p) => f.debug_tuple("PemFile").field(p).finish(),
            KeySpec::DerFile(p) => f.debug_tuple("DerFile").field(p).finish(),
            KeySpec::Jwks(set) => write!(f, "Jwks({} keys)", set.keys.len()),
            KeySpec::JwksFile(p) => f.debug_tuple("JwksFile").field(p).finish(),
            KeySpec::JwksUrl(u) => f.debug_tuple("JwksUrl").field(u).finish(),
        }
    }
}

impl KeySpec {
    /// The URL of a key set the host fetches ([`KeySpec::JwksUrl`]).
    pub fn url(&self) -> Option<&str> {
        match self {
            KeySpec::JwksUrl(u) => Some(u),
            _ => None,
        }
    }

    /// The keys, read from their file if they name one.
    ///
    /// # Errors
    /// Keys that cannot be read, and a [`KeySpec::JwksUrl`], whose keys the host fetches.
    pub fn build(&self) -> Result<KeySource, SpecError> {
        let keys = |why: String| SpecError::new(SpecErrorKind::Keys, "jwt.key", why);
        Ok(match self {
            KeySpec::HmacSecret(s) => KeySource::Hmac(
                s.bytes()
                    .map_err(|e| SpecError::value("jwt.key.hmac_secret", e))?,
            ),
            KeySpec::Pem(p) => KeySource::Pem(p.clone().into_bytes()),
            KeySpec::PemFile(path) => KeySource::Pem(super::read_file(path).map_err(keys)?),
            KeySpec::DerFile(path) => KeySource::Der(super::read_file(path).map_err(keys)?),
            KeySpec::Jwks(set) => KeySource::Jwks(set.clone()),
            KeySpec::JwksFile(path) => {
                let bytes = super::read_file(path).map_err(keys)?;
                let set = serde_json::from_slice(&bytes)
                    .map_err(|e| keys(format!("{}: {e}", path.display())))?;
                KeySource::Jwks(set)
            }
            KeySpec::JwksUrl(_) => {
                return Err(SpecError::new(
                    SpecErrorKind::Keys,
                    "jwt.key.jwks_url",
                    "a key set at a URL is fetched by the host; build with JwtSpec::build_with",
                ));
            }
        })
    }
}

/// One string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// The crypto library for RSA, ECDSA and EdDSA ([`CryptoBackend`]): `aws_lc` or
/// `rust_crypto`, whichever are compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendSpec {
    /// aws-lc (feature `aws-lc-rs`).
    #[serde(alias = "aws-lc")]
    AwsLc,
    /// RustCrypto (feature `rust-crypto`).
    #[serde(alias = "rust-crypto")]
    RustCrypto,
}

impl BackendSpec {
    fn build(self) -> Result<CryptoBackend, SpecError> {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            BackendSpec::AwsLc => Ok(CryptoBackend::AwsLc),
            #[cfg(feature = "rust-crypto")]
            BackendSpec::RustCrypto => Ok(CryptoBackend::RustCrypto),
            #[allow(unreachable_patterns)]
            other => Err(SpecError::value(
                "jwt.backend",
                format!(
                    "{other:?} is not compiled in (available: {:?})",
                    CryptoBackend::available()
                ),
            )),
        }
    }
}

/// Where the authorisation entity of a third-party WAF comes from ([`AuthEntitySource`]):
/// `none`, `issuer`, `claim:NAME` or `fixed:VALUE` (or the maps `{"claim": "NAME"}`,
/// `{"fixed": "VALUE"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEntitySourceSpec(pub AuthEntitySource);

const SOURCE: &str = "an auth-entity source: none, issuer, claim:NAME or fixed:VALUE";

impl FromStr for AuthEntitySourceSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let source = match text.split_once(':') {
            None => match keyword(text).as_str() {
                "none" => AuthEntitySource::None,
                "issuer" => AuthEntitySource::Issuer,
                _ => return Err(format!("{text:?} is not {SOURCE}")),
            },
            Some((kind, name)) if keyword(kind) == "claim" && !name.is_empty() => {
                AuthEntitySource::Claim(name.to_owned())
            }
            Some((kind, value)) if keyword(kind) == "fixed" => AuthEntitySource::Fixed(
                HeaderText::try_from(value).map_err(|e| format!("fixed value: {e}"))?,
            ),
            Some(_) => return Err(format!("{text:?} is not {SOURCE}")),
        };
        Ok(AuthEntitySourceSpec(source))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum SourceMap {
    Claim(String),
    Fixed(String),
}

impl Textual for AuthEntitySourceSpec {
    type Map = SourceMap;
    const EXPECTING: &'static str = SOURCE;

    fn from_map(map: SourceMap) -> Result<Self, String> {
        match map {
            SourceMap::Claim(n) => format!("claim:{n}").parse(),
            SourceMap::Fixed(v) => format!("fixed:{v}").parse(),
        }
    }
}

text::deserialize_textual!(AuthEntitySourceSpec);

/// Tells an explicit `null` (`Some(None)`) from an absent key (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The names of the identity claims ([`ClaimNames`]); an absent key keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClaimsSpec {
    /// Claims tried in order for the IMPI (default `["impi", "sub"]`, at most four).
    pub impi: Option<OneOrMany>,
    /// Claim with the IMPUs (default `impus`); `null` or `""`: not read.
    #[serde(default, deserialize_with = "present")]
    pub impus: Option<Option<String>>,
    /// Whether a token without IMPUs is refused (default no).
    pub require_impus: Option<bool>,
    /// Claim with the WWSF identity (default `wwsf`); `null` or `""`: not read.
    #[serde(default, deserialize_with = "present")]
    pub wwsf: Option<Option<String>>,
    /// Where the authorisation entity identity comes from (default `none`).
    pub auth_entity: Option<AuthEntitySourceSpec>,
}

/// `""` stands for "not read" where a format (TOML) has no `null`.
fn claim(name: &Option<String>) -> Option<String> {
    name.clone().filter(|n| !n.is_empty())
}

impl ClaimsSpec {
    /// The claim names, defaults filled in.
    pub fn build(&self) -> ClaimNames {
        let mut names = ClaimNames::default();
        if let Some(impi) = &self.impi {
            names.impi = impi.to_vec();
        }
        if let Some(impus) = &self.impus {
            names.impus = claim(impus);
        }
        if let Some(r) = self.require_impus {
            names.require_impus = r;
        }
        if let Some(wwsf) = &self.wwsf {
            names.wwsf = claim(wwsf);
        }
        if let Some(a) = &self.auth_entity {
            names.auth_entity = a.0.clone();
        }
        names
    }
}

/// Everything a [`JwtValidator`] is made of. `key` is required, and `audience` unless
/// `allow_any_audience` is true; every other key keeps the default of [`JwtConfig::new`]
/// when absent. Errors name their key under `jwt.`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JwtSpec {
    /// The verification keys.
    pub key: KeySpec,
    /// Accepted algorithms, e.g. `["HS256", "RS256"]` (default: all that fit the keys).
    pub algorithms: Option<Vec<Algorithm>>,
    /// Accepted issuers (`iss`).
    pub issuer: Option<OneOrMany>,
    /// Accepted audiences (`aud`); required unless `allow_any_audience` is true.
    pub audience: Option<OneOrMany>,
    /// Whether a validator without `audience` is allowed (default no; see
    /// [`JwtConfig::allow_any_audience`]).
    pub allow_any_audience: Option<bool>,
    /// How many keys a token whose `kid` selects none is checked against (default 1; see
    /// [`JwtConfig::max_keys_without_kid`]).
    pub max_keys_without_kid: Option<NonZeroUsize>,
    /// Clock-skew leeway in seconds (default 30, at most [`MAX_LEEWAY_SECONDS`]).
    pub leeway_seconds: Option<u64>,
    /// Whether a token without `exp` is refused (default yes).
    pub require_exp: Option<bool>,
    /// Scopes the token must grant.
    pub required_scopes: Option<OneOrMany>,
    /// Whether the header must say `typ: at+jwt` (default no).
    pub require_at_jwt: Option<bool>,
    /// Longest accepted token in bytes (default 8192).
    pub max_token_bytes: Option<NonZeroUsize>,
    /// The crypto library for RSA, ECDSA and EdDSA.
    pub backend: Option<BackendSpec>,
    /// Names of the identity claims.
    pub claims: Option<ClaimsSpec>,
    /// The identities this issuer may vouch for (a third-party WAF's own realms,
    /// domains and number ranges); absent: any.
    pub confine: Option<ConfineSpec>,
}

/// What an issuer may vouch for ([`Confined`]): each list that is given restricts its
/// kind of identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConfineSpec {
    /// The realms the IMPI may be in.
    pub impi_realms: Option<Vec<String>>,
    /// The hosts sip and sips IMPUs may name.
    pub impu_domains: Option<Vec<String>>,
    /// Global-number prefixes tel IMPUs (and sip ones with `user=phone`) must start with.
    pub tel_prefixes: Option<Vec<String>>,
}

impl JwtSpec {
    /// `inner` (the validator [`JwtSpec::build`] made, possibly behind a cache) confined
    /// to the identities of `confine`, or as it is when no confinement is given.
    pub fn confined<V: Validator + 'static>(&self, inner: V) -> Arc<dyn Validator> {
        let Some(c) = &self.confine else {
            return Arc::new(inner);
        };
        let mut v = Confined::new(inner);
        if let Some(r) = &c.impi_realms {
            v = v.impi_realms(r.iter().cloned());
        }
        if let Some(d) = &c.impu_domains {
            v = v.impu_domains(d.iter().cloned());
        }
        if let Some(t) = &c.tel_prefixes {
            v = v.tel_prefixes(t.iter().cloned());
        }
        Arc::new(v)
    }

    /// Reads the JSON document of a validator (errors name keys under `jwt.`).
    pub fn from_json(text: &str) -> Result<JwtSpec, SpecError> {
        super::from_json("jwt", text)
    }

    /// Builds the [`JwtConfig`], for callers that combine validators themselves.
    pub fn config(&self) -> Result<JwtConfig, SpecError> {
        self.config_with(self.key.build()?)
    }

    /// [`JwtSpec::config`] with `keys` in place of those of `key` (the set the host
    /// fetched from a [`KeySpec::JwksUrl`]).
    pub fn config_with(&self, keys: KeySource) -> Result<JwtConfig, SpecError> {
        let mut c = JwtConfig::new(keys);
        if let Some(algs) = &self.algorithms {
            if algs.is_empty() {
                return Err(SpecError::value("jwt.algorithms", "no algorithm allowed"));
            }
            c = c.algorithms(algs.iter().copied());
        }
        for i in self.issuer.iter().flat_map(OneOrMany::to_vec) {
            c = c.issuer(i);
        }
        for a in self.audience.iter().flat_map(OneOrMany::to_vec) {
            c = c.audience(a);
        }
        if self.allow_any_audience == Some(true) {
            c = c.allow_any_audience();
        }
        if let Some(m) = self.max_keys_without_kid {
            c = c.max_keys_without_kid(m.get());
        }
        if let Some(s) = self.leeway_seconds {
            if s > MAX_LEEWAY_SECONDS {
                return Err(SpecError::value(
                    "jwt.leeway_seconds",
                    format!("{s} s is more than {MAX_LEEWAY_SECONDS} s"),
                ));
            }
            c = c.leeway(Duration::from_secs(s));
        }
        if let Some(r) = self.require_exp {
            c = c.require_exp(r);
        }
        for s in self.required_scopes.iter().flat_map(OneOrMany::to_vec) {
            c = c.required_scope(s);
        }
        if let Some(r) = self.require_at_jwt {
            c = c.require_at_jwt(r);
        }
        if let Some(m) = self.max_token_bytes {
            c = c.max_token_bytes(m.get());
        }
        if let Some(b) = self.backend {
            c = c.backend(b.build()?);
        }
        if let Some(names) = &self.claims {
            let names = names.build();
            if names.impi.is_empty() || names.impi.len() > MAX_IMPI_CLAIMS {
                return Err(SpecError::value(
                    "jwt.claims.impi",
                    format!("between 1 and {MAX_IMPI_CLAIMS} claim names are needed"),
                ));
            }
            c = c.claims(names);
        }
        Ok(c)
    }

    /// Builds the validator; the keys are loaded here.
    pub fn build(&self) -> Result<JwtValidator, SpecError> {
        self.build_with(self.key.build()?)
    }

    /// [`JwtSpec::build`] with `keys` in place of those of `key`.
    pub fn build_with(&self, keys: KeySource) -> Result<JwtValidator, SpecError> {
        JwtValidator::new(self.config_with(keys)?).map_err(|e| match e {
            JwtConfigError::Key(k) => SpecError::new(SpecErrorKind::Keys, "jwt.key", k),
            JwtConfigError::NoAudience => SpecError::value(
                "jwt.audience",
                "no audience configured; set `audience`, or `allow_any_audience: true`",
            ),
            other => SpecError::value("jwt", other),
        })
    }
}
