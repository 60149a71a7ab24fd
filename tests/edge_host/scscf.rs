//! A stand-in S-CSCF over UDP for the scale-out test: a registrar that trusts the edges
//! (TS 33.203 Annex U `integrity-protected="auth-done"`), stores each registration's
//! Contact and Path (RFC 3327), and a stateless proxy that routes between the registered
//! users:
//! - a request arriving with its Service-Route on top is originating: the core takes its
//!   Route off, looks the Request-URI up, and sends the request to the callee's Contact
//!   with the callee's Path as Route (RFC 3327 5.3), toward the first Path URI's address;
//!   404 when the callee is not registered;
//! - a request arriving with the core's Record-Route on top is in a dialog: the core takes
//!   it off and sends the request to the next Route's address (RFC 3261 16.12, loose
//!   routing);
//! - a response goes, without the core's Via, to the address of the Via below.
//!
//! It adds its Via (and its Record-Route on dialog-creating requests) and decrements
//! Max-Forwards, as a proxy does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::sip::{Msg, host_port, param, response_to, split_list, uri_of};
use super::{HOME, HopLog, first_line};

/// What the core holds for one address of record.
#[derive(Clone, Debug)]
pub struct Binding {
    pub contact: String,
    pub path: Vec<String>,
}

/// The running core.
pub struct Core {
    pub addr: SocketAddr,
    pub bindings: Arc<Mutex<HashMap<String, Binding>>>,
    pub log: HopLog,
    task: JoinHandle<()>,
}

impl Drop for Core {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Core {
    /// The Service-Route it gives registered users.
    pub fn service_route(addr: SocketAddr) -> String {
        format!("<sip:orig@{addr};lr>")
    }

    /// Binds on 127.0.0.1 (any port) and serves.
    pub async fn start() -> Core {
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = sock.local_addr().unwrap();
        let bindings = Arc::new(Mutex::new(HashMap::new()));
        let log = HopLog::default();
        let state = State {
            sock: sock.clone(),
            addr,
            bindings: bindings.clone(),
            log: log.clone(),
        };
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                    continue;
                };
                state.handle(&buf[..n], peer).await;
            }
        });
        Core {
            addr,
            bindings,
            log,
            task,
        }
    }

    /// The binding held for `aor`.
    pub fn binding(&self, aor: &str) -> Option<Binding> {
        self.bindings.lock().unwrap().get(aor).cloned()
    }
}

struct State {
    sock: Arc<UdpSocket>,
    addr: SocketAddr,
    bindings: Arc<Mutex<HashMap<String, Binding>>>,
    log: HopLog,
}

fn is_ours(uri: &str, addr: SocketAddr, user: &str) -> bool {
    uri.starts_with(&format!("sip:{user}@{addr}"))
}

impl State {
    async fn send(&self, bytes: &[u8], to: SocketAddr, what: &str) {
        self.log
            .push(format!("core -> {what} {to}: {}", first_line(bytes)));
        let _ = self.sock.send_to(bytes, to).await;
    }

    async fn handle(&self, bytes: &[u8], peer: SocketAddr) {
        self.log
            .push(format!("core <- {peer}: {}", first_line(bytes)));
        let Some(mut msg) = Msg::parse(bytes) else {
            self.log.push("core: unparseable".into());
            return;
        };
        if msg.is_response() {
            return self.response(msg).await;
        }
        let method = msg.method().unwrap_or("").to_owned();
        if method == "REGISTER" {
            return self.register(&msg, peer).await;
        }
        let routes = msg.entries("Route");
        let top = routes.first().map(|r| uri_of(r)).unwrap_or_default();
        if is_ours(&top, self.addr, "orig") {
            // Originating: from a registered user through its Service-Route.
            let aor = msg
                .request_uri()
                .map(|u| u.split(';').next().unwrap_or(u).to_owned())
                .unwrap_or_default();
            let Some(b) = self.bindings.lock().unwrap().get(&aor).cloned() else {
                if method != "ACK" {
                    let r = response_to(&msg, 404, "Not Found", "core", false);
                    self.reply(&r).await;
                }
                return;
            };
            msg.start = format!("{method} {} SIP/2.0", b.contact);
            msg.set_all(
                "Route",
                &b.path.iter().map(|p| format!("<{p}>")).collect::<Vec<_>>(),
            );
            if matches!(method.as_str(), "INVITE" | "SUBSCRIBE" | "REFER") {
                msg.push_top("Record-Route", &format!("<sip:core@{};lr>", self.addr));
            }
            let Some(next) = b.path.first().and_then(|p| host_port(p)) else {
                return;
            };
            self.forward(msg, next).await;
        } else if is_ours(&top, self.addr, "core") {
            // In a dialog: along the route set.
            let rest: Vec<String> = routes.into_iter().skip(1).collect();
            let next = rest
                .first()
                .map(|r| uri_of(r))
                .or_else(|| msg.request_uri().map(str::to_owned))
                .and_then(|u| host_port(&u));
            msg.set_all("Route", &rest);
            if let Some(next) = next {
                self.forward(msg, next).await;
            }
        } else if method != "ACK" {
            let r = response_to(&msg, 403, "Not Through The Service-Route", "core", false);
            self.reply(&r).await;
        }
    }

