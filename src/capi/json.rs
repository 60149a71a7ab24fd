//! The two JSON documents a C caller configures an edge with, and their translation into
//! [`Config`] and [`JwtConfig`]. Unknown fields are refused so a misspelt option fails at
//! start-up instead of being silently ignored.
//!
//! Edge configuration (only the first three fields are required):
//! ```json
//! { "home_domain": "ims.example", "edge_host": "pcscf.example:5060",
//!   "flow_key": {"hex": "00112233..."},
//!   "realm": "ims.example", "visited_network_id": "visited.example", "orig_ioi": "...",
//!   "core_transport": "udp", "token_location": "authorization_bearer",
//!   "expiry_policy": "cap", "auth_entity": {"auth_param": "auth-entity"},
//!   "challenge_scope": "sip:register", "authz_server": "https://waf.example/token",
//!   "reply_to_tag": "ep", "limits": {"max_message_bytes": 65536} }
//! ```
//! Validator configuration (only `key` is required):
//! ```json
//! { "key": {"hmac_secret": {"text": "..."}} | {"pem": "-----BEGIN PUBLIC KEY-----..."}
//!          | {"jwks": {"keys": [...]}},
//!   "algorithms": ["HS256"], "issuer": "https://waf.example", "audience": ["ims.example"],
//!   "leeway_seconds": 30, "require_exp": true, "required_scopes": ["sip"],
//!   "require_at_jwt": false, "max_token_bytes": 8192, "backend": "aws_lc",
//!   "claims": {"impi": ["impi", "sub"], "impus": "impus", "require_impus": false,
//!              "wwsf": "wwsf", "auth_entity": "none"} }
//! ```

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Deserializer};

use super::error::CapiError;
use crate::edge::{AuthEntityPlacement, Config, ExpiryPolicy, Transport};
use crate::identity::HeaderText;
use crate::message::Limits;
use crate::token::{CredentialsHeader, TokenLocation};
use crate::validate::jwt::{AuthEntitySource, ClaimNames, KeySource};
use crate::validate::{CryptoBackend, JwtConfig};

/// Secret bytes, written as hex, base64 (standard or URL-safe) or plain text.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Secret {
    Hex(String),
    Base64(String),
    Text(String),
}

