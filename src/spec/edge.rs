//! [`EdgeSpec`]: the settings of an [`Edge`](crate::edge::Edge), built into a [`Config`].

use std::num::NonZeroUsize;
use std::str::FromStr;

use serde::Deserialize;

use super::error::SpecError;
use super::secret::Secret;
use super::text::{self, Textual, keyword, named};
use crate::edge::{AuthEntityPlacement, Config, ConfigError, ExpiryPolicy, Transport};
use crate::message::Limits;
use crate::token::TokenLocation;

/// The transport named in the edge's own Via toward the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportSpec {
    /// `udp` (the default).
    Udp,
    /// `tcp`.
    Tcp,
    /// `tls`.
    Tls,
    /// `ws`.
    Ws,
    /// `wss`.
    Wss,
}

impl From<TransportSpec> for Transport {
    fn from(t: TransportSpec) -> Transport {
        match t {
            TransportSpec::Udp => Transport::Udp,
            TransportSpec::Tcp => Transport::Tcp,
            TransportSpec::Tls => Transport::Tls,
            TransportSpec::Ws => Transport::Ws,
            TransportSpec::Wss => Transport::Wss,
        }
    }
}

/// What to do with a registration that would outlive its token ([`ExpiryPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpirySpec {
    /// `cap`: lower the requested lifetime to the token's (the default).
    Cap,
    /// `reject`: refuse the REGISTER with 403.
    Reject,
    /// `ignore`: forward the requested lifetime unchanged.
    Ignore,
}

impl From<ExpirySpec> for ExpiryPolicy {
    fn from(p: ExpirySpec) -> ExpiryPolicy {
        match p {
            ExpirySpec::Cap => ExpiryPolicy::Cap,
            ExpirySpec::Reject => ExpiryPolicy::Reject,
            ExpirySpec::Ignore => ExpiryPolicy::Ignore,
        }
    }
}

/// Where the forwarded REGISTER names a third-party WAF ([`AuthEntityPlacement`]), written
/// `omit`, `auth-param:NAME` or `header:NAME` (or the maps `{"auth_param": "NAME"}`,
/// `{"header": "NAME"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEntitySpec(pub AuthEntityPlacement);

const AUTH_ENTITY: &str = "an auth-entity placement: omit, auth-param:NAME or header:NAME";

impl FromStr for AuthEntitySpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if keyword(text) == "omit" {
            return Ok(AuthEntitySpec(AuthEntityPlacement::Omit));
        }
        let (kind, name) = named(text.trim(), AUTH_ENTITY)?;
        match kind.as_str() {
            "auth-param" => Ok(AuthEntitySpec(AuthEntityPlacement::AuthParam(
                name.to_owned(),
            ))),
            "header" => Ok(AuthEntitySpec(AuthEntityPlacement::Header(name.to_owned()))),
            _ => Err(format!("{text:?} is not {AUTH_ENTITY}")),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum AuthEntityMap {
    AuthParam(String),
    Header(String),
}

impl Textual for AuthEntitySpec {
    type Map = AuthEntityMap;
    const EXPECTING: &'static str = AUTH_ENTITY;

    fn from_map(map: AuthEntityMap) -> Result<Self, String> {
        match map {
            AuthEntityMap::AuthParam(n) => format!("auth-param:{n}").parse(),
            AuthEntityMap::Header(n) => format!("header:{n}").parse(),
        }
    }
}

text::deserialize_textual!(AuthEntitySpec);

/// Parser limits ([`Limits`]); an absent one keeps its default, zero is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsSpec {
    /// Largest message in bytes (default 65536).
    pub max_message_bytes: Option<NonZeroUsize>,
    /// Most header fields in one message (default 256).
    pub max_headers: Option<NonZeroUsize>,
    /// Longest start line or header field in bytes (default 8192).
    pub max_line_bytes: Option<NonZeroUsize>,
}

impl LimitsSpec {
    /// The limits, defaults filled in.
    pub fn build(&self) -> Limits {
        let d = Limits::DEFAULT;
        let or = |v: Option<NonZeroUsize>, d: usize| v.map_or(d, NonZeroUsize::get);
        Limits {
            max_message_bytes: or(self.max_message_bytes, d.max_message_bytes),
            max_headers: or(self.max_headers, d.max_headers),
            max_line_bytes: or(self.max_line_bytes, d.max_line_bytes),
        }
    }
}

