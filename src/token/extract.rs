//! Taking the token out of a request, and saying exactly where it was.

use std::borrow::Cow;
use std::ops::Range;

use thiserror::Error;

use super::bearer::BearerToken;
use super::location::{CredentialsHeader, TokenLocation};
use crate::message::header::{AuthScheme, Contact, Credentials, Uri, percent_decode, split_list};
use crate::message::{HeaderName, Message, Span};

/// Where a token was found, precisely enough to remove it before forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The whole header field at this index of [`Message::headers`] carries it.
    Header {
        /// Index of the field.
        index: usize,
    },
    /// An auth-param of the credentials field at `index`; `param` is the byte range of
    /// the parameter (`name=value`) within the field's value.
    AuthParam {
        /// Index of the field.
        index: usize,
        /// Range of the parameter within the value.
        param: Range<usize>,
    },
    /// A Request-URI parameter; `span` covers the parameter and its leading `;`.
    RequestUri {
        /// Bytes to remove, in message coordinates.
        span: Span,
    },
    /// A Contact URI parameter; `span` covers the parameter and its leading `;`.
    Contact {
        /// Index of the Contact field.
        index: usize,
        /// Bytes to remove, in message coordinates.
        span: Span,
    },
    /// Supplied by the transport: nothing in the message to remove.
    Transport,
}

/// A token and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'m> {
    /// The token.
    pub token: BearerToken<'m>,
    /// Where it was.
    pub place: Place,
}

/// Why no usable token came out of a request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// No token where the strategy looked (RFC 6750 3.1: answer without `error`).
    #[error("no bearer token in the request")]
    Absent,
    /// Something is there but it is not a usable token (RFC 6750 `invalid_request`).
    #[error("malformed bearer token: {0}")]
    Malformed(&'static str),
    /// Two different tokens (RFC 6750 `invalid_request`: one method only).
    #[error("more than one distinct bearer token in the request")]
    Ambiguous,
}

/// Finds the token in `msg` as `location` says. `transport_token` is what the transport
/// supplied, if anything (used by [`TokenLocation::Transport`]; a leading `Bearer `
/// scheme is accepted and removed).
///
/// ```
/// use sip_oauth::message::Message;
/// use sip_oauth::token::{extract, Place, TokenLocation};
///
/// let msg = Message::parse(&b"REGISTER sip:example.com SIP/2.0\r\n\
///     Authorization: Bearer abc.def.ghi\r\nContent-Length: 0\r\n\r\n"[..])?;
/// let found = extract(&msg, &TokenLocation::default(), None)?;
/// assert_eq!(found.token.expose(), "abc.def.ghi");
/// assert_eq!(found.place, Place::Header { index: 0 });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn extract<'m>(
    msg: &'m Message,
    location: &TokenLocation,
    transport_token: Option<&'m str>,
) -> Result<Found<'m>, ExtractError> {
    match location {
        TokenLocation::AuthorizationBearer => bearer_in(msg, HeaderName::Authorization),
        TokenLocation::ProxyAuthorizationBearer => bearer_in(msg, HeaderName::ProxyAuthorization),
        TokenLocation::Header(name) => whole_header(msg, name),
        TokenLocation::AuthParam { header, param } => auth_param(msg, *header, param),
        TokenLocation::RequestUriParam(name) => request_uri_param(msg, name),
        TokenLocation::ContactUriParam(name) => contact_param(msg, name),
        TokenLocation::Transport => from_transport(transport_token),
        TokenLocation::FirstOf(list) => {
            for loc in list {
                match extract(msg, loc, transport_token) {
                    Err(ExtractError::Absent) => continue,
                    other => return other,
                }
            }
            Err(ExtractError::Absent)
        }
    }
}

/// Keeps the first token and checks that any further one is the same.
fn merge<'m>(acc: &mut Option<Found<'m>>, next: Found<'m>) -> Result<(), ExtractError> {
    match acc {
        Some(first) if first.token != next.token => Err(ExtractError::Ambiguous),
        Some(_) => Ok(()),
        None => {
            *acc = Some(next);
            Ok(())
        }
    }
}

fn token<'m>(text: impl Into<Cow<'m, str>>) -> Result<BearerToken<'m>, ExtractError> {
    BearerToken::new(text).ok_or(ExtractError::Malformed(
        "token is not a b64token (RFC 6750 2.1)",
    ))
}

fn bearer_in(msg: &Message, name: HeaderName) -> Result<Found<'_>, ExtractError> {
    let mut found = None;
    for (index, field) in msg.headers().iter().enumerate() {
        if field.name != name {
            continue;
        }
        let Ok(value) = msg.value_str(field) else {
            continue;
        };
        // Only the scheme decides whether this field is ours; other schemes
        // (Digest, unknown ones) are left to whoever understands them.
        let end = value
            .bytes()
            .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(value.len());
        if !value
            .as_bytes()
            .get(..end)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"Bearer"))
        {
            continue;
        }
        let creds = Credentials::parse(value)
            .map_err(|_| ExtractError::Malformed("Bearer credentials do not parse"))?;
        let text = creds.bearer_token().ok_or(ExtractError::Malformed(
            "Bearer credentials without a token",
        ))?;
        merge(
            &mut found,
            Found {
                token: BearerToken::from_bearer_credentials(text),
                place: Place::Header { index },
            },
        )?;
    }
    found.ok_or(ExtractError::Absent)
}

