//! Configuration of the edge: built once, checked once, shared.

use thiserror::Error;

use super::flow_token::{FlowTokenCodec, FlowTokenError};
use crate::message::Limits;
use crate::message::header::{check_header_value, is_token};
use crate::token::TokenLocation;

/// What to do when a REGISTER asks for a registration that would outlive the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryPolicy {
    /// Lower Expires and each Contact's `expires` to the token's remaining lifetime,
    /// and add an `Expires` header when the request names none (the default).
    #[default]
    Cap,
    /// Refuse the REGISTER with 403.
    Reject,
    /// Forward the requested lifetime unchanged (the registrar decides).
    Ignore,
}

/// Where the forwarded REGISTER names the authorisation entity when the token comes
/// from a third-party WAF (TS 24.371 leaves the parameter open).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthEntityPlacement {
    /// Not sent.
    #[default]
    Omit,
    /// As an extra auth-param of the Annex U Authorization header,
    /// e.g. `auth-entity="waf.example"` (a `dig-resp` extension, RFC 3261 25.1).
    AuthParam(String),
    /// As its own header field, e.g. `P-Auth-Entity: waf.example`.
    Header(String),
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field holds text that cannot be written into a SIP header.
    #[error("config field {field} is not valid: {why}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The flow-token key is unusable.
    #[error("flow token key: {0}")]
    FlowKey(#[from] FlowTokenError),
}

/// Everything the edge needs to know about itself and its home network.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) home_domain: String,
    pub(crate) realm: String,
    pub(crate) edge_host: String,
    pub(crate) core_transport: &'static str,
    pub(crate) token_location: TokenLocation,
    pub(crate) visited_network_id: Option<String>,
    pub(crate) orig_ioi: Option<String>,
    pub(crate) auth_entity: AuthEntityPlacement,
    pub(crate) challenge_scope: Option<String>,
    pub(crate) authz_server: Option<String>,
    pub(crate) expiry: ExpiryPolicy,
    pub(crate) limits: Limits,
    pub(crate) codec: FlowTokenCodec,
    pub(crate) to_tag: String,
    pub(crate) require_secure_transport: bool,
}

fn header_text(field: &'static str, v: &str) -> Result<(), ConfigError> {
    if v.is_empty() {
        return Err(ConfigError::Invalid {
            field,
            why: "empty",
        });
    }
    check_header_value(field, v).map_err(|_| ConfigError::Invalid {
        field,
        why: "holds a control character",
    })?;
    if v.contains(['"', '\\', '<', '>', ',', ';', ' ']) {
        return Err(ConfigError::Invalid {
            field,
            why: "holds a quote, backslash, bracket, comma, semicolon or space",
        });
    }
    Ok(())
}

fn host_text(field: &'static str, v: &str) -> Result<(), ConfigError> {
    header_text(field, v)?;
    let ok = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'[' | b']'));
    if !ok {
        return Err(ConfigError::Invalid {
            field,
            why: "is not a host or host:port",
        });
    }
    Ok(())
}

impl Config {
    /// A configuration for an edge serving `home_domain` (also the Digest realm, change
    /// it with [`Config::realm`]), reachable at `edge_host` (`host` or `host:port`, used
    /// in its Via and Path), with `flow_key` (at least 16 secret bytes) protecting the
    /// flow tokens in its Via branches and Path URIs.
    pub fn new(home_domain: &str, edge_host: &str, flow_key: &[u8]) -> Result<Config, ConfigError> {
        host_text("home_domain", home_domain)?;
        host_text("edge_host", edge_host)?;
        Ok(Config {
            home_domain: home_domain.to_owned(),
            realm: home_domain.to_owned(),
            edge_host: edge_host.to_owned(),
            core_transport: "UDP",
            token_location: TokenLocation::default(),
            visited_network_id: None,
            orig_ioi: None,
            auth_entity: AuthEntityPlacement::Omit,
            challenge_scope: None,
            authz_server: None,
            expiry: ExpiryPolicy::Cap,
            limits: Limits::DEFAULT,
            codec: FlowTokenCodec::new(flow_key)?,
            to_tag: "ep".to_owned(),
            require_secure_transport: false,
        })
    }

    /// Sets the Digest realm of the Annex U Authorization and of the Bearer challenge.
    pub fn realm(mut self, realm: &str) -> Result<Config, ConfigError> {
        header_text("realm", realm)?;
        self.realm = realm.to_owned();
        Ok(self)
    }

