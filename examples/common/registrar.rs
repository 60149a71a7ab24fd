//! A minimal S-CSCF that trusts the edge (TS 33.203 Annex U): it accepts a REGISTER
//! only from a configured trusted node and only when the Authorization header says
//! `integrity-protected="auth-done"`; it keeps bindings in memory with their expiry, the
//! Path of each (RFC 3327 5.3) and the peer the REGISTER came from, and answers 200 OK
//! with the bindings, Path, Service-Route (RFC 3608: its own address, so that
//! originating requests come back over it) and P-Associated-URI (RFC 7315). Other
//! requests and the responses to them are proxied between registered users by the
//! [`router`](super::router).

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;
use sip_oauth::message::header::{
    AuthScheme, Contact, Credentials, IntegrityProtected, parse_expires, split_list,
};
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};

use super::bindings::{Bindings, Change};
use super::core_peer::Peer;
use super::route_set::{self, header_uri};
use super::router;

// The transport lives in `core_server`; programs reach it under the registrar's name.
#[allow(unused_imports)]
pub use super::core_server::{bind, serve};

const OK: HeaderValue = HeaderValue::from_static("OK");
/// The To tag of every response the S-CSCF writes itself.
const TAG: Token = Token::from_static("sc");
/// The lifetime granted when the request names none (RFC 3261 10.2.1.1 leaves it local).
const DEFAULT_EXPIRES: u32 = 3600;
/// The longest lifetime granted.
const MAX_EXPIRES: u32 = 7200;

/// The S-CSCF's state and policy.
pub struct Registrar {
    home: String,
    trusted: Vec<IpAddr>,
    /// `host:port` this S-CSCF is reached at, once a socket is bound.
    me: OnceLock<String>,
    bindings: Bindings,
}

/// One message to send, with the line to log.
pub struct Answer {
    /// Where it goes.
    pub to: Peer,
    /// The message.
    pub bytes: Bytes,
    /// What was decided.
    pub log: String,
}

impl Registrar {
    /// An S-CSCF for `home` trusting REGISTERs (and originating requests) from
    /// `trusted` addresses.
    pub fn new(home: &str, trusted: Vec<IpAddr>) -> Registrar {
        Registrar {
            home: home.to_owned(),
            trusted,
            me: OnceLock::new(),
            bindings: Bindings::default(),
        }
    }

    /// Sets the address this S-CSCF names in its Service-Route, Record-Route and Via
    /// (the first call wins: every socket of one S-CSCF shares the port).
    pub fn set_address(&self, addr: SocketAddr) {
        let _ = self.me.set(addr.to_string());
    }

    /// `host:port` of this S-CSCF, or `scscf.<home>` before a socket is bound.
    pub fn me(&self) -> String {
        self.me
            .get()
            .cloned()
            .unwrap_or_else(|| format!("scscf.{}", self.home))
    }

    /// Whether `uri` names this S-CSCF (its Service-Route or Record-Route URI).
    pub fn is_me(&self, uri: &str) -> bool {
        let Some(hp) = route_set::uri_host_port(uri) else {
            return false;
        };
        let named = format!("scscf.{}:5060", self.home);
        self.me.get().is_some_and(|me| *me == hp) || hp == named
    }

    /// Whether `peer` is inside the trust domain (TS 33.203 Annex U: the edge).
    pub fn is_trusted(&self, peer: Peer) -> bool {
        self.trusted.contains(&peer.addr().ip())
    }

    /// The location service.
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    /// How many addresses of record have live bindings at `now`.
    pub fn registered(&self, now: Instant) -> usize {
        self.bindings.registered(now)
    }

    /// Handles one message from `from`; `None` when nothing is to be sent (an ACK that
    /// cannot be routed, a response that is not for this S-CSCF, bytes that are not SIP).
    pub fn handle(&self, bytes: Bytes, from: Peer, now: Instant) -> Option<Answer> {
        let msg = Message::parse(bytes).ok()?;
        match msg.method() {
            None => router::relay_response(self, &msg, from),
            Some("REGISTER") => self.register(&msg, from, now),
            Some(_) => router::route_request(self, &msg, from, now),
        }
    }

