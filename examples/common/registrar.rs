//! A minimal S-CSCF registrar that trusts the edge (TS 33.203 Annex U): it accepts a
//! REGISTER only from a configured trusted node and only when the Authorization header
//! says `integrity-protected="auth-done"`; it keeps bindings in memory with their expiry
//! and answers 200 OK with the bindings, Path (RFC 3327 section 5.3), Service-Route
//! (RFC 3608) and P-Associated-URI (RFC 7315). Anything else gets 403.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_oauth::message::header::{
    AuthScheme, Contact, Credentials, IntegrityProtected, NameAddr, parse_expires, split_list,
};
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};

const FORBIDDEN: HeaderValue = HeaderValue::from_static("Forbidden");
const OK: HeaderValue = HeaderValue::from_static("OK");
const TAG: Token = Token::from_static("sc");
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::log;
use super::stream::{Item, SipReader, write_all_from};

const ROLE: &str = "scscf";
/// The lifetime granted when the request names none (RFC 3261 10.2.1.1 leaves it local).
const DEFAULT_EXPIRES: u32 = 3600;
/// The longest lifetime granted.
const MAX_EXPIRES: u32 = 7200;

struct Binding {
    uri: String,
    params: String,
    until: Instant,
}

/// The registrar state and policy.
pub struct Registrar {
    home: String,
    trusted: Vec<IpAddr>,
    bindings: Mutex<HashMap<String, Vec<Binding>>>,
}

/// The answer to one request, with the line to log.
pub struct Answer {
    /// The response bytes.
    pub bytes: Bytes,
    /// What was decided.
    pub log: String,
}

impl Registrar {
    /// A registrar for `home` trusting REGISTERs from `trusted` addresses.
    pub fn new(home: &str, trusted: Vec<IpAddr>) -> Registrar {
        Registrar {
            home: home.to_owned(),
            trusted,
            bindings: Mutex::new(HashMap::new()),
        }
    }

    /// How many addresses of record have live bindings at `now`.
    pub fn registered(&self, now: Instant) -> usize {
        self.bindings.lock().map_or(0, |m| {
            m.values()
                .filter(|v| v.iter().any(|b| b.until > now))
                .count()
        })
    }

    /// Handles one request from `peer`; `None` when nothing is to be sent (a response, an
    /// ACK, or bytes that are not SIP).
    pub fn handle(&self, bytes: Bytes, peer: SocketAddr, now: Instant) -> Option<Answer> {
        let msg = Message::parse(bytes).ok()?;
        let method = msg.method()?;
        if method == "ACK" {
            return None;
        }
        let aor = msg
            .required_str(HeaderName::To)
            .ok()
            .and_then(|(t, _)| NameAddr::parse(t).ok().map(|a| a.uri().as_str().to_owned()))
            .unwrap_or_else(|| "-".to_owned());
        let refuse = |why: &str| {
            let bytes = Builder::response_to(&msg, 403, &FORBIDDEN, Some(&TAG))
                .ok()?
                .finish();
            Some(Answer {
                bytes,
                log: format!("client={peer} aor={aor} outcome=403 reason={why}"),
            })
        };
        if method != "REGISTER" {
            return refuse("only REGISTER is served");
        }
        if !self.trusted.contains(&peer.ip()) {
            return refuse("not from a trusted node");
        }
        if let Err(why) = check_auth_done(&msg) {
            return refuse(why);
        }
        let granted = match self.update(&msg, &aor, now) {
            Ok(g) => g,
            Err(why) => return refuse(why),
        };
        let mut b = Builder::response_to(&msg, 200, &OK, Some(&TAG)).ok()?;
        for (uri, params, secs) in &granted {
            let contact = HeaderValue::try_from(format!("<{uri}>;expires={secs}{params}")).ok()?;
            b.push(HeaderName::Contact, &contact).ok()?;
        }
        for field in msg.find(HeaderName::Path) {
            let path = HeaderValue::try_from(msg.value_str(field).ok()?).ok()?;
            b.push(HeaderName::Path, &path).ok()?;
        }
        let route = HeaderValue::try_from(format!("<sip:orig@scscf.{};lr>", self.home)).ok()?;
        b.push(HeaderName::ServiceRoute, &route).ok()?;
        let associated = HeaderValue::try_from(format!("<{aor}>")).ok()?;
        b.push(HeaderName::PAssociatedUri, &associated).ok()?;
        Some(Answer {
            bytes: b.finish(),
            log: format!(
                "client={peer} aor={aor} outcome=200 reason=auth-done from trusted node, {} binding(s)",
                granted.len()
            ),
        })
    }

