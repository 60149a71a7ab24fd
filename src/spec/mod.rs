//! The configuration of an edge, of its JWT validator and of token introspection, defined once as deserialisable
//! specifications ([`EdgeSpec`], [`JwtSpec`], both together in [`Spec`]) that build the
//! library's types. The C API reads them from JSON; the example programs from TOML and
//! command-line flags; any serde format works through [`deserialize`].
//!
//! Unknown keys are refused, so a misspelt option fails at start-up instead of being
//! ignored, and every error ([`SpecError`]) names its key, e.g. `edge.token_location`.
//!
//! ```
//! use sip_oauth::spec::Spec;
//!
//! let spec = Spec::from_json(r#"{
//!   "edge": {
//!     "home_domain": "ims.example", "edge_host": "pcscf.example:5060",
//!     "flow_key": {"hex": "000102030405060708090a0b0c0d0e0f"},
//!     "realm": "ims.example", "visited_network_id": "visited.example",
//!     "orig_ioi": "visited.example", "core_transport": "tcp",
//!     "token_location": "authorization,header:X-Token", "expiry_policy": "reject",
//!     "auth_entity": "auth-param:auth-entity", "challenge_scope": "sip:register",
//!     "authz_server": "https://waf.example/token", "reply_to_tag": "ep",
//!     "limits": {"max_message_bytes": 65536, "max_headers": 128, "max_line_bytes": 4096}
//!   },
//!   "jwt": {
//!     "key": {"hmac_secret": {"text": "an-hs256-secret-of-at-least-32-bytes"}},
//!     "algorithms": ["HS256"], "issuer": "https://waf.example", "audience": ["ims.example"],
//!     "required_scopes": "sip", "leeway_seconds": 30, "require_exp": true,
//!     "require_at_jwt": false, "max_token_bytes": 8192,
//!     "claims": {"impi": ["impi", "sub"], "impus": "impus", "require_impus": false,
//!                "wwsf": null, "auth_entity": "issuer"}
//!   }
//! }"#)?;
//! let config = spec.edge.build()?;
//! let validator = spec.jwt.build()?;
//! assert_eq!(config.home_domain(), "ims.example");
//! let edge = sip_oauth::edge::Edge::new(config, validator);
//! # let _ = edge;
//!
//! let err = Spec::from_json(r#"{"edge": {"home_domain": "ims.example",
//!     "edge_host": "pcscf.example", "flow_key": {"text": "0123456789abcdef"},
//!     "token_location": "cookie:t"}, "jwt": {"key": {"pem": ""}}}"#).unwrap_err();
//! assert_eq!(err.key, "edge.token_location");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod edge;
mod error;
mod introspection;
mod jwt;
mod secret;
mod text;
pub mod token_location;

use std::path::Path;

use serde::{Deserialize, Deserializer};

pub use edge::{AuthEntitySpec, EdgeSpec, ExpirySpec, LimitsSpec, TransportSpec};
pub use error::{SpecError, SpecErrorKind};
pub use introspection::{DEFAULT_TIMEOUT_MS, IntrospectionSpec};
pub use jwt::{
    AuthEntitySourceSpec, BackendSpec, ClaimsSpec, JwtSpec, KeySpec, MAX_LEEWAY_SECONDS, OneOrMany,
};
pub use secret::Secret;

/// An edge and its validator in one document: `{"edge": {...}, "jwt": {...}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Spec {
    /// The edge.
    pub edge: EdgeSpec,
    /// Its validator.
    pub jwt: JwtSpec,
    /// Opaque tokens judged by the WAF's introspection endpoint (RFC 7662), if any.
    pub introspection: Option<IntrospectionSpec>,
}

impl Spec {
    /// Reads the JSON document (errors name keys from its root, e.g. `edge.realm`).
    pub fn from_json(text: &str) -> Result<Spec, SpecError> {
        from_json("", text)
    }
}

/// Deserializes `T` from any serde format, naming the key of an error by its path from the
/// document's root, with `root` put in front (`""` for none). Use it for TOML or YAML:
/// `deserialize::<Spec, _>("", toml::Deserializer::parse(text)?)`.
pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    root: &str,
    deserializer: D,
) -> Result<T, SpecError>
where
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        // A syntax error leaves an unknown last segment: the key is its parent. The key
        // is built from the segments, so a key's own `?` or `.` is never cut.
        let mut segments: Vec<_> = e.path().iter().collect();
        if matches!(segments.last(), Some(serde_path_to_error::Segment::Unknown)) {
            segments.pop();
        }
        let mut path = String::new();
        for segment in segments {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Segment::Unknown => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push('?');
                }
            }
        }
        let path = path.as_str();
        let key = match (root.is_empty(), path.is_empty()) {
            (true, true) => "(document)".to_owned(),
            (false, true) => root.to_owned(),
            (true, false) => path.to_owned(),
            (false, false) => format!("{root}.{path}"),
        };
        SpecError::new(SpecErrorKind::Document, key, e.into_inner())
    })
}

/// Reads a JSON document, refusing trailing text after it, and a document that is not an
/// object: serde would also read a specification from an array of its values in order,
/// which names no key (an error in it would be under `[0]`).
fn from_json<T: for<'de> Deserialize<'de>>(root: &str, text: &str) -> Result<T, SpecError> {
    let key = if root.is_empty() { "(document)" } else { root };
    let start = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if !start.is_empty() && !start.starts_with('{') {
        return Err(SpecError::new(
            SpecErrorKind::Document,
            key,
            "the document must be a JSON object",
        ));
    }
    let mut d = serde_json::Deserializer::from_str(text);
    let value = deserialize(root, &mut d)?;
    d.end()
        .map_err(|e| SpecError::new(SpecErrorKind::Document, key, e))?;
    Ok(value)
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
}