impl Secret {
    fn bytes(&self, what: &str) -> Result<Vec<u8>, CapiError> {
        match self {
            Secret::Hex(h) => hex(h).ok_or_else(|| CapiError::Config(format!("{what}: bad hex"))),
            Secret::Base64(b) => {
                // One decoder for both alphabets: map the standard one onto the URL-safe one.
                let url: String = b
                    .trim_end_matches('=')
                    .chars()
                    .map(|c| match c {
                        '+' => '-',
                        '/' => '_',
                        c => c,
                    })
                    .collect();
                URL_SAFE_NO_PAD
                    .decode(url)
                    .map_err(|_| CapiError::Config(format!("{what}: bad base64")))
            }
            Secret::Text(t) => Ok(t.as_bytes().to_vec()),
        }
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum TransportJson {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl From<TransportJson> for Transport {
    fn from(t: TransportJson) -> Transport {
        match t {
            TransportJson::Udp => Transport::Udp,
            TransportJson::Tcp => Transport::Tcp,
            TransportJson::Tls => Transport::Tls,
            TransportJson::Ws => Transport::Ws,
            TransportJson::Wss => Transport::Wss,
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum CredentialsJson {
    Authorization,
    ProxyAuthorization,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum LocationJson {
    AuthorizationBearer,
    ProxyAuthorizationBearer,
    Header(String),
    AuthParam {
        header: CredentialsJson,
        param: String,
    },
    RequestUriParam(String),
    ContactUriParam(String),
    Transport,
    FirstOf(Vec<LocationJson>),
}

impl From<LocationJson> for TokenLocation {
    fn from(l: LocationJson) -> TokenLocation {
        match l {
            LocationJson::AuthorizationBearer => TokenLocation::AuthorizationBearer,
            LocationJson::ProxyAuthorizationBearer => TokenLocation::ProxyAuthorizationBearer,
            LocationJson::Header(h) => TokenLocation::Header(h),
            LocationJson::AuthParam { header, param } => TokenLocation::AuthParam {
                header: match header {
                    CredentialsJson::Authorization => CredentialsHeader::Authorization,
                    CredentialsJson::ProxyAuthorization => CredentialsHeader::ProxyAuthorization,
                },
                param,
            },
            LocationJson::RequestUriParam(p) => TokenLocation::RequestUriParam(p),
            LocationJson::ContactUriParam(p) => TokenLocation::ContactUriParam(p),
            LocationJson::Transport => TokenLocation::Transport,
            LocationJson::FirstOf(list) => {
                TokenLocation::FirstOf(list.into_iter().map(TokenLocation::from).collect())
            }
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ExpiryJson {
    Cap,
    Reject,
    Ignore,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum AuthEntityJson {
    Omit,
    AuthParam(String),
    Header(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsJson {
    max_message_bytes: Option<usize>,
    max_headers: Option<usize>,
    max_line_bytes: Option<usize>,
}

/// The edge configuration document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeJson {
    home_domain: String,
    edge_host: String,
    flow_key: Secret,
    realm: Option<String>,
    visited_network_id: Option<String>,
    orig_ioi: Option<String>,
    core_transport: Option<TransportJson>,
    token_location: Option<LocationJson>,
    expiry_policy: Option<ExpiryJson>,
    auth_entity: Option<AuthEntityJson>,
    challenge_scope: Option<String>,
    authz_server: Option<String>,
    reply_to_tag: Option<String>,
    limits: Option<LimitsJson>,
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str, what: &'static str) -> Result<T, CapiError> {
    serde_json::from_str(text).map_err(|e| CapiError::Json {
        what,
        why: e.to_string(),
    })
}

fn config_err(e: impl std::fmt::Display) -> CapiError {
    CapiError::Config(e.to_string())
}

/// Builds the edge [`Config`] from its JSON document.
pub(crate) fn edge_config(text: &str) -> Result<Config, CapiError> {
    let j: EdgeJson = parse(text, "edge configuration")?;
    let key = j.flow_key.bytes("flow_key")?;
    let mut c = Config::new(&j.home_domain, &j.edge_host, &key).map_err(config_err)?;
    if let Some(realm) = &j.realm {
        c = c.realm(realm).map_err(config_err)?;
    }
    if let Some(id) = &j.visited_network_id {
        c = c.visited_network_id(id).map_err(config_err)?;
    }
    if let Some(ioi) = &j.orig_ioi {
        c = c.orig_ioi(ioi).map_err(config_err)?;
    }
    if let Some(t) = j.core_transport {
        c = c.core_transport(t.into());
    }
    if let Some(l) = j.token_location {
        c = c.token_location(l.into());
    }
    if let Some(p) = j.expiry_policy {
        c = c.expiry_policy(match p {
            ExpiryJson::Cap => ExpiryPolicy::Cap,
            ExpiryJson::Reject => ExpiryPolicy::Reject,
            ExpiryJson::Ignore => ExpiryPolicy::Ignore,
        });
    }
    if let Some(a) = j.auth_entity {
        c = c
            .auth_entity(match a {
                AuthEntityJson::Omit => AuthEntityPlacement::Omit,
                AuthEntityJson::AuthParam(name) => AuthEntityPlacement::AuthParam(name),
                AuthEntityJson::Header(name) => AuthEntityPlacement::Header(name),
            })
            .map_err(config_err)?;
    }
    if let Some(s) = &j.challenge_scope {
        c = c.challenge_scope(s).map_err(config_err)?;
    }
    if let Some(s) = &j.authz_server {
        c = c.authz_server(s).map_err(config_err)?;
    }
    if let Some(t) = &j.reply_to_tag {
        c = c.reply_to_tag(t).map_err(config_err)?;
    }
    if let Some(l) = j.limits {
        let d = Limits::DEFAULT;
        c = c.limits(Limits {
            max_message_bytes: l.max_message_bytes.unwrap_or(d.max_message_bytes),
            max_headers: l.max_headers.unwrap_or(d.max_headers),
            max_line_bytes: l.max_line_bytes.unwrap_or(d.max_line_bytes),
        });
    }
    Ok(c)
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum KeyJson {
    HmacSecret(Secret),
    Pem(String),
    Jwks(JwkSet),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum AuthEntitySourceJson {
    None,
    Issuer,
    Claim(String),
    Fixed(String),
}

/// Distinguishes an explicit `null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsJson {
    impi: Option<OneOrMany>,
    #[serde(default, deserialize_with = "present")]
    impus: Option<Option<String>>,
    require_impus: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    wwsf: Option<Option<String>>,
    auth_entity: Option<AuthEntitySourceJson>,
}

/// The validator configuration document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidatorJson {
    key: KeyJson,
    algorithms: Option<Vec<Algorithm>>,
    issuer: Option<OneOrMany>,
    audience: Option<OneOrMany>,
    leeway_seconds: Option<u64>,
    require_exp: Option<bool>,
    required_scopes: Option<OneOrMany>,
    require_at_jwt: Option<bool>,
    max_token_bytes: Option<usize>,
    backend: Option<String>,
    claims: Option<ClaimsJson>,
}

fn backend(name: &str) -> Result<CryptoBackend, CapiError> {
    match name {
        #[cfg(feature = "aws-lc-rs")]
        "aws_lc" => Ok(CryptoBackend::AwsLc),
        #[cfg(feature = "rust-crypto")]
        "rust_crypto" => Ok(CryptoBackend::RustCrypto),
        _ => Err(CapiError::Config(format!(
            "backend {name:?} is not compiled in (available: {:?})",
            CryptoBackend::available()
        ))),
    }
}

fn claim_names(j: ClaimsJson) -> Result<ClaimNames, CapiError> {
    let mut names = ClaimNames::default();
    if let Some(impi) = j.impi {
        names.impi = impi.into_vec();
    }
    if let Some(impus) = j.impus {
        names.impus = impus;
    }
    if let Some(r) = j.require_impus {
        names.require_impus = r;
    }
    if let Some(wwsf) = j.wwsf {
        names.wwsf = wwsf;
    }
    if let Some(a) = j.auth_entity {
        names.auth_entity = match a {
            AuthEntitySourceJson::None => AuthEntitySource::None,
            AuthEntitySourceJson::Issuer => AuthEntitySource::Issuer,
            AuthEntitySourceJson::Claim(c) => AuthEntitySource::Claim(c),
            AuthEntitySourceJson::Fixed(t) => AuthEntitySource::Fixed(
                HeaderText::try_from(t).map_err(|e| config_err(format!("auth_entity: {e}")))?,
            ),
        };
    }
    Ok(names)
}

/// Builds the [`JwtConfig`] from its JSON document.
pub(crate) fn validator_config(text: &str) -> Result<JwtConfig, CapiError> {
    let j: ValidatorJson = parse(text, "validator configuration")?;
    let keys = match j.key {
        KeyJson::HmacSecret(s) => KeySource::Hmac(s.bytes("hmac_secret")?),
        KeyJson::Pem(p) => KeySource::Pem(p.into_bytes()),
        KeyJson::Jwks(set) => KeySource::Jwks(set),
    };
    let mut c = JwtConfig::new(keys);
    if let Some(algs) = j.algorithms {
        c = c.algorithms(algs);
    }
    for i in j.issuer.map(OneOrMany::into_vec).unwrap_or_default() {
        c = c.issuer(i);
    }
    for a in j.audience.map(OneOrMany::into_vec).unwrap_or_default() {
        c = c.audience(a);
    }
    if let Some(s) = j.leeway_seconds {
        c = c.leeway(Duration::from_secs(s));
    }
    if let Some(r) = j.require_exp {
        c = c.require_exp(r);
    }
    for s in j
        .required_scopes
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
    {
        c = c.required_scope(s);
    }
    if let Some(r) = j.require_at_jwt {
        c = c.require_at_jwt(r);
    }
    if let Some(m) = j.max_token_bytes {
        c = c.max_token_bytes(m);
    }
    if let Some(b) = &j.backend {
        c = c.backend(backend(b)?);
    }
    if let Some(names) = j.claims {
        c = c.claims(claim_names(names)?);
    }
    Ok(c)
}

/// Parses a JWK Set (RFC 7517 section 5) for key rotation.
pub(crate) fn jwk_set(text: &str) -> Result<JwkSet, CapiError> {
    parse(text, "JWK Set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_both_cases_and_refuses_junk() {
        assert_eq!(hex("00ffAB"), Some(vec![0, 255, 171]));
        assert_eq!(hex("0"), None);
        assert_eq!(hex("zz"), None);
        assert_eq!(hex("é1"), None);
    }

    #[test]
    fn base64_secret_accepts_standard_and_url_safe() {
        let std = Secret::Base64("+/8=".to_owned()).bytes("k").unwrap();
        let url = Secret::Base64("-_8".to_owned()).bytes("k").unwrap();
        assert_eq!(std, vec![0xfb, 0xff]);
        assert_eq!(url, std);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = edge_config(
            r#"{"home_domain":"a.example","edge_host":"b.example",
            "flow_key":{"text":"0123456789abcdef"},"home_domian":"x"}"#,
        )
        .unwrap_err();
        assert!(matches!(e, CapiError::Json { .. }), "{e}");
    }

    #[test]
    fn token_locations_nest() {
        let c = edge_config(
            r#"{"home_domain":"a.example","edge_host":"b.example",
            "flow_key":{"hex":"000102030405060708090a0b0c0d0e0f"},
            "token_location":{"first_of":["transport",{"header":"X-Token"},
              {"auth_param":{"header":"proxy_authorization","param":"access_token"}}]}}"#,
        )
        .unwrap();
        assert_eq!(c.home_domain(), "a.example");
    }

    #[test]
    fn explicit_null_claim_disables_it() {
        let c = validator_config(
            r#"{"key":{"hmac_secret":{"text":"0123456789abcdef0123456789abcdef"}},
            "claims":{"impus":null,"impi":"preferred_username"}}"#,
        )
        .unwrap();
        assert_eq!(c.claims.impus, None);
        assert_eq!(c.claims.impi, vec!["preferred_username".to_owned()]);
        assert_eq!(c.claims.wwsf.as_deref(), Some("wwsf"));
    }
}
