//! A WebRTC IMS client (WIC) over a SIP WebSocket (RFC 7118): REGISTER with
//! `Authorization: Bearer <token>` (RFC 8898), refreshes and de-registration on one
//! Call-ID (RFC 3261 10.2.4); as a user agent client it sends a MESSAGE (RFC 3428) and
//! places a call (INVITE with an SDP offer, ACK on the 2xx, BYE: RFC 3261 13, 15), and
//! as a server it answers what arrives ([`wic_answer`](super::wic_answer)).
//!
//! One task reads the WebSocket: responses go to the waiting request, requests to the
//! answerer; one task writes everything sent.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_oauth::message::header::CSeq;
use sip_oauth::message::{HeaderName, Message};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::sdp;
use super::wic_answer::{Answerer, Event};
use super::wic_dialog::{Dialog, Identity, Request};
use super::ws;

/// How long to wait for a final response.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Outgoing queue of the connection.
const QUEUE: usize = 64;

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
    /// The provisional statuses received before it, in order.
    pub provisional: Vec<u16>,
}

impl Final {
    /// The status line.
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or("")
    }
}

/// The outcome of placing a call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The final response to the INVITE (its provisional statuses included).
    pub answer: Final,
    /// The dialog, when the call was answered with a 2xx (and ACKed).
    pub dialog: Option<Dialog>,
}

