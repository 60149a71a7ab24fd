//! The one textual grammar of [`TokenLocation`], shared by [`FromStr`], [`fmt::Display`] and
//! serde, so a command line, a TOML file and the C API's JSON spell it alike.
//!
//! | text | location |
//! | --- | --- |
//! | `authorization` (or `authorization-bearer`) | `Authorization: Bearer` (RFC 8898, the default) |
//! | `proxy-authorization` (or `proxy-authorization-bearer`) | `Proxy-Authorization: Bearer` |
//! | `transport` | the WebSocket handshake, as the caller passes it |
//! | `any` | `authorization`, then `transport` |
//! | `header:NAME` | a header whose whole value is the token |
//! | `auth-param:NAME` | an auth-param of `Authorization` (any scheme) |
//! | `proxy-auth-param:NAME` | an auth-param of `Proxy-Authorization` |
//! | `uri-param:NAME` (or `request-uri-param:NAME`) | a Request-URI parameter |
//! | `contact-uri-param:NAME` | a Contact URI parameter |
//! | `A,B,...` | each in turn, the first that finds a token wins |
//!
//! `_` may stand for `-` in the keywords. A document may also give the list as an array
//! (`["authorization", "transport"]`) and use the older C API maps: `{"header": "X"}`,
//! `{"auth_param": {"header": "authorization", "param": "p"}}`,
//! `{"request_uri_param": "p"}`, `{"contact_uri_param": "p"}`, `{"first_of": [...]}`.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::text::{self, Item, Textual, keyword, named};
use crate::token::{CredentialsHeader, TokenLocation};

const EXPECTING: &str = "a token location: authorization, proxy-authorization, transport, any, \
     header:NAME, auth-param:NAME, proxy-auth-param:NAME, uri-param:NAME, contact-uri-param:NAME, \
     or a comma list of them";

impl FromStr for TokenLocation {
    type Err = String;

    /// Parses the grammar of [this module](crate::spec::token_location).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.contains(',') {
            let items = text
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<_>, _>>()?;
            return TokenLocation::from_list(items);
        }
        if !text.contains(':') {
            return match keyword(text).as_str() {
                "authorization" | "authorization-bearer" => Ok(TokenLocation::AuthorizationBearer),
                "proxy-authorization" | "proxy-authorization-bearer" => {
                    Ok(TokenLocation::ProxyAuthorizationBearer)
                }
                "transport" => Ok(TokenLocation::Transport),
                "any" => Ok(TokenLocation::FirstOf(vec![
                    TokenLocation::AuthorizationBearer,
                    TokenLocation::Transport,
                ])),
                _ => Err(format!("{text:?} is not {EXPECTING}")),
            };
        }
        let (kind, name) = named(text, EXPECTING)?;
        let name = name.to_owned();
        match kind.as_str() {
            "header" => Ok(TokenLocation::Header(name)),
            "auth-param" => Ok(auth_param(CredentialsHeader::Authorization, name)),
            "proxy-auth-param" => Ok(auth_param(CredentialsHeader::ProxyAuthorization, name)),
            "uri-param" | "request-uri-param" => Ok(TokenLocation::RequestUriParam(name)),
            "contact-uri-param" => Ok(TokenLocation::ContactUriParam(name)),
            _ => Err(format!("{text:?} is not {EXPECTING}")),
        }
    }
}

fn auth_param(header: CredentialsHeader, param: String) -> TokenLocation {
    TokenLocation::AuthParam { header, param }
}

/// Writes the text [`FromStr`] reads back.
impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenLocation::AuthorizationBearer => f.write_str("authorization"),
            TokenLocation::ProxyAuthorizationBearer => f.write_str("proxy-authorization"),
            TokenLocation::Transport => f.write_str("transport"),
            TokenLocation::Header(n) => write!(f, "header:{n}"),
            TokenLocation::AuthParam { header, param } => match header {
                CredentialsHeader::Authorization => write!(f, "auth-param:{param}"),
                CredentialsHeader::ProxyAuthorization => write!(f, "proxy-auth-param:{param}"),
            },
            TokenLocation::RequestUriParam(n) => write!(f, "uri-param:{n}"),
            TokenLocation::ContactUriParam(n) => write!(f, "contact-uri-param:{n}"),
            TokenLocation::FirstOf(list) => {
                for (i, l) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{l}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CredentialsMap {
    Authorization,
    ProxyAuthorization,
}

/// The C API's map spelling, still accepted.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum LocationMap {
    Header(String),
    AuthParam {
        header: CredentialsMap,
        param: String,
    },
    RequestUriParam(String),
    ContactUriParam(String),
    FirstOf(Vec<Item<TokenLocation>>),
}

impl Textual for TokenLocation {
    type Map = LocationMap;
    const EXPECTING: &'static str = EXPECTING;

    fn from_map(map: LocationMap) -> Result<Self, String> {
        // The map forms carry names the text form would have checked.
        let text = |kind: &str, name: &str| format!("{kind}:{name}").parse();
        match map {
            LocationMap::Header(n) => text("header", &n),
            LocationMap::AuthParam { header, param } => match header {
                CredentialsMap::Authorization => text("auth-param", &param),
                CredentialsMap::ProxyAuthorization => text("proxy-auth-param", &param),
            },
            LocationMap::RequestUriParam(n) => text("uri-param", &n),
            LocationMap::ContactUriParam(n) => text("contact-uri-param", &n),
            LocationMap::FirstOf(items) => {
                Self::from_list(items.into_iter().map(|i| i.0).collect())
            }
        }
    }

    fn from_list(items: Vec<Self>) -> Result<Self, String> {
        if items.is_empty() {
            return Err("an empty list of token locations finds no token".to_owned());
        }
        Ok(TokenLocation::FirstOf(items))
    }
}

text::deserialize_textual!(
    /// Reads a string in the grammar of [this module](crate::spec::token_location), an array
    /// of them, or one of the older C API maps.
    TokenLocation
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for t in [
            "authorization",
            "proxy-authorization",
            "transport",
            "header:X-Token",
            "auth-param:access_token",
            "proxy-auth-param:tok",
            "uri-param:access_token",
            "contact-uri-param:t",
            "authorization,transport",
        ] {
            let l: TokenLocation = t.parse().unwrap();
            assert_eq!(l.to_string(), t);
        }
        assert_eq!(
            "any".parse::<TokenLocation>().unwrap().to_string(),
            "authorization,transport"
        );
    }

    #[test]
    fn bad_text_is_refused() {
        for t in [
            "",
            "bearer",
            "header:",
            "header:a b",
            "cookie:x",
            "authorization,",
            ",",
        ] {
            assert!(t.parse::<TokenLocation>().is_err(), "{t:?}");
        }
    }
}