    /// Applies the REGISTER's Contacts; returns the bindings now held for `aor`.
    fn update(
        &self,
        msg: &Message,
        aor: &str,
        now: Instant,
    ) -> Result<Vec<(String, String, u64)>, &'static str> {
        let default = match msg.required_str(HeaderName::Expires) {
            Ok((t, _)) => parse_expires(t).map_err(|_| "bad Expires")?,
            Err(_) => DEFAULT_EXPIRES,
        };
        let mut map = self.bindings.lock().map_err(|_| "state unavailable")?;
        let list = map.entry(aor.to_owned()).or_default();
        list.retain(|b| b.until > now);
        for field in msg.find(HeaderName::Contact) {
            let text = msg.value_str(field).map_err(|_| "bad Contact")?;
            for (_, item) in split_list(text) {
                match Contact::parse(item).map_err(|_| "bad Contact")? {
                    // RFC 3261 10.3 step 6: `*` only with Expires: 0, removing everything.
                    Contact::Star if default == 0 => list.clear(),
                    Contact::Star => return Err("Contact * needs Expires: 0"),
                    Contact::Addr(a) => {
                        let uri = a.uri().as_str().to_owned();
                        let secs = a.expires().unwrap_or(default).min(MAX_EXPIRES);
                        list.retain(|b| b.uri != uri);
                        if secs > 0 {
                            let mut params = String::new();
                            if let Some(id) = a.reg_id() {
                                params.push_str(&format!(";reg-id={id}"));
                            }
                            if let Some(inst) = a.instance() {
                                params.push_str(&format!(";+sip.instance=\"{inst}\""));
                            }
                            list.push(Binding {
                                uri,
                                params,
                                until: now + Duration::from_secs(u64::from(secs)),
                            });
                        }
                    }
                }
            }
        }
        let out = list
            .iter()
            .map(|b| {
                (
                    b.uri.clone(),
                    b.params.clone(),
                    b.until.saturating_duration_since(now).as_secs(),
                )
            })
            .collect();
        if list.is_empty() {
            map.remove(aor);
        }
        Ok(out)
    }
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

/// Serves `registrar` on a UDP socket and/or a TCP listener until the set is dropped.
pub fn serve(
    registrar: Arc<Registrar>,
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    tasks: &mut JoinSet<()>,
) {
    if let Some(sock) = udp {
        let r = registrar.clone();
        tasks.spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                    continue;
                };
                let req = Bytes::copy_from_slice(&buf[..n]);
                if let Some(a) = r.handle(req, peer, Instant::now()) {
                    log::line(ROLE, format_args!("{}", a.log));
                    let _ = sock.send_to(&a.bytes, peer).await;
                }
            }
        });
    }
    if let Some(listener) = tcp {
        tasks.spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let r = registrar.clone();
                tokio::spawn(async move { tcp_connection(r, stream, peer).await });
            }
        });
    }
}

async fn tcp_connection(r: Arc<Registrar>, stream: TcpStream, peer: SocketAddr) {
    let (rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let writer = tokio::spawn(write_all_from(wr, rx));
    let mut reader = SipReader::new(rd);
    while let Ok(Some(item)) = reader.next().await {
        let answer = match item {
            Item::Message(b) => r.handle(b, peer, Instant::now()),
            Item::Ping => {
                let _ = tx.send(Bytes::from_static(b"\r\n")).await;
                None
            }
        };
        if let Some(a) = answer {
            log::line(ROLE, format_args!("{}", a.log));
            if tx.send(a.bytes).await.is_err() {
                break;
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// Binds the registrar's sockets on `addr` (UDP, and TCP on the same port when `tcp`).
pub async fn bind(addr: SocketAddr, tcp: bool) -> io::Result<(UdpSocket, Option<TcpListener>)> {
    let udp = UdpSocket::bind(addr).await?;
    let tcp = if tcp {
        Some(TcpListener::bind(udp.local_addr()?).await?)
    } else {
        None
    };
    Ok((udp, tcp))
}