    /// Sets the transport named in the edge's own Via toward the core (`UDP` by default).
    pub fn core_transport(mut self, transport: super::Transport) -> Config {
        self.core_transport = transport.via_token();
        self
    }

    /// Sets where the client's token is looked for.
    pub fn token_location(mut self, location: TokenLocation) -> Config {
        self.token_location = location;
        self
    }

    /// Adds `P-Visited-Network-ID` with this value (a token, or written quoted).
    pub fn visited_network_id(mut self, id: &str) -> Result<Config, ConfigError> {
        check_header_value("visited_network_id", id).map_err(|_| ConfigError::Invalid {
            field: "visited_network_id",
            why: "holds a control character",
        })?;
        if id.is_empty() || id.contains(['"', '\\']) {
            return Err(ConfigError::Invalid {
                field: "visited_network_id",
                why: "empty, or holds a quote or backslash",
            });
        }
        self.visited_network_id = Some(id.to_owned());
        Ok(self)
    }

    /// Adds `orig-ioi` with this value to the P-Charging-Vector.
    pub fn orig_ioi(mut self, ioi: &str) -> Result<Config, ConfigError> {
        header_text("orig_ioi", ioi)?;
        self.orig_ioi = Some(ioi.to_owned());
        Ok(self)
    }

    /// Sets where the authorisation entity of a third-party WAF is named.
    pub fn auth_entity(mut self, placement: AuthEntityPlacement) -> Result<Config, ConfigError> {
        match &placement {
            AuthEntityPlacement::AuthParam(name) | AuthEntityPlacement::Header(name)
                if !is_token(name) =>
            {
                return Err(ConfigError::Invalid {
                    field: "auth_entity",
                    why: "parameter or header name is not a token",
                });
            }
            _ => {}
        }
        self.auth_entity = placement;
        Ok(self)
    }

    /// Adds `scope="..."` to Bearer challenges (RFC 8898 section 2.3).
    pub fn challenge_scope(mut self, scope: &str) -> Result<Config, ConfigError> {
        check_header_value("challenge_scope", scope).map_err(|_| ConfigError::Invalid {
            field: "challenge_scope",
            why: "holds a control character",
        })?;
        if scope.contains(['"', '\\']) {
            return Err(ConfigError::Invalid {
                field: "challenge_scope",
                why: "holds a quote or backslash",
            });
        }
        self.challenge_scope = Some(scope.to_owned());
        Ok(self)
    }

    /// Adds `authz_server="<url>"` to Bearer challenges (RFC 8898 section 2.3).
    pub fn authz_server(mut self, url: &str) -> Result<Config, ConfigError> {
        header_text("authz_server", url)?;
        self.authz_server = Some(url.to_owned());
        Ok(self)
    }

    /// Sets what happens when a registration would outlive its token.
    pub fn expiry_policy(mut self, policy: ExpiryPolicy) -> Config {
        self.expiry = policy;
        self
    }

    /// Sets the parser limits for client requests and core responses.
    pub fn limits(mut self, limits: Limits) -> Config {
        self.limits = limits;
        self
    }

    /// Sets the To tag the edge puts in its own error responses (RFC 3261 8.2.6.2).
    /// It is deterministic so a retransmitted request gets an identical answer.
    pub fn reply_to_tag(mut self, tag: &str) -> Result<Config, ConfigError> {
        if !is_token(tag) {
            return Err(ConfigError::Invalid {
                field: "reply_to_tag",
                why: "is not a token",
            });
        }
        self.to_tag = tag.to_owned();
        Ok(self)
    }

    /// Accepts bearer tokens only from requests that came over a secure transport (TLS or
    /// WSS, RFC 6750 5.3); others are refused with 403. Off by default.
    pub fn require_secure_transport(mut self, required: bool) -> Config {
        self.require_secure_transport = required;
        self
    }

    /// The home network domain.
    pub fn home_domain(&self) -> &str {
        &self.home_domain
    }

    /// The edge's `host[:port]`.
    pub fn edge_host(&self) -> &str {
        &self.edge_host
    }

    /// The flow-token codec (for routing terminating requests by their Path token).
    pub fn flow_codec(&self) -> &FlowTokenCodec {
        &self.codec
    }
}
