//! A SIP user agent over one TCP connection to an edge, written for the tests: it
//! registers with a bearer token (RFC 8898), sends MESSAGE and INVITE, answers what the
//! core sends it, and keeps every message it received for the checks.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::sip::{Msg, response_to, uri_of};
use super::{Framer, HOME, Item};

/// How long to wait for a message.
pub const WAIT: Duration = Duration::from_secs(5);

fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// One user agent.
pub struct Ua {
    pub user: String,
    wr: OwnedWriteHalf,
    rx: mpsc::Receiver<Msg>,
    local: SocketAddr,
    cseq: u32,
    /// Everything received, in order.
    pub received: Vec<Msg>,
}

impl Ua {
    /// Connects to the edge's TCP listener `edge` as `user`.
    pub async fn connect(edge: SocketAddr, user: &str) -> Ua {
        let stream = TcpStream::connect(edge).await.expect("connect to the edge");
        let local = stream.local_addr().unwrap();
        let (mut rd, wr) = stream.into_split();
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            let mut framer = Framer::default();
            loop {
                while let Ok(Some(item)) = framer.next() {
                    if let Item::Message(b) = item {
                        if let Some(m) = Msg::parse(&b) {
                            if tx.send(m).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                if !framer.fill(&mut rd).await {
                    return;
                }
            }
        });
        Ua {
            user: user.to_owned(),
            wr,
            rx,
            local,
            cseq: 0,
            received: Vec::new(),
        }
    }

    /// The address of record.
    pub fn aor(&self) -> String {
        format!("sip:{}@{HOME}", self.user)
    }

    /// The Contact URI.
    pub fn contact(&self) -> String {
        format!("sip:{}@{};transport=tcp", self.user, self.local)
    }

    fn via(&self) -> String {
        format!(
            "SIP/2.0/TCP {};branch=z9hG4bKua{}x{};rport",
            self.local,
            self.user,
            unique()
        )
    }

    /// Sends a message.
    pub async fn send(&mut self, msg: &Msg) {
        self.wr
            .write_all(&msg.to_bytes())
            .await
            .expect("send to the edge");
    }

    /// The next message received, within [`WAIT`].
    pub async fn recv(&mut self) -> Result<Msg, String> {
        match tokio::time::timeout(WAIT, self.rx.recv()).await {
            Ok(Some(m)) => {
                self.received.push(m.clone());
                Ok(m)
            }
            Ok(None) => Err(format!("{}: connection closed", self.user)),
            Err(_) => Err(format!("{}: nothing received in {WAIT:?}", self.user)),
        }
    }

    /// The next request received within `wait`.
    pub async fn request_within(&mut self, wait: Duration) -> Result<Msg, String> {
        match tokio::time::timeout(wait, self.rx.recv()).await {
            Ok(Some(m)) if !m.is_response() => {
                self.received.push(m.clone());
                Ok(m)
            }
            Ok(Some(m)) => Err(format!(
                "{}: a response where a request was due: {}",
                self.user, m.start
            )),
            Ok(None) => Err(format!("{}: connection closed", self.user)),
            Err(_) => Err(format!("{}: nothing received in {wait:?}", self.user)),
        }
    }

    /// The next final response (provisional ones are skipped and kept in `received`).
    pub async fn final_response(&mut self) -> Result<Msg, String> {
        loop {
            let m = self.recv().await?;
            match m.status() {
                Some(s) if s >= 200 => return Ok(m),
                Some(_) => continue,
                None => {
                    return Err(format!(
                        "{}: a request where a response was due: {}",
                        self.user, m.start
                    ));
                }
            }
        }
    }

    /// The next request received.
    pub async fn request(&mut self) -> Result<Msg, String> {
        let m = self.recv().await?;
        if m.is_response() {
            return Err(format!(
                "{}: a response where a request was due: {}",
                self.user, m.start
            ));
        }
        Ok(m)
    }

    fn next_cseq(&mut self) -> u32 {
        self.cseq += 1;
        self.cseq
    }

    /// A new request from this user to `to` (an AOR), outside any dialog.
    pub fn request_to(&mut self, method: &str, to: &str, call_id: &str) -> Msg {
        let cseq = self.next_cseq();
        Msg {
            start: format!("{method} {to} SIP/2.0"),
            headers: vec![
                ("Via".into(), self.via()),
                ("Max-Forwards".into(), "70".into()),
                (
                    "From".into(),
                    format!("<{}>;tag={}f{}", self.aor(), self.user, unique()),
                ),
                ("To".into(), format!("<{to}>")),
                ("Call-ID".into(), call_id.to_owned()),
                ("CSeq".into(), format!("{cseq} {method}")),
                ("Contact".into(), format!("<{}>", self.contact())),
            ],
            body: Vec::new(),
        }
    }

    /// Registers with `token` for `expires` seconds; returns the final response.
    pub async fn register(&mut self, token: &str, expires: u32) -> Result<Msg, String> {
        let call_id = format!("reg-{}-{}", self.user, unique());
        let mut m = self.request_to("REGISTER", &self.aor(), &call_id);
        m.start = format!("REGISTER sip:{HOME} SIP/2.0");
        m.set_all(
            "Contact",
            &[format!(
                "<{}>;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-0000000000{:02}>\";expires={expires}",
                self.contact(),
                unique() % 100
            )],
        );
        m.push("Expires", &expires.to_string());
        m.push("Authorization", &format!("Bearer {token}"));
        m.push("Supported", "path, outbound");
        self.send(&m).await;
        self.final_response().await
    }

    /// Sends a text MESSAGE to `to`; returns the final response.
    pub async fn message(&mut self, to: &str, text: &str) -> Result<Msg, String> {
        let call_id = format!("msg-{}-{}", self.user, unique());
        let mut m = self.request_to("MESSAGE", to, &call_id);
        m.remove("Contact");
        m.push("Content-Type", "text/plain");
        m.body = text.as_bytes().to_vec();
        self.send(&m).await;
        self.final_response().await
    }

    /// Answers `req` with `status`, adding a To tag and, for a dialog-creating response,
    /// the Record-Route and this user's Contact.
    pub async fn answer(&mut self, req: &Msg, status: u16, reason: &str) {
        let dialog = req.method() == Some("INVITE") && (101..300).contains(&status);
        let mut r = response_to(req, status, reason, &format!("{}t", self.user), dialog);
        if dialog {
            r.push("Contact", &format!("<{}>", self.contact()));
        }
        if req.method() == Some("INVITE") && status == 200 {
            r.push("Content-Type", "application/sdp");
            r.body = sdp("answer", self.local).into_bytes();
        }
        self.send(&r).await;
    }

    /// Waits for a request with `method`, answers it `status`, and returns it.
    pub async fn expect_and_answer(
        &mut self,
        method: &str,
        status: u16,
        reason: &str,
    ) -> Result<Msg, String> {
        let req = self.request().await?;
        if req.method() != Some(method) {
            return Err(format!(
                "{}: expected {method}, got {}",
                self.user, req.start
            ));
        }
        self.answer(&req, status, reason).await;
        Ok(req)
    }
}

/// A one-stream audio SDP (RFC 4566) for `who` at `addr`.
pub fn sdp(who: &str, addr: SocketAddr) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns={who}\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        ip = addr.ip(),
        port = addr.port() + 2,
    )
}

