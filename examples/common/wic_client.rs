//! A WebRTC IMS client (WIC) as far as registration goes: REGISTER over a SIP WebSocket
//! (RFC 7118) with `Authorization: Bearer <token>` (RFC 8898), refreshes and
//! de-registration on one Call-ID (RFC 3261 10.2.4).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::ws::{self, ClientWs};

/// How long to wait for a final response.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A random lowercase alphanumeric string of `len` characters (not for secrets).
pub fn random_id(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut v = h.finish();
        while v > 0 && out.len() < len {
            let d = (v % 36) as u32;
            out.push(char::from_digit(d, 36).unwrap_or('x'));
            v /= 36;
        }
    }
    out
}

/// A final response as received.
#[derive(Debug, Clone)]
pub struct Final {
    /// Status code.
    pub status: u16,
    /// The whole message text.
    pub text: String,
}

impl Final {
    /// The status line.
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }
}

/// One registering client on one WebSocket.
pub struct Wic {
    ws: ClientWs,
    user: String,
    home: String,
    host: String,
    call_id: String,
    from_tag: String,
    instance: String,
    cseq: u32,
}

impl Wic {
    /// Connects to `url` (offering the `sip` subprotocol) as `user` of `home`.
    /// `handshake_token` is put on the upgrade request as `Authorization: Bearer`.
    pub async fn connect(
        url: &str,
        user: &str,
        home: &str,
        handshake_token: Option<&str>,
    ) -> Result<Wic, String> {
        let ws = ws::connect(url, handshake_token)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Wic {
            ws,
            user: user.to_owned(),
            home: home.to_owned(),
            // RFC 7118 section 5.2: the client has no reachable address; a random .invalid host.
            host: format!("{}.invalid", random_id(12)),
            call_id: random_id(22),
            from_tag: random_id(8),
            instance: format!(
                "{}-{}-4{}-a{}-{}",
                random_id(8),
                random_id(4),
                random_id(3),
                random_id(3),
                random_id(12)
            ),
            cseq: 0,
        })
    }

    /// The REGISTER for `expires` seconds, with the token in `Authorization: Bearer`
    /// when given.
    pub fn register_text(&mut self, token: Option<&str>, expires: u32) -> String {
        self.cseq += 1;
        let (user, home, host) = (&self.user, &self.home, &self.host);
        let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
        format!(
            "REGISTER sip:{home} SIP/2.0\r\n\
             Via: SIP/2.0/WS {host};branch=z9hG4bK{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{home}>;tag={tag}\r\n\
             To: <sip:{user}@{home}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{user}@{host};transport=ws>;reg-id=1;+sip.instance=\"<urn:uuid:{instance}>\";expires={expires}\r\n\
             Expires: {expires}\r\n\
             {auth}\
             Supported: path, outbound\r\n\
             User-Agent: sip-oauth-wic\r\n\
             Content-Length: 0\r\n\r\n",
            branch = random_id(10),
            tag = self.from_tag,
            call_id = self.call_id,
            cseq = self.cseq,
            instance = self.instance,
        )
    }

    /// Sends a REGISTER and waits for its final response.
    pub async fn register(&mut self, token: Option<&str>, expires: u32) -> Result<Final, String> {
        let text = self.register_text(token, expires);
        self.ws
            .send(WsMessage::text(text))
            .await
            .map_err(|e| format!("send: {e}"))?;
        let cseq = format!("CSeq: {} REGISTER", self.cseq);
        let wait = async {
            while let Some(m) = self.ws.next().await {
                let text = match m.map_err(|e| format!("receive: {e}"))? {
                    WsMessage::Text(t) => t.as_str().to_owned(),
                    WsMessage::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    WsMessage::Close(_) => break,
                    _ => continue,
                };
                let status = text
                    .strip_prefix("SIP/2.0 ")
                    .and_then(|r| r.get(..3))
                    .and_then(|s| s.parse::<u16>().ok());
                match status {
                    Some(s) if s >= 200 && text.contains(&cseq) => {
                        return Ok(Final { status: s, text });
                    }
                    _ => continue,
                }
            }
            Err("connection closed".to_owned())
        };
        tokio::time::timeout(RESPONSE_TIMEOUT, wait)
            .await
            .map_err(|_| "no final response in time".to_owned())?
    }

    /// Closes the WebSocket.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}
