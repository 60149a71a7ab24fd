//! The edge's own answers to clients: Bearer challenges (RFC 8898 section 2.3,
//! RFC 6750 section 3) and other error responses (RFC 3261 8.2.6).

use bytes::Bytes;

use super::config::Config;
use super::decision::{RejectCause, Rejection};
use crate::message::{
    Builder, HeaderName, HeaderValue, Message, QuotedText, Token, ValueBuilder, WriteError,
};
use crate::validate::{BearerError, ValidationError};

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
            RejectCause::Invalid(ValidationError::OutsideConfinement { .. }) => (
                403,
                "Forbidden (identity outside the issuer's domains)",
                Some(BearerError::InsufficientScope),
            ),
            // The token could not be judged now (RFC 7662 endpoint unavailable): no
            // challenge, the client retries after Retry-After.
            RejectCause::Invalid(ValidationError::Unavailable { .. }) => {
                (503, "Service Unavailable (token check unavailable)", None)
            }
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
            RejectCause::ForeignDomain => (403, "Forbidden (not a home domain of this edge)", None),
            RejectCause::ExpiresTooSoon { .. } => (
                401,
                "Unauthorized (token expires too soon)",
                Some(BearerError::InvalidToken),
            ),
            RejectCause::PasswordInAor => {
                (403, "Forbidden (password in the address of record)", None)
            }
            RejectCause::InsecureTransport => (
                403,
                "Forbidden (bearer token needs a secure transport)",
                None,
            ),
            RejectCause::Request(v) => (v.status(), status_text(v.status()), None),
            RejectCause::RegistrationsFull => (
                503,
                "Service Unavailable (registration capacity reached)",
                None,
            ),
            RejectCause::NotRegistered => {
                (403, "Forbidden (not registered on this connection)", None)
            }
            RejectCause::TokenLapsed => (
                401,
                "Unauthorized (the registration's token expired)",
                Some(BearerError::InvalidToken),
            ),
            RejectCause::UnregisteredIdentity => (403, "Forbidden (identity not registered)", None),
            RejectCause::OutsideDialog => (
                403,
                "Forbidden (not routed through this edge for this connection)",
                None,
            ),
            RejectCause::FlowFailed => (430, "Flow Failed", None),
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
) -> Result<HeaderValue, WriteError> {
    const REALM: HeaderValue = HeaderValue::from_static("Bearer realm=");
    const SCOPE: HeaderValue = HeaderValue::from_static(", scope=");
    const SERVER: HeaderValue = HeaderValue::from_static(", authz_server=");
    const ERROR: HeaderValue = HeaderValue::from_static(", error=");
    const DESCRIPTION: HeaderValue = HeaderValue::from_static(", error_description=");
    let mut out = ValueBuilder::with_capacity(128);
    out.push(&REALM).push_quoted(&config.realm);
    if let Some(scope) = &config.challenge_scope {
        out.push(&SCOPE).push_quoted(scope);
    }
    if let Some(server) = &config.authz_server {
        out.push(&SERVER).push_quoted(server);
    }
    if let Some(code) = error {
        out.push(&ERROR)
            .push_quoted(&QuotedText::from(Token::new("error", code.as_str())?));
        if let Some(d) = description {
            out.push(&DESCRIPTION)
                .push_quoted(&QuotedText::new("error_description", d)?);
        }
    }
    Ok(out.finish())
}

/// Builds the response carrying `rejection` for `request`.
pub(crate) fn build(
    config: &Config,
    request: &Message,
    rejection: &Rejection,
) -> Result<Bytes, WriteError> {
    let reason = HeaderValue::new("reason phrase", &rejection.reason_phrase())?;
    let mut b = Builder::response_to(request, rejection.status, &reason, Some(&config.to_tag))?;
    let description = match &rejection.cause {
        RejectCause::Invalid(e) => Some(e.description()),
        RejectCause::BadToken(_) => Some("malformed or repeated bearer token"),
        RejectCause::ExpiresTooSoon { .. } => {
            Some("The access token expires too soon to register; obtain a fresh one")
        }
        RejectCause::TokenLapsed => {
            Some("The access token expired; obtain a fresh one and register again")
        }
        _ => None,
    };
    let challenge = match rejection.status {
        401 => true,
        400 | 403 => rejection.bearer_error.is_some(),
        _ => false,
    };
    if challenge {
        b.push(
            HeaderName::WwwAuthenticate,
            &bearer_challenge(config, rejection.bearer_error, description)?,
        )?;
    }
    // RFC 3261 21.5.4: how long to wait before trying again.
    if rejection.status == 503 {
        let retry = match &rejection.cause {
            RejectCause::Invalid(ValidationError::Unavailable { retry_after }) => {
                HeaderValue::new("Retry-After", &retry_after.to_string())?
            }
            _ => HeaderValue::from_static("60"),
        };
        b.push(Token::from_static("Retry-After"), retry)?;
    }
    if rejection.status == 420 {
        if let Some(tags) = unsupported_tags(request) {
            b.push(HeaderName::Unsupported, &tags)?;
        }
    }
    Ok(b.finish())
}

/// The option tags of Proxy-Require, which this edge supports none of (RFC 3261 16.3
/// step 4 answers them with 420 and Unsupported). They are tokens, checked on parsing.
pub(crate) fn unsupported_tags(request: &Message) -> Option<HeaderValue> {
    use crate::message::header::OptionTags;
    const COMMA: HeaderValue = HeaderValue::from_static(", ");
    let mut out = ValueBuilder::default();
    for field in request.find(HeaderName::ProxyRequire) {
        let Ok(text) = request.value_str(field) else {
            continue;
        };
        let Ok(tags) = OptionTags::parse(text) else {
            continue;
        };
        for tag in tags.iter() {
            let Ok(tag) = Token::new("option tag", tag) else {
                continue;
            };
            if !out.as_str().is_empty() {
                out.push(&COMMA);
            }
            out.push(&tag);
        }
    }
    (!out.as_str().is_empty()).then(|| out.finish())
}