/// Everything an edge [`Config`] is made of. Only `home_domain`, `edge_host` and `flow_key`
/// are required; every other key keeps the default of [`Config`] when absent. Errors name
/// their key under `edge.`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EdgeSpec {
    /// The home network domain, also the Digest realm unless `realm` is given.
    pub home_domain: String,
    /// This edge's `host` or `host:port`, written in its Via and Path.
    pub edge_host: String,
    /// At least 16 secret bytes protecting the flow tokens in Via branches and Path URIs.
    pub flow_key: Secret,
    /// The flow key before a rotation, still accepted in flow tokens (at least 16 bytes).
    pub previous_flow_key: Option<Secret>,
    /// The instance epoch in every flow token: a value the host draws anew at every
    /// start, so tokens minted before a restart are refused (default 0).
    pub epoch: Option<u64>,
    /// The Digest realm of the Annex U Authorization and of Bearer challenges.
    pub realm: Option<String>,
    /// The transport in the edge's own Via toward the core: `udp`, `tcp`, `tls`, `ws`, `wss`.
    pub core_transport: Option<TransportSpec>,
    /// Where the client's token is looked for ([`crate::spec::token_location`]).
    pub token_location: Option<TokenLocation>,
    /// The value of an added `P-Visited-Network-ID`.
    pub visited_network_id: Option<String>,
    /// The `orig-ioi` of the P-Charging-Vector.
    pub orig_ioi: Option<String>,
    /// Where a third-party WAF is named in the forwarded REGISTER.
    pub auth_entity: Option<AuthEntitySpec>,
    /// `scope="..."` of Bearer challenges (RFC 8898 section 2.3).
    pub challenge_scope: Option<String>,
    /// `authz_server="..."` of Bearer challenges (RFC 8898 section 2.3).
    pub authz_server: Option<String>,
    /// What to do with a registration that would outlive its token: `cap`, `reject`, `ignore`.
    pub expiry_policy: Option<ExpirySpec>,
    /// The To tag of the edge's own error responses.
    pub reply_to_tag: Option<String>,
    /// Also accept bearer tokens over UDP, TCP or WS (default false: only over TLS, WSS
    /// or a flow the host declares secure, RFC 6750 5.3).
    pub allow_insecure_transport: Option<bool>,
    /// Further domains served as home domains (a REGISTER for any other is refused).
    pub also_home_domains: Option<Vec<String>>,
    /// The shortest remaining token lifetime a registration is admitted with (default 60).
    pub min_token_lifetime_seconds: Option<u32>,
    /// The most registrations the edge holds (default 100000); a REGISTER that would
    /// add one more is answered 503.
    pub max_registrations: Option<usize>,
    /// Parser limits for client requests and core responses.
    pub limits: Option<LimitsSpec>,
}

/// Names the key of a refused setter value.
fn at(key: &'static str) -> impl Fn(ConfigError) -> SpecError {
    move |e| SpecError::value(key, e)
}

impl EdgeSpec {
    /// Reads the JSON document of an edge (errors name keys under `edge.`).
    pub fn from_json(text: &str) -> Result<EdgeSpec, SpecError> {
        super::from_json("edge", text)
    }

    /// Builds the [`Config`], reading `flow_key` from its file if it names one.
    pub fn build(&self) -> Result<Config, SpecError> {
        let key = self
            .flow_key
            .bytes()
            .map_err(|e| SpecError::value("edge.flow_key", e))?;
        let mut c = Config::new(&self.home_domain, &self.edge_host, &key).map_err(|e| {
            let key = match &e {
                ConfigError::Invalid { field, .. } => format!("edge.{field}"),
                _ => "edge.flow_key".to_owned(),
            };
            SpecError::value(key, e)
        })?;
        if let Some(previous) = &self.previous_flow_key {
            let key = previous
                .bytes()
                .map_err(|e| SpecError::value("edge.previous_flow_key", e))?;
            c = c
                .previous_flow_key(&key)
                .map_err(at("edge.previous_flow_key"))?;
        }
        if let Some(epoch) = self.epoch {
            c = c.epoch(epoch);
        }
        if let Some(v) = &self.realm {
            c = c.realm(v).map_err(at("edge.realm"))?;
        }
        if let Some(t) = self.core_transport {
            c = c.core_transport(t.into());
        }
        if let Some(l) = &self.token_location {
            c = c.token_location(l.clone());
        }
        if let Some(v) = &self.visited_network_id {
            c = c
                .visited_network_id(v)
                .map_err(at("edge.visited_network_id"))?;
        }
        if let Some(v) = &self.orig_ioi {
            c = c.orig_ioi(v).map_err(at("edge.orig_ioi"))?;
        }
        if let Some(a) = &self.auth_entity {
            c = c.auth_entity(a.0.clone()).map_err(at("edge.auth_entity"))?;
        }
        if let Some(v) = &self.challenge_scope {
            c = c.challenge_scope(v).map_err(at("edge.challenge_scope"))?;
        }
        if let Some(v) = &self.authz_server {
            c = c.authz_server(v).map_err(at("edge.authz_server"))?;
        }
        if let Some(p) = self.expiry_policy {
            c = c.expiry_policy(p.into());
        }
        if let Some(v) = &self.reply_to_tag {
            c = c.reply_to_tag(v).map_err(at("edge.reply_to_tag"))?;
        }
        if let Some(allowed) = self.allow_insecure_transport {
            c = c.allow_insecure_transport(allowed);
        }
        for d in self.also_home_domains.iter().flatten() {
            c = c
                .also_home_domain(d)
                .map_err(at("edge.also_home_domains"))?;
        }
        if let Some(secs) = self.min_token_lifetime_seconds {
            c = c.min_token_lifetime(secs);
        }
        if let Some(n) = self.max_registrations {
            c = c.max_registrations(n);
        }
        if let Some(l) = &self.limits {
            c = c.limits(l.build());
        }
        Ok(c)
    }
}
