//! Configuration of the edge: built once, checked once, shared.

use thiserror::Error;

use super::flow_token::{FlowTokenCodec, FlowTokenError};
use super::inbound::Transport;
use crate::message::{HeaderValue, HostPort, Limits, QuotedText, Token, ValueBuilder, WriteError};
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

/// [`AuthEntityPlacement`] with its name checked, as the forwarder writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthEntityAt {
    Omit,
    AuthParam(Token),
    Header(Token),
}

/// Everything the edge needs to know about itself and its home network. Every text
/// field is a checked type, checked once when it is set.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) home_domain: HostPort,
    pub(crate) realm: QuotedText,
    pub(crate) edge_host: HostPort,
    pub(crate) core_transport: Transport,
    pub(crate) token_location: TokenLocation,
    /// The whole `P-Visited-Network-ID` value: the token as is, other text quoted.
    pub(crate) visited_network_id: Option<HeaderValue>,
    pub(crate) orig_ioi: Option<HeaderValue>,
    pub(crate) auth_entity: AuthEntityAt,
    pub(crate) challenge_scope: Option<QuotedText>,
    pub(crate) authz_server: Option<QuotedText>,
    pub(crate) expiry: ExpiryPolicy,
    pub(crate) limits: Limits,
    pub(crate) codec: FlowTokenCodec,
    pub(crate) to_tag: Token,
    pub(crate) allow_insecure_transport: bool,
    /// Further domains served as home domains, besides `home_domain`.
    pub(crate) other_home_domains: Vec<HostPort>,
    pub(crate) min_token_lifetime: u32,
    pub(crate) max_registrations: usize,
}

/// How many registrations an edge holds by default (each costs about a kilobyte; the
/// README gives the measured figure).
pub const DEFAULT_MAX_REGISTRATIONS: usize = 100_000;

/// The shortest remaining token lifetime, in seconds, a registration is admitted with
/// by default: enough for the web application to renew the token before the binding
/// lapses.
pub const DEFAULT_MIN_TOKEN_LIFETIME: u32 = 60;

/// The configuration error for a value the checked types refused.
fn invalid(field: &'static str) -> impl Fn(WriteError) -> ConfigError {
    move |e| ConfigError::Invalid {
        field,
        why: match e {
            WriteError::ForbiddenByte { .. } => "holds a control character",
            WriteError::Invalid { expected, .. } => expected,
            WriteError::TooLarge { .. } => "too long",
        },
    }
}