/// One client on one WebSocket.
pub struct Wic {
    me: Identity,
    out: mpsc::Sender<Bytes>,
    responses: mpsc::Receiver<Message>,
    events: mpsc::Receiver<Event>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    /// The registration's Call-ID, From tag and CSeq (RFC 3261 10.2.4: one per binding).
    call_id: String,
    from_tag: String,
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
        Wic::connect_with(url, user, home, handshake_token, None).await
    }

    /// Like [`Wic::connect`]; a `wss://` URL is reached trusting what `tls` trusts (see
    /// [`tls_certs::trusting`](super::tls_certs::trusting)).
    pub async fn connect_with(
        url: &str,
        user: &str,
        home: &str,
        handshake_token: Option<&str>,
        tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
    ) -> Result<Wic, String> {
        let ws = ws::connect_with(url, handshake_token, tls)
            .await
            .map_err(|e| e.to_string())?;
        let me = Identity {
            user: user.to_owned(),
            home: home.to_owned(),
            // RFC 7118 section 5.2: the client has no reachable address; a random .invalid host.
            host: format!("{}.invalid", random_id(12)),
            instance: format!(
                "{}-{}-4{}-a{}-{}",
                random_id(8),
                random_id(4),
                random_id(3),
                random_id(3),
                random_id(12)
            ),
            secure: url.starts_with("wss:"),
        };
        let (mut sink, mut source) = ws.split();
        let (out, mut rx) = mpsc::channel::<Bytes>(QUEUE);
        let writer = tokio::spawn(async move {
            while let Some(b) = rx.recv().await {
                // RFC 7118 section 5.1: UTF-8 messages go in text frames.
                let m = match String::from_utf8(b.to_vec()) {
                    Ok(t) => WsMessage::text(t),
                    Err(e) => WsMessage::binary(e.into_bytes()),
                };
                if sink.send(m).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (resp_tx, responses) = mpsc::channel::<Message>(QUEUE);
        let (event_tx, events) = mpsc::channel::<Event>(QUEUE);
        let mut answerer = Answerer::new(me.clone(), out.clone(), event_tx);
        let reader = tokio::spawn(async move {
            while let Some(Ok(m)) = source.next().await {
                let bytes = match m {
                    WsMessage::Text(t) => Bytes::copy_from_slice(t.as_bytes()),
                    WsMessage::Binary(b) => b,
                    WsMessage::Close(_) => break,
                    _ => continue,
                };
                // What does not parse is not SIP this client can act on.
                let Ok(msg) = Message::parse(bytes) else {
                    continue;
                };
                if msg.is_request() {
                    answerer.on_request(&msg);
                } else if resp_tx.send(msg).await.is_err() {
                    break;
                }
            }
        });
        Ok(Wic {
            me,
            out,
            responses,
            events,
            reader,
            writer,
            call_id: random_id(22),
            from_tag: random_id(8),
            cseq: 0,
        })
    }

    /// Who this client is.
    pub fn identity(&self) -> &Identity {
        &self.me
    }

    /// The REGISTER for `expires` seconds, with the token in `Authorization: Bearer`
    /// when given.
    pub fn register_text(&mut self, token: Option<&str>, expires: u32) -> String {
        self.cseq += 1;
        let Identity {
            user,
            home,
            host,
            instance,
            ..
        } = &self.me;
        let via = self.me.via_transport();
        let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
        format!(
            "REGISTER sip:{home} SIP/2.0\r\n\
             Via: SIP/2.0/{via} {host};branch=z9hG4bK{branch};rport\r\n\
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
        )
    }

    /// Sends a REGISTER and waits for its final response.
    pub async fn register(&mut self, token: Option<&str>, expires: u32) -> Result<Final, String> {
        let text = self.register_text(token, expires);
        let (call_id, cseq) = (self.call_id.clone(), self.cseq);
        self.send(Bytes::from(text)).await?;
        self.final_response(&call_id, cseq, "REGISTER").await
    }

    /// Sends a MESSAGE with a text body to `to` (an AOR) and waits for its final response.
    pub async fn message(&mut self, to: &str, body: &str) -> Result<Final, String> {
        let from = self.me.aor();
        self.message_from(&from, to, body).await
    }

    /// Like [`Wic::message`] with `from` as the From URI, which need not be this
    /// client's own identity (to show the edge refusing an identity not registered).
    pub async fn message_from(
        &mut self,
        from: &str,
        to: &str,
        body: &str,
    ) -> Result<Final, String> {
        let call_id = random_id(22);
        let req = Request {
            method: "MESSAGE",
            uri: to,
            headers: vec![
                (HeaderName::Via, self.me.via()),
                (HeaderName::MaxForwards, "70".to_owned()),
                (HeaderName::From, format!("<{from}>;tag={}", random_id(8))),
                (HeaderName::To, format!("<{to}>")),
                (HeaderName::CallId, call_id.clone()),
                (HeaderName::CSeq, "1 MESSAGE".to_owned()),
            ],
            body: Some(("text/plain;charset=utf-8", body)),
        };
        self.send(req.write()?).await?;
        self.final_response(&call_id, 1, "MESSAGE").await
    }

    /// Calls `to` (an AOR): INVITE with an SDP offer; on a 2xx the ACK is sent and the
    /// dialog returned, on another final response the ACK of RFC 3261 17.1.1.3.
    pub async fn call(&mut self, to: &str) -> Result<Call, String> {
        let call_id = random_id(22);
        let local = format!("<{}>;tag={}", self.me.aor(), random_id(8));
        let via = self.me.via();
        let offer = sdp::audio(&self.me.user, sdp::session_id());
        let invite = Request {
            method: "INVITE",
            uri: to,
            headers: vec![
                (HeaderName::Via, via.clone()),
                (HeaderName::MaxForwards, "70".to_owned()),
                (HeaderName::From, local.clone()),
                (HeaderName::To, format!("<{to}>")),
                (HeaderName::CallId, call_id.clone()),
                (HeaderName::CSeq, "1 INVITE".to_owned()),
                (HeaderName::Contact, format!("<{}>", self.me.contact_uri())),
                (HeaderName::Supported, "outbound".to_owned()),
            ],
            body: Some((sdp::CONTENT_TYPE, &offer)),
        };
        self.send(invite.write()?).await?;
        let answer = self.final_response(&call_id, 1, "INVITE").await?;
        let resp = Message::parse(Bytes::from(answer.text.clone()))
            .map_err(|e| format!("final response: {e}"))?;
        if (200..300).contains(&answer.status) {
            let dialog = Dialog::from_2xx(&resp, &local, 1)?;
            self.send(dialog.request(&self.me, "ACK", 1)?).await?;
            return Ok(Call {
                answer,
                dialog: Some(dialog),
            });
        }
        // The ACK of a non-2xx is hop by hop: same Via, Request-URI and To as answered.
        let to_value = resp
            .required_str(HeaderName::To)
            .map_err(|e| format!("To: {e}"))?
            .0
            .to_owned();
        let ack = Request {
            method: "ACK",
            uri: to,
            headers: vec![
                (HeaderName::Via, via),
                (HeaderName::MaxForwards, "70".to_owned()),
                (HeaderName::From, local),
                (HeaderName::To, to_value),
                (HeaderName::CallId, call_id),
                (HeaderName::CSeq, "1 ACK".to_owned()),
            ],
            body: None,
        };
        self.send(ack.write()?).await?;
        Ok(Call {
            answer,
            dialog: None,
        })
    }

    /// Ends the call of `dialog` with a BYE and waits for its final response.
    pub async fn hang_up(&mut self, dialog: &mut Dialog) -> Result<Final, String> {
        dialog.cseq += 1;
        let bye = dialog.request(&self.me, "BYE", dialog.cseq)?;
        self.send(bye).await?;
        let call_id = dialog.call_id.clone();
        self.final_response(&call_id, dialog.cseq, "BYE").await
    }

    /// The next request that arrived (already answered), waiting at most `within`.
    pub async fn next_event(&mut self, within: Duration) -> Option<Event> {
        tokio::time::timeout(within, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    async fn send(&self, bytes: Bytes) -> Result<(), String> {
        self.out
            .send(bytes)
            .await
            .map_err(|_| "connection closed".to_owned())
    }

    /// Waits for the final response to the request `cseq method` of `call_id`,
    /// collecting the provisional ones.
    async fn final_response(
        &mut self,
        call_id: &str,
        cseq: u32,
        method: &str,
    ) -> Result<Final, String> {
        let mut provisional = Vec::new();
        let wait = async {
            while let Some(msg) = self.responses.recv().await {
                let ours = msg
                    .required_str(HeaderName::CallId)
                    .is_ok_and(|(c, _)| c == call_id)
                    && msg
                        .required_str(HeaderName::CSeq)
                        .ok()
                        .and_then(|(c, _)| CSeq::parse(c).ok())
                        .is_some_and(|c| c.seq == cseq && c.method == method);
                let Some(status) = msg.status().filter(|_| ours) else {
                    continue;
                };
                if status < 200 {
                    provisional.push(status);
                    continue;
                }
                let text = String::from_utf8_lossy(msg.as_bytes()).into_owned();
                return Ok(Final {
                    status,
                    text,
                    provisional: std::mem::take(&mut provisional),
                });
            }
            Err("connection closed".to_owned())
        };
        tokio::time::timeout(RESPONSE_TIMEOUT, wait)
            .await
            .map_err(|_| "no final response in time".to_owned())?
    }

    /// Closes the WebSocket.
    pub async fn close(self) {
        let Wic {
            out,
            reader,
            mut writer,
            ..
        } = self;
        // The reader holds the answerer's sender: stop it first so the writer's queue
        // closes and the writer sends the Close frame.
        reader.abort();
        drop(out);
        if tokio::time::timeout(Duration::from_secs(1), &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
    }
}
