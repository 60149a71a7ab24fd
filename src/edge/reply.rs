//! The edge's own answers to clients: Bearer challenges (RFC 8898 section 2.3,
//! RFC 6750 section 3) and other error responses (RFC 3261 8.2.6).

use bytes::Bytes;

use super::config::Config;
use super::decision::{RejectCause, Rejection};
use crate::message::header::push_quoted;
use crate::message::{Builder, Message, WriteError};
use crate::validate::BearerError;

impl Rejection {
    /// The rejection for `cause`, with status, reason phrase and Bearer error chosen by
    /// the rules of RFC 6750 section 3.1 and RFC 3261.
    pub fn for_cause(cause: RejectCause) -> Rejection {
        let (status, reason, bearer_error) = match &cause {
            RejectCause::NoToken => (401, "Unauthorized", None),
            RejectCause::BadToken(_) => (
                400,
                "Bad Request (malformed bearer token)",
                Some(BearerError::InvalidRequest),
            ),
            RejectCause::Invalid(e) => {
                let code = e.bearer_error();
                let reason = match code {
                    BearerError::InvalidRequest => "Bad Request (malformed bearer token)",
                    BearerError::InvalidToken => "Unauthorized",
                    BearerError::InsufficientScope => "Forbidden (insufficient scope)",
                };
                (code.sip_status(), reason, Some(code))
            }
            RejectCause::IdentityMismatch => {
                (403, "Forbidden (identity not granted by token)", None)
            }
            RejectCause::OutlivesToken => (403, "Forbidden (registration outlives token)", None),
            RejectCause::InsecureTransport => (
                403,
                "Forbidden (bearer token needs a secure transport)",
                None,
            ),
            RejectCause::Request(v) => (v.status(), status_text(v.status()), None),
        };
        Rejection {
            status,
            reason,
            bearer_error,
            cause,
        }
    }

    /// The full reason phrase: the fixed text, plus for a malformed request the rule
    /// broken and where. Only fixed texts and numbers are used, never request bytes.
    pub fn reason_phrase(&self) -> String {
        match &self.cause {
            RejectCause::Request(v) if self.status == 400 => format!("{} ({v})", self.reason),
            _ => self.reason.to_owned(),
        }
    }
}

/// The reason phrase RFC 3261 21 gives the statuses a rule of the validator answers.
fn status_text(status: u16) -> &'static str {
    match status {
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        483 => "Too Many Hops",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        _ => "Bad Request",
    }
}

/// The value of a `WWW-Authenticate: Bearer` challenge.
pub(crate) fn bearer_challenge(
    config: &Config,
    error: Option<BearerError>,
    description: Option<&str>,
) -> Result<String, WriteError> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"Bearer realm=");
    push_quoted(&mut out, "realm", &config.realm)?;
    if let Some(scope) = &config.challenge_scope {
        out.extend_from_slice(b", scope=");
        push_quoted(&mut out, "scope", scope)?;
    }
    if let Some(server) = &config.authz_server {
        out.extend_from_slice(b", authz_server=");
        push_quoted(&mut out, "authz_server", server)?;
    }
    if let Some(code) = error {
        out.extend_from_slice(b", error=");
        push_quoted(&mut out, "error", code.as_str())?;
        if let Some(d) = description {
            out.extend_from_slice(b", error_description=");
            push_quoted(&mut out, "error_description", d)?;
        }
    }
    String::from_utf8(out).map_err(|_| WriteError::Invalid {
        what: "challenge",
        expected: "UTF-8 text",
    })
}

/// Builds the response carrying `rejection` for `request`.
pub(crate) fn build(
    config: &Config,
    request: &Message,
    rejection: &Rejection,
) -> Result<Bytes, WriteError> {
    let reason = rejection.reason_phrase();
    let mut b = Builder::response_to(request, rejection.status, &reason, Some(&config.to_tag))?;
    let description = match &rejection.cause {
        RejectCause::Invalid(e) => Some(e.description()),
        RejectCause::BadToken(_) => Some("malformed or repeated bearer token"),
        _ => None,
    };
    let challenge = match rejection.status {
        401 => true,
        400 | 403 => rejection.bearer_error.is_some(),
        _ => false,
    };
    if challenge {
        b.push(
            "WWW-Authenticate",
            &bearer_challenge(config, rejection.bearer_error, description)?,
        )?;
    }
    if rejection.status == 420 {
        if let Some(tags) = unsupported_tags(request) {
            b.push("Unsupported", &tags)?;
        }
    }
    Ok(b.finish())
}

/// The option tags of Proxy-Require, which this edge supports none of (RFC 3261 16.3
/// step 4 answers them with 420 and Unsupported). They are tokens, checked on parsing.
pub(crate) fn unsupported_tags(request: &Message) -> Option<String> {
    use crate::message::HeaderName;
    use crate::message::header::OptionTags;
    let mut out = String::new();
    for field in request.find(HeaderName::ProxyRequire) {
        let Ok(text) = request.value_str(field) else {
            continue;
        };
        let Ok(tags) = OptionTags::parse(text) else {
            continue;
        };
        for tag in tags.iter() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(tag);
        }
    }
    (!out.is_empty()).then_some(out)
}