fn non_empty(field: &'static str, v: &str) -> Result<(), ConfigError> {
    if v.is_empty() {
        return Err(ConfigError::Invalid {
            field,
            why: "empty",
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
        let home = HostPort::new("home_domain", home_domain).map_err(invalid("home_domain"))?;
        let edge_host = HostPort::new("edge_host", edge_host).map_err(invalid("edge_host"))?;
        Ok(Config {
            realm: home.clone().into(),
            home_domain: home,
            edge_host,
            core_transport: Transport::Udp,
            token_location: TokenLocation::default(),
            visited_network_id: None,
            orig_ioi: None,
            auth_entity: AuthEntityAt::Omit,
            challenge_scope: None,
            authz_server: None,
            expiry: ExpiryPolicy::Cap,
            limits: Limits::DEFAULT,
            codec: FlowTokenCodec::new(flow_key)?,
            to_tag: Token::from_static("ep"),
            allow_insecure_transport: false,
            other_home_domains: Vec::new(),
            min_token_lifetime: DEFAULT_MIN_TOKEN_LIFETIME,
            max_registrations: DEFAULT_MAX_REGISTRATIONS,
        })
    }

    /// Sets the Digest realm of the Annex U Authorization and of the Bearer challenge
    /// (written as a quoted-string).
    pub fn realm(mut self, realm: &str) -> Result<Config, ConfigError> {
        non_empty("realm", realm)?;
        self.realm = QuotedText::new("realm", realm).map_err(invalid("realm"))?;
        Ok(self)
    }

    /// Sets the transport named in the edge's own Via toward the core (`UDP` by default).
    pub fn core_transport(mut self, transport: Transport) -> Config {
        self.core_transport = transport;
        self
    }

    /// Sets where the client's token is looked for.
    pub fn token_location(mut self, location: TokenLocation) -> Config {
        self.token_location = location;
        self
    }

    /// Adds `P-Visited-Network-ID` with this value (a token, or written quoted).
    pub fn visited_network_id(mut self, id: &str) -> Result<Config, ConfigError> {
        const FIELD: &str = "visited_network_id";
        non_empty(FIELD, id)?;
        let value = match Token::new(FIELD, id) {
            Ok(token) => token.into(),
            Err(_) => {
                let text = QuotedText::new(FIELD, id).map_err(invalid(FIELD))?;
                let mut v = ValueBuilder::with_capacity(id.len() + 4);
                v.push_quoted(&text);
                v.finish()
            }
        };
        self.visited_network_id = Some(value);
        Ok(self)
    }

    /// Adds `orig-ioi` with this value to the P-Charging-Vector (a token or a host,
    /// the unquoted forms of RFC 7315 `gen-value`).
    pub fn orig_ioi(mut self, ioi: &str) -> Result<Config, ConfigError> {
        let value = match Token::new("orig_ioi", ioi) {
            Ok(token) => token.into(),
            Err(_) => HostPort::new("orig_ioi", ioi)
                .map_err(|_| ConfigError::Invalid {
                    field: "orig_ioi",
                    why: "is neither a token nor a host",
                })?
                .into(),
        };
        self.orig_ioi = Some(value);
        Ok(self)
    }

    /// Sets where the authorisation entity of a third-party WAF is named.
    pub fn auth_entity(mut self, placement: AuthEntityPlacement) -> Result<Config, ConfigError> {
        let name = |n: &str| {
            Token::new("auth_entity", n).map_err(|_| ConfigError::Invalid {
                field: "auth_entity",
                why: "parameter or header name is not a token",
            })
        };
        self.auth_entity = match &placement {
            AuthEntityPlacement::Omit => AuthEntityAt::Omit,
            AuthEntityPlacement::AuthParam(n) => AuthEntityAt::AuthParam(name(n)?),
            AuthEntityPlacement::Header(n) => AuthEntityAt::Header(name(n)?),
        };
        Ok(self)
    }

    /// Adds `scope="..."` to Bearer challenges (RFC 8898 section 2.3).
    pub fn challenge_scope(mut self, scope: &str) -> Result<Config, ConfigError> {
        let scope =
            QuotedText::new("challenge_scope", scope).map_err(invalid("challenge_scope"))?;
        self.challenge_scope = Some(scope);
        Ok(self)
    }

    /// Adds `authz_server="<url>"` to Bearer challenges (RFC 8898 section 2.3).
    pub fn authz_server(mut self, url: &str) -> Result<Config, ConfigError> {
        non_empty("authz_server", url)?;
        let url = QuotedText::new("authz_server", url).map_err(invalid("authz_server"))?;
        self.authz_server = Some(url);
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
        self.to_tag = Token::new("reply_to_tag", tag).map_err(|_| ConfigError::Invalid {
            field: "reply_to_tag",
            why: "is not a token",
        })?;
        Ok(self)
    }

    /// Also accepts bearer tokens from requests that came over a transport that does not
    /// protect them (UDP, TCP, WS, with no [`crate::edge::Inbound::secure_flow`]
    /// declaration). Off by default: RFC 6750 5.3 wants bearer tokens only over TLS, and a
    /// token sent in the clear is refused with 403. Turn it on only for a lab or loopback.
    pub fn allow_insecure_transport(mut self, allowed: bool) -> Config {
        self.allow_insecure_transport = allowed;
        self
    }

    /// Also serves `domain` as a home domain: a REGISTER whose Request-URI names it is
    /// admitted like one for the main home domain (its Annex U `uri` names it). A
    /// REGISTER for any other domain is refused and never gets `auth-done`.
    pub fn also_home_domain(mut self, domain: &str) -> Result<Config, ConfigError> {
        let d = HostPort::new("home_domains", domain).map_err(invalid("home_domains"))?;
        self.other_home_domains.push(d);
        Ok(self)
    }

    /// Sets how many registrations (and REGISTERs awaiting the core's answer) the edge
    /// holds at most ([`DEFAULT_MAX_REGISTRATIONS`] by default); a REGISTER that would
    /// add one more is answered 503 with Retry-After.
    pub fn max_registrations(mut self, count: usize) -> Config {
        self.max_registrations = count;
        self
    }

    /// The most registrations the edge holds.
    pub fn registration_capacity(&self) -> usize {
        self.max_registrations
    }

    /// Refuses registrations whose token expires within `seconds` (default
    /// [`DEFAULT_MIN_TOKEN_LIFETIME`]) with 401 `invalid_token`, so the client renews
    /// the token rather than being registered for a moment. A positive lifetime is never
    /// rewritten to 0 whatever this is set to.
    pub fn min_token_lifetime(mut self, seconds: u32) -> Config {
        self.min_token_lifetime = seconds;
        self
    }

    /// The domain a REGISTER's Request-URI host names, if this edge serves it.
    pub(crate) fn served_domain(&self, host: &str) -> Option<&HostPort> {
        std::iter::once(&self.home_domain)
            .chain(&self.other_home_domains)
            .find(|d| {
                d.host()
                    .domain()
                    .unwrap_or(d.as_str())
                    .eq_ignore_ascii_case(host)
            })
    }

    /// Sets the instance epoch written into and checked in every flow token. The host
    /// draws a new one at every start (from the clock and the process id, for example):
    /// connection ids are reused after a restart, so a token minted before it must not
    /// reach whichever connection now has its id. Such a token is refused with
    /// [`FlowTokenError::EarlierEpoch`]. Zero until set.
    pub fn epoch(mut self, epoch: u64) -> Config {
        self.codec = self.codec.with_epoch(epoch);
        self
    }

    /// Also accepts flow tokens minted with `key`, the flow key before a rotation (at
    /// least 16 bytes). Tokens are minted with the current key only; drop the previous
    /// key once the transactions and registrations that used it have ended.
    pub fn previous_flow_key(mut self, key: &[u8]) -> Result<Config, ConfigError> {
        self.codec = self.codec.with_previous_key(key)?;
        Ok(self)
    }

    /// The home network domain.
    pub fn home_domain(&self) -> &str {
        self.home_domain.as_str()
    }

    /// The edge's `host[:port]`.
    pub fn edge_host(&self) -> &str {
        self.edge_host.as_str()
    }

    /// The flow-token codec (for routing terminating requests by their Path token).
    pub fn flow_codec(&self) -> &FlowTokenCodec {
        &self.codec
    }
}
