//! Building an [`Edge`] and its addresses from [`Settings`] (flags or TOML).

use std::net::SocketAddr;

use sip_oauth::edge::{Config, Edge, Transport};
use sip_oauth::token::{CredentialsHeader, TokenLocation};
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{CachingValidator, JwtConfig, JwtValidator};

use super::args::Settings;
use super::edge_server::EdgeAddrs;

/// The settings the eP-CSCF understands.
pub const KNOWN: &[&str] = &[
    "ws-listen",
    "udp-listen",
    "tcp-listen",
    "core",
    "core-transport",
    "core-bind",
    "home-domain",
    "edge-host",
    "issuer",
    "audience",
    "scope",
    "hmac-secret",
    "hmac-secret-file",
    "public-key",
    "jwks",
    "token-location",
    "flow-key",
    "visited-network-id",
    "cache",
];

/// The help text of the eP-CSCF settings.
pub const USAGE: &str = "\
settings (flags, or the same names in a TOML file given with --config FILE):
  --ws-listen ADDR        SIP over WebSocket listener, subprotocol sip (default 127.0.0.1:8080; 'off')
  --udp-listen ADDR       SIP over UDP listener (default 127.0.0.1:5060; 'off')
  --tcp-listen ADDR       SIP over TCP listener (default 127.0.0.1:5060; 'off')
  --core ADDR             the S-CSCF (default 127.0.0.1:5070)
  --core-transport T      udp or tcp (default udp)
  --core-bind ADDR        local address of the core-facing UDP socket (default 127.0.0.1:0)
  --home-domain D         home network domain and Digest realm (default ims.mnc001.mcc001.3gppnetwork.org)
  --edge-host H[:P]       this edge's address in Via and Path (default: the core-facing socket)
  --issuer URL            accepted token issuer (iss), repeatable as a comma list
  --audience A            accepted audience (aud), comma list
  --scope S               scope the token must grant (e.g. sip)
  --hmac-secret S         HS256/384/512 secret (text)    | exactly one key source:
  --hmac-secret-file F    HS256/384/512 secret (file)    |
  --public-key F          RS/ES/EdDSA public key PEM      |
  --jwks F                JSON Web Key Set file           |
  --token-location L      authorization (RFC 8898, default with 'any'), proxy-authorization,
                          transport (WebSocket handshake), any (authorization, then transport),
                          header:NAME, auth-param:NAME, uri-param:NAME
  --flow-key K            secret (>= 16 bytes) protecting flow tokens (default: random per run)
  --visited-network-id V  adds P-Visited-Network-ID
  --cache N               remember up to N verified tokens (default 0: off)";

fn addr(s: &Settings, name: &str, default: &str) -> Result<Option<SocketAddr>, String> {
    let v = s.get_or(name, default);
    if v == "off" {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|e| format!("--{name} {v:?}: {e}"))
}

/// The listen and core addresses.
pub fn addrs(s: &Settings) -> Result<EdgeAddrs, String> {
    let core_tcp = match s.get_or("core-transport", "udp") {
        "udp" => false,
        "tcp" => true,
        other => return Err(format!("--core-transport {other:?}: udp or tcp")),
    };
    Ok(EdgeAddrs {
        ws: addr(s, "ws-listen", "127.0.0.1:8080")?,
        udp: addr(s, "udp-listen", "127.0.0.1:5060")?,
        tcp: addr(s, "tcp-listen", "127.0.0.1:5060")?,
        core: addr(s, "core", "127.0.0.1:5070")?.ok_or("--core is required")?,
        core_tcp,
        core_bind: addr(s, "core-bind", "127.0.0.1:0")?.ok_or("--core-bind cannot be off")?,
    })
}

fn token_location(v: &str) -> Result<TokenLocation, String> {
    Ok(match v.split_once(':') {
        None => match v {
            "authorization" => TokenLocation::AuthorizationBearer,
            "proxy-authorization" => TokenLocation::ProxyAuthorizationBearer,
            "transport" => TokenLocation::Transport,
            "any" => TokenLocation::FirstOf(vec![
                TokenLocation::AuthorizationBearer,
                TokenLocation::Transport,
            ]),
            _ => return Err(format!("--token-location {v:?} is not known")),
        },
        Some(("header", name)) => TokenLocation::Header(name.to_owned()),
        Some(("auth-param", name)) => TokenLocation::AuthParam {
            header: CredentialsHeader::Authorization,
            param: name.to_owned(),
        },
        Some(("uri-param", name)) => TokenLocation::RequestUriParam(name.to_owned()),
        _ => return Err(format!("--token-location {v:?} is not known")),
    })
}

fn key_source(s: &Settings) -> Result<KeySource, String> {
    let read = |f: &str| std::fs::read(f).map_err(|e| format!("reading {f}: {e}"));
    let sources = [
        s.get("hmac-secret")
            .map(|v| Ok(KeySource::Hmac(v.as_bytes().to_vec()))),
        s.get("hmac-secret-file").map(|f| {
            read(f).map(|mut b| {
                // A trailing newline from `echo` is not part of the secret.
                while b.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                    b.pop();
                }
                KeySource::Hmac(b)
            })
        }),
        s.get("public-key").map(|f| read(f).map(KeySource::Pem)),
        s.get("jwks").map(|f| {
            read(f).and_then(|b| {
                serde_json::from_slice(&b)
                    .map(KeySource::Jwks)
                    .map_err(|e| format!("{f}: {e}"))
            })
        }),
    ];
    let mut given = sources.into_iter().flatten();
    let first = given
        .next()
        .ok_or("a key is needed: --hmac-secret, --hmac-secret-file, --public-key or --jwks")?;
    if given.next().is_some() {
        return Err(
            "give only one of --hmac-secret, --hmac-secret-file, --public-key, --jwks".into(),
        );
    }
    first
}

/// The edge: validator and configuration. `edge_host` is used when the settings name none.
pub fn edge(s: &Settings, edge_host: &str) -> Result<Edge, String> {
    let mut jwt = JwtConfig::new(key_source(s)?);
    for i in s.list("issuer") {
        jwt = jwt.issuer(i);
    }
    for a in s.list("audience") {
        jwt = jwt.audience(a);
    }
    for sc in s.list("scope") {
        jwt = jwt.required_scope(sc);
    }
    let validator = JwtValidator::new(jwt).map_err(|e| e.to_string())?;
    let flow_key = match s.get("flow-key") {
        Some(k) => k.to_owned(),
        None => super::wic_client::random_id(32),
    };
    let home = s.get_or("home-domain", "ims.mnc001.mcc001.3gppnetwork.org");
    let host = s.get_or("edge-host", edge_host);
    let mut config = Config::new(home, host, flow_key.as_bytes())
        .map_err(|e| e.to_string())?
        .token_location(token_location(s.get_or("token-location", "any"))?);
    if s.get_or("core-transport", "udp") == "tcp" {
        config = config.core_transport(Transport::Tcp);
    }
    if let Some(v) = s.get("visited-network-id") {
        config = config.visited_network_id(v).map_err(|e| e.to_string())?;
    }
    let cache: usize = s.parsed("cache")?.unwrap_or(0);
    Ok(if cache > 0 {
        Edge::new(config, CachingValidator::new(validator, cache))
    } else {
        Edge::new(config, validator)
    })
}
