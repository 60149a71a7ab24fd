//! Reading the routing headers the stand-in S-CSCF and the client share: the elements
//! of Route and Record-Route lists (RFC 3261 20.30, 20.34) with where they sit in the
//! message, so one can be removed with the library's [`Editor`]; the top Via's sent-by
//! and the address a response goes back to (RFC 3261 18.2.2, RFC 3581 4); and the
//! address-of-record key that registration and routing compare (RFC 3261 10.3 step 5:
//! user and host of the URI, parameters ignored).

use std::net::SocketAddr;
use std::ops::Range;

use sip_oauth::message::header::{NameAddr, Scheme, Uri, Via, split_list};
use sip_oauth::message::{Editor, HeaderName, Message, WriteError};

/// One element of a Route, Record-Route or Path list.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Index of its header field in [`Message::headers`].
    pub field: usize,
    /// Its byte range within the field's value.
    pub range: Range<usize>,
    /// Whether it is the only element of its field.
    pub alone: bool,
    /// The element as written (`<sip:...;lr>` with any header parameters).
    pub text: String,
    /// The URI inside it.
    pub uri: String,
}

/// Every element of the `name` fields of `msg`, top first; `Err` names the first that
/// does not parse.
pub fn entries(msg: &Message, name: HeaderName) -> Result<Vec<Entry>, &'static str> {
    let mut out = Vec::new();
    for field in msg.positions(name) {
        let Some(h) = msg.header(field) else { continue };
        let value = msg.value_str(h).map_err(|_| "header is not UTF-8")?;
        let items: Vec<(usize, &str)> = split_list(value).collect();
        let alone = items.len() == 1;
        for (off, item) in items {
            let addr = NameAddr::parse(item).map_err(|_| "bad route element")?;
            out.push(Entry {
                field,
                range: off..off + item.len(),
                alone,
                text: item.to_owned(),
                uri: addr.uri().as_str().to_owned(),
            });
        }
    }
    Ok(out)
}

/// Records the removal of `entry` from the message being edited.
pub fn remove(ed: &mut Editor<'_>, entry: &Entry) -> Result<(), WriteError> {
    if entry.alone {
        ed.remove(entry.field)
    } else {
        ed.remove_list_item(entry.field, entry.range.clone())
    }
}

/// `host:port` of a URI, the port defaulted to 5060 and the host lower-cased, for
/// comparing a URI with an address this process is known by.
pub fn uri_host_port(uri: &str) -> Option<String> {
    let u = Uri::parse(uri).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(format!("{host}:{}", u.port().unwrap_or(5060)))
}

/// The key bindings are stored under: `sip:user@host` of a SIP or SIPS URI, host
/// lower-cased, port and parameters dropped.
pub fn aor_key(uri: &str) -> Option<String> {
    let u = Uri::parse(uri).ok()?;
    if !matches!(u.scheme(), Scheme::Sip | Scheme::Sips) {
        return None;
    }
    let user = u.user()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(format!("sip:{user}@{host}"))
}

/// The URI of a name-addr header value (From, To, Contact), if it parses.
pub fn name_addr_uri(value: &str) -> Option<String> {
    NameAddr::parse(value)
        .ok()
        .map(|a| a.uri().as_str().to_owned())
}

/// The URI of the single `name` field of `msg` (From, To).
pub fn header_uri(msg: &Message, name: HeaderName) -> Option<String> {
    let (value, _) = msg.required_str(name).ok()?;
    name_addr_uri(value)
}

/// The tag of the single `name` field of `msg` (From, To).
pub fn header_tag(msg: &Message, name: HeaderName) -> Option<String> {
    let (value, _) = msg.required_str(name).ok()?;
    NameAddr::parse(value).ok()?.tag().map(str::to_owned)
}

/// One Via element with where it sits, so the top one can be removed.
#[derive(Debug, Clone)]
pub struct ViaEntry {
    /// The element as a list entry of its field.
    pub at: Entry,
    /// `host:port` of its sent-by, port defaulted to 5060, host lower-cased.
    pub sent_by: String,
    /// The branch parameter.
    pub branch: Option<String>,
    /// Where a response to it goes: `received` (else the sent-by host when it is an
    /// address) and `rport` (else the sent-by port), RFC 3261 18.2.2 and RFC 3581 4.
    pub reply_to: Option<SocketAddr>,
}

/// The first two Via elements of `msg` (the top one and the one below it), top first.
pub fn top_vias(msg: &Message) -> Result<Vec<ViaEntry>, &'static str> {
    let mut out = Vec::new();
    for field in msg.positions(HeaderName::Via) {
        let Some(h) = msg.header(field) else { continue };
        let value = msg.value_str(h).map_err(|_| "Via is not UTF-8")?;
        let items: Vec<(usize, &str)> = split_list(value).collect();
        let alone = items.len() == 1;
        for (off, item) in items {
            let via = Via::parse(item).map_err(|_| "bad Via")?;
            let port = via.port().unwrap_or(5060);
            let ip = via
                .received_addr()
                .or_else(|| via.host_str().trim_matches(['[', ']']).parse().ok());
            let reply_port = match via.rport() {
                Some(Some(p)) => p,
                _ => port,
            };
            out.push(ViaEntry {
                at: Entry {
                    field,
                    range: off..off + item.len(),
                    alone,
                    text: item.to_owned(),
                    uri: String::new(),
                },
                sent_by: format!("{}:{port}", via.host_str().to_ascii_lowercase()),
                branch: via.branch().map(str::to_owned),
                reply_to: ip.map(|ip| SocketAddr::new(ip, reply_port)),
            });
            if out.len() == 2 {
                return Ok(out);
            }
        }
    }
    Ok(out)
}