    /// RFC 3261 10.3 with the Annex U trust rules.
    fn register(&self, msg: &Message, from: Peer, now: Instant) -> Option<Answer> {
        let aor = header_uri(msg, HeaderName::To).unwrap_or_else(|| "-".to_owned());
        let refuse = |why: &str| reply(msg, 403, "Forbidden", from, &aor, why);
        if !self.is_trusted(from) {
            return refuse("not from a trusted node");
        }
        if let Err(why) = check_auth_done(msg) {
            return refuse(why);
        }
        let Some(key) = route_set::aor_key(&aor) else {
            return refuse("To is not a SIP AOR");
        };
        let path: Vec<String> = match route_set::entries(msg, HeaderName::Path) {
            Ok(p) => p.into_iter().map(|e| e.text).collect(),
            Err(why) => return refuse(why),
        };
        let granted = match contact_changes(msg)
            .and_then(|c| self.bindings.update(&key, c, &path, from, now))
        {
            Ok(g) => g,
            Err(why) => return refuse(why),
        };
        if let Ok(vias) = route_set::top_vias(msg)
            && let Some(top) = vias.first()
        {
            self.bindings.learn_edge(&top.sent_by, from);
        }
        let mut b = Builder::response_to(msg, 200, &OK, Some(&TAG)).ok()?;
        for (uri, params, secs) in &granted {
            let contact = HeaderValue::try_from(format!("<{uri}>;expires={secs}{params}")).ok()?;
            b.push(HeaderName::Contact, &contact).ok()?;
        }
        for p in &path {
            b.push(HeaderName::Path, &HeaderValue::try_from(p.as_str()).ok()?)
                .ok()?;
        }
        let route = HeaderValue::try_from(format!("<sip:orig@{};lr>", self.me())).ok()?;
        b.push(HeaderName::ServiceRoute, &route).ok()?;
        let associated = HeaderValue::try_from(format!("<{aor}>")).ok()?;
        b.push(HeaderName::PAssociatedUri, &associated).ok()?;
        Some(Answer {
            to: from,
            bytes: b.finish(),
            log: format!(
                "client={from} msg=REGISTER aor={aor} outcome=200 reason=auth-done from trusted node, {} binding(s), path {}",
                granted.len(),
                if path.is_empty() { "none" } else { "stored" }
            ),
        })
    }
}

/// A response of the S-CSCF's own to `msg`, sent back to `from`, logged with `why`.
pub fn reply(
    msg: &Message,
    status: u16,
    reason: &str,
    from: Peer,
    aor: &str,
    why: &str,
) -> Option<Answer> {
    let phrase = HeaderValue::try_from(reason).ok()?;
    let bytes = Builder::response_to(msg, status, &phrase, Some(&TAG))
        .ok()?
        .finish();
    Some(Answer {
        to: from,
        bytes,
        log: format!(
            "client={from} msg={} aor={aor} outcome={status} reason={why}",
            msg.method().unwrap_or("-")
        ),
    })
}

/// The REGISTER's Contact changes, with lifetimes granted (RFC 3261 10.3 steps 6-7).
fn contact_changes(msg: &Message) -> Result<Vec<Change>, &'static str> {
    let default = match msg.required_str(HeaderName::Expires) {
        Ok((t, _)) => parse_expires(t).map_err(|_| "bad Expires")?,
        Err(_) => DEFAULT_EXPIRES,
    };
    let mut out = Vec::new();
    for field in msg.find(HeaderName::Contact) {
        let text = msg.value_str(field).map_err(|_| "bad Contact")?;
        for (_, item) in split_list(text) {
            match Contact::parse(item).map_err(|_| "bad Contact")? {
                // RFC 3261 10.3 step 6: `*` only with Expires: 0, removing everything.
                Contact::Star if default == 0 => out.push(Change::RemoveAll),
                Contact::Star => return Err("Contact * needs Expires: 0"),
                Contact::Addr(a) => {
                    let mut params = String::new();
                    if let Some(id) = a.reg_id() {
                        params.push_str(&format!(";reg-id={id}"));
                    }
                    if let Some(inst) = a.instance() {
                        params.push_str(&format!(";+sip.instance=\"{inst}\""));
                    }
                    out.push(Change::Contact {
                        uri: a.uri().as_str().to_owned(),
                        params,
                        secs: a.expires().unwrap_or(default).min(MAX_EXPIRES),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Exactly one Authorization, Digest, with `integrity-protected="auth-done"` and a username.
fn check_auth_done(msg: &Message) -> Result<(), &'static str> {
    let mut fields = msg.find(HeaderName::Authorization);
    let field = fields
        .next()
        .ok_or("no Authorization from the trusted node")?;
    if fields.next().is_some() {
        return Err("more than one Authorization");
    }
    let text = msg.value_str(field).map_err(|_| "bad Authorization")?;
    let cred = Credentials::parse(text).map_err(|_| "bad Authorization")?;
    if cred.scheme() != AuthScheme::Digest {
        return Err("Authorization is not Digest");
    }
    if cred.integrity_protected() != Some(IntegrityProtected::AuthDone) {
        return Err("integrity-protected is not auth-done");
    }
    if cred.username().is_none_or(|u| u.is_empty()) {
        return Err("no username");
    }
    Ok(())
}
