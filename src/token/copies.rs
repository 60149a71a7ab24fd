//! Every place a configured [`TokenLocation`] could hold a token, not only the one it
//! was taken from: a client may send a second copy (or a second token) in another place
//! the strategy reads, and none of them may reach the core.

use super::extract::{Place, contact_uris};
use super::location::TokenLocation;
use crate::message::header::Uri;
use crate::message::{HeaderName, Message, Span, StartLine};

/// The places of `msg` that `location` reads, whatever they hold: every field of a
/// named header, and every Request-URI or Contact URI parameter of a parameter name
/// (a URI-parameter strategy reads one, and a client can copy the token into the
/// other). Credentials headers are not listed: the edge removes all of them anyway.
pub fn copies(msg: &Message, location: &TokenLocation) -> Vec<Place> {
    let mut out = Vec::new();
    collect(msg, location, &mut out);
    out
}

fn collect(msg: &Message, location: &TokenLocation, out: &mut Vec<Place>) {
    match location {
        TokenLocation::Header(name) => {
            for (index, h) in msg.headers().iter().enumerate() {
                let named = match HeaderName::from_bytes(name.as_bytes()) {
                    HeaderName::Other => {
                        h.name == HeaderName::Other
                            && msg.name_bytes(h).eq_ignore_ascii_case(name.as_bytes())
                    }
                    known => h.name == known,
                };
                if named {
                    out.push(Place::Header { index });
                }
            }
        }
        TokenLocation::RequestUriParam(name) | TokenLocation::ContactUriParam(name) => {
            uri_params(msg, name, out);
        }
        TokenLocation::FirstOf(list) => {
            for l in list {
                collect(msg, l, out);
            }
        }
        TokenLocation::AuthorizationBearer
        | TokenLocation::ProxyAuthorizationBearer
        | TokenLocation::AuthParam { .. }
        | TokenLocation::Transport => {}
    }
}

/// The parameters called `name` of the Request-URI and of every Contact URI, each as
/// the span that removes it with its separator.
fn uri_params(msg: &Message, name: &str, out: &mut Vec<Place>) {
    if let (Some(text), StartLine::Request { uri, .. }) = (msg.request_uri(), msg.start_line()) {
        for span in named(text, uri.start as usize, name) {
            out.push(Place::RequestUri { span });
        }
    }
    for (index, text, base) in contact_uris(msg) {
        for span in named(text, base, name) {
            out.push(Place::Contact { index, span });
        }
    }
}

/// The removal spans (in message coordinates, `base` being where `uri` starts) of the
/// parameters of `uri` called `name`.
fn named(uri: &str, base: usize, name: &str) -> Vec<Span> {
    let Ok(parsed) = Uri::parse(uri) else {
        return Vec::new();
    };
    parsed
        .params()
        .filter(|p| p.is(name))
        .map(|p| {
            let r = p.removal_range(uri);
            Span::new(base + r.start, base + r.end)
        })
        .collect()
}
