//! [`TokenLocation`]: where in a REGISTER (or beside it) the client's token is found.

use crate::message::HeaderName;

/// Which credentials header an auth-param strategy looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsHeader {
    /// `Authorization`.
    Authorization,
    /// `Proxy-Authorization`.
    ProxyAuthorization,
}

impl CredentialsHeader {
    pub(crate) fn name(self) -> HeaderName {
        match self {
            CredentialsHeader::Authorization => HeaderName::Authorization,
            CredentialsHeader::ProxyAuthorization => HeaderName::ProxyAuthorization,
        }
    }
}

/// A strategy for finding the token. RFC 8898 puts it in `Authorization: Bearer`
/// (the default); deployments and earlier drafts use the other places.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenLocation {
    /// `Authorization: Bearer <token>` (RFC 8898 section 2.2, toward a registrar).
    #[default]
    AuthorizationBearer,
    /// `Proxy-Authorization: Bearer <token>` (RFC 8898, toward a proxy).
    ProxyAuthorizationBearer,
    /// A header whose whole value is the token, e.g. `X-Access-Token: eyJ...`.
    Header(String),
    /// An auth-param inside a credentials header of any scheme, e.g.
    /// `Authorization: Digest ..., access_token="eyJ..."`.
    AuthParam {
        /// The credentials header searched.
        header: CredentialsHeader,
        /// The auth-param name (case-insensitive).
        param: String,
    },
    /// A parameter of the Request-URI, e.g. `sip:example.com;access_token=eyJ...`
    /// (%-escapes are decoded).
    RequestUriParam(String),
    /// A parameter of a Contact URI (%-escapes are decoded).
    ContactUriParam(String),
    /// Supplied by the transport: what the caller took from the WebSocket handshake
    /// (an HTTP `Authorization: Bearer` value, or an `access_token` query parameter).
    Transport,
    /// Each strategy in turn; the first that finds a token wins. A malformed or
    /// ambiguous token stops the search (it is an error, not an absence).
    FirstOf(Vec<TokenLocation>),
}