/// The dialog state a UAC keeps after a 2xx to its INVITE (RFC 3261 12.1.2): the remote
/// target and the route set (the 2xx's Record-Route, reversed).
pub struct Dialog {
    pub call_id: String,
    pub from: String,
    pub to: String,
    pub target: String,
    pub route: Vec<String>,
}

impl Dialog {
    /// The dialog a 2xx response to `invite` sets up.
    pub fn from_2xx(invite: &Msg, ok: &Msg) -> Dialog {
        let mut route: Vec<String> = ok.entries("Record-Route");
        route.reverse();
        Dialog {
            call_id: invite.get("Call-ID").unwrap_or_default().to_owned(),
            from: invite.get("From").unwrap_or_default().to_owned(),
            to: ok.get("To").unwrap_or_default().to_owned(),
            target: ok.get("Contact").map(uri_of).unwrap_or_default(),
            route,
        }
    }

    /// An in-dialog request with CSeq `cseq`, from `ua`.
    pub fn request(&self, ua: &Ua, method: &str, cseq: u32) -> Msg {
        let mut headers = vec![("Via".to_owned(), ua.via())];
        for r in &self.route {
            headers.push(("Route".into(), r.clone()));
        }
        headers.extend([
            ("Max-Forwards".into(), "70".into()),
            ("From".into(), self.from.clone()),
            ("To".into(), self.to.clone()),
            ("Call-ID".into(), self.call_id.clone()),
            ("CSeq".into(), format!("{cseq} {method}")),
        ]);
        Msg {
            start: format!("{method} {} SIP/2.0", self.target),
            headers,
            body: Vec::new(),
        }
    }
}

impl Ua {
    /// Sends an INVITE with an SDP offer to `to`; returns the INVITE sent.
    pub async fn invite(&mut self, to: &str) -> Msg {
        let call_id = format!("call-{}-{}", self.user, unique());
        let mut m = self.request_to("INVITE", to, &call_id);
        m.push("Content-Type", "application/sdp");
        m.body = sdp("offer", self.local).into_bytes();
        self.send(&m).await;
        m
    }

    /// Sends `req` inside `dialog`... as built by [`Dialog::request`].
    pub async fn send_in_dialog(&mut self, dialog: &Dialog, method: &str, cseq: u32) -> Msg {
        let m = dialog.request(self, method, cseq);
        self.send(&m).await;
        m
    }
}