fn whole_header<'m>(msg: &'m Message, name: &str) -> Result<Found<'m>, ExtractError> {
    let mut found = None;
    for field in msg.find_named(name) {
        let index = msg
            .headers()
            .iter()
            .position(|h| std::ptr::eq(h, field))
            .unwrap_or_default();
        let value = msg
            .value_str(field)
            .map_err(|_| ExtractError::Malformed("token header is not text"))?;
        merge(
            &mut found,
            Found {
                token: token(value.trim())?,
                place: Place::Header { index },
            },
        )?;
    }
    found.ok_or(ExtractError::Absent)
}

fn auth_param<'m>(
    msg: &'m Message,
    header: CredentialsHeader,
    param: &str,
) -> Result<Found<'m>, ExtractError> {
    let mut found = None;
    for (index, field) in msg.headers().iter().enumerate() {
        if field.name != header.name() {
            continue;
        }
        let Ok(value) = msg.value_str(field) else {
            continue;
        };
        let Ok(creds) = Credentials::parse(value) else {
            continue;
        };
        if matches!(creds.scheme(), AuthScheme::Bearer) {
            continue;
        }
        let Some(p) = creds.param(param) else {
            continue;
        };
        let text = p
            .unquoted()
            .ok_or(ExtractError::Malformed("token parameter without a value"))?;
        merge(
            &mut found,
            Found {
                token: token(text)?,
                place: Place::AuthParam {
                    index,
                    param: p.range.clone(),
                },
            },
        )?;
    }
    found.ok_or(ExtractError::Absent)
}

/// Finds URI parameter `name` of `uri` (which starts at `base` in the message) and
/// returns the decoded token and the message span to remove.
fn uri_param<'m>(
    uri_text: &'m str,
    base: usize,
    name: &str,
) -> Result<Option<(BearerToken<'m>, Span)>, ExtractError> {
    let Ok(uri) = Uri::parse(uri_text) else {
        return Ok(None);
    };
    let Some(p) = uri.param(name) else {
        return Ok(None);
    };
    let raw = p
        .value
        .ok_or(ExtractError::Malformed("token parameter without a value"))?;
    let bytes =
        percent_decode(raw).map_err(|_| ExtractError::Malformed("bad %-escape in token"))?;
    let text = match bytes {
        Cow::Borrowed(b) => Cow::Borrowed(
            std::str::from_utf8(b).map_err(|_| ExtractError::Malformed("token is not text"))?,
        ),
        Cow::Owned(v) => Cow::Owned(
            String::from_utf8(v).map_err(|_| ExtractError::Malformed("token is not text"))?,
        ),
    };
    let removal = p.removal_range(uri_text);
    Ok(Some((
        token(text)?,
        Span::new(base + removal.start, base + removal.end),
    )))
}

fn request_uri_param<'m>(msg: &'m Message, name: &str) -> Result<Found<'m>, ExtractError> {
    let (Some(uri), crate::message::StartLine::Request { uri: span, .. }) =
        (msg.request_uri(), msg.start_line())
    else {
        return Err(ExtractError::Absent);
    };
    match uri_param(uri, span.start as usize, name)? {
        Some((token, span)) => Ok(Found {
            token,
            place: Place::RequestUri { span },
        }),
        None => Err(ExtractError::Absent),
    }
}

/// Every Contact URI of `msg`: the field's index, the URI text, and where that text
/// starts in the message.
pub(crate) fn contact_uris(msg: &Message) -> impl Iterator<Item = (usize, &str, usize)> + '_ {
    msg.headers()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name == HeaderName::Contact)
        .filter_map(|(index, field)| Some((index, field, msg.value_str(field).ok()?)))
        .flat_map(|(index, field, value)| {
            split_list(value).filter_map(move |(offset, item)| {
                let Ok(Contact::Addr(addr)) = Contact::parse(item) else {
                    return None;
                };
                let uri_text = addr.uri().as_str();
                // The URI text is a sub-slice of the value; find where it starts.
                let uri_at = uri_text.as_ptr() as usize - item.as_ptr() as usize;
                Some((
                    index,
                    uri_text,
                    field.value_span.start as usize + offset + uri_at,
                ))
            })
        })
}

fn contact_param<'m>(msg: &'m Message, name: &str) -> Result<Found<'m>, ExtractError> {
    let mut found = None;
    for (index, uri_text, base) in contact_uris(msg) {
        if let Some((token, span)) = uri_param(uri_text, base, name)? {
            merge(
                &mut found,
                Found {
                    token,
                    place: Place::Contact { index, span },
                },
            )?;
        }
    }
    found.ok_or(ExtractError::Absent)
}

fn from_transport(supplied: Option<&str>) -> Result<Found<'_>, ExtractError> {
    let raw = supplied.ok_or(ExtractError::Absent)?.trim();
    let text = match raw.split_once([' ', '\t']) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("Bearer") => rest.trim_start(),
        Some(_) => {
            return Err(ExtractError::Malformed(
                "transport credentials are not Bearer",
            ));
        }
        None => raw,
    };
    Ok(Found {
        token: token(text)?,
        place: Place::Transport,
    })
}