    /// Adds the core's Via, decrements Max-Forwards, sends.
    async fn forward(&self, mut msg: Msg, to: SocketAddr) {
        let branch = msg
            .get("Via")
            .and_then(|v| param(v, "branch"))
            .unwrap_or("x")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        msg.push_top(
            "Via",
            &format!("SIP/2.0/UDP {};branch=z9hG4bKcore{branch}", self.addr),
        );
        let mf: u32 = msg
            .get("Max-Forwards")
            .and_then(|v| v.parse().ok())
            .unwrap_or(70);
        msg.set_all("Max-Forwards", &[mf.saturating_sub(1).to_string()]);
        self.send(&msg.to_bytes(), to, "forward").await;
    }

    /// A response: the core's Via off, on to the Via below.
    async fn response(&self, mut msg: Msg) {
        let mut vias = msg.entries("Via");
        if vias.is_empty() || !vias[0].contains(&self.addr.to_string()) {
            self.log.push("core: response not through the core".into());
            return;
        }
        vias.remove(0);
        let Some(next) = vias.first().and_then(|v| via_addr(v)) else {
            return;
        };
        msg.set_all("Via", &vias);
        self.send(&msg.to_bytes(), next, "response").await;
    }

    /// The core's own answer, to the address of the top Via.
    async fn reply(&self, r: &Msg) {
        if let Some(to) = r.get("Via").and_then(via_addr) {
            self.send(&r.to_bytes(), to, "answer").await;
        }
    }

    async fn register(&self, msg: &Msg, peer: SocketAddr) {
        let auth = msg.get("Authorization").unwrap_or("");
        if !auth.contains("integrity-protected=\"auth-done\"") || auth.contains("Bearer") {
            let r = response_to(msg, 403, "Forbidden", "core", false);
            let _ = peer;
            return self.reply(&r).await;
        }
        let aor = msg.get("To").map(uri_of).unwrap_or_default();
        let contact = msg.get("Contact").map(uri_of).unwrap_or_default();
        let path: Vec<String> = msg
            .all("Path")
            .into_iter()
            .flat_map(split_list)
            .map(|p| uri_of(&p))
            .collect();
        let expires = msg
            .get("Contact")
            .and_then(|c| param(c, "expires").map(str::to_owned))
            .or_else(|| msg.get("Expires").map(str::to_owned))
            .unwrap_or_else(|| "3600".into());
        let mut r = response_to(msg, 200, "OK", "core", false);
        if expires == "0" {
            self.bindings.lock().unwrap().remove(&aor);
        } else {
            self.bindings.lock().unwrap().insert(
                aor.clone(),
                Binding {
                    contact: contact.clone(),
                    path: path.clone(),
                },
            );
            r.push("Contact", &format!("<{contact}>;expires={expires}"));
        }
        for p in msg.all("Path") {
            r.push("Path", p);
        }
        r.push("Service-Route", &Core::service_route(self.addr));
        r.push("P-Associated-URI", &format!("<{aor}>"));
        let _ = HOME;
        self.reply(&r).await;
    }
}

/// The address a Via entry names: `received`/`rport` when given, else its sent-by.
fn via_addr(via: &str) -> Option<SocketAddr> {
    let sent_by = via.split_whitespace().nth(1)?.split(';').next()?;
    let mut addr: SocketAddr = sent_by.parse().ok()?;
    if let Some(ip) = param(via, "received").and_then(|r| r.parse().ok()) {
        addr.set_ip(ip);
    }
    if let Some(port) = param(via, "rport").and_then(|p| p.parse().ok()) {
        addr.set_port(port);
    }
    Some(addr)
}
