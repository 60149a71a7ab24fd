//! The example client as a user agent server (RFC 3261 8.2, 13.3): it answers a MESSAGE
//! with 200 (RFC 3428 7), an INVITE with 180 then 200 carrying an SDP answer (the 18x and
//! 2xx copy the Record-Route, 12.1.1), takes the ACK, answers BYE in a dialog it holds
//! with 200 (15.1.2) and anything else with 481 or 405. Each request is reported as an
//! [`Event`] so a program can show or check what arrived.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};
use tokio::sync::mpsc;

use super::route_set::{header_tag, header_uri};
use super::sdp;
use super::wic_client::random_id;
use super::wic_dialog::Identity;

/// Bound on the calls remembered; past it the oldest are forgotten (a BYE for them gets 481).
const MAX_CALLS: usize = 64;

/// A request the client received, after answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A MESSAGE, answered 200.
    Message {
        /// The From URI.
        from: String,
        /// The P-Asserted-Identity the network vouched for, if present.
        asserted: Option<String>,
        /// The body as text.
        body: String,
    },
    /// An INVITE, answered 180 then 200 with an SDP answer.
    Invite {
        /// The From URI.
        from: String,
        /// The call's Call-ID.
        call_id: String,
    },
    /// The ACK of an answered INVITE.
    Ack {
        /// The call's Call-ID.
        call_id: String,
    },
    /// A BYE, answered 200 when the call was known.
    Bye {
        /// The call's Call-ID.
        call_id: String,
        /// The answer given.
        status: u16,
    },
    /// Any other request, answered with `status`.
    Other {
        /// Its method.
        method: String,
        /// The answer given.
        status: u16,
    },
}

/// Answers the requests arriving on one client's connection.
pub struct Answerer {
    me: Identity,
    out: mpsc::Sender<Bytes>,
    events: mpsc::Sender<Event>,
    /// Call-ID → the local tag of each call answered, in arrival order.
    calls: HashMap<String, String>,
    order: Vec<String>,
    /// How long the phone "rings" between the 180 and the 200.
    ring: Duration,
}

impl Answerer {
    /// Answers as `me`, writing responses to `out` and reporting to `events`.
    pub fn new(me: Identity, out: mpsc::Sender<Bytes>, events: mpsc::Sender<Event>) -> Answerer {
        Answerer {
            me,
            out,
            events,
            calls: HashMap::new(),
            order: Vec::new(),
            ring: Duration::from_millis(100),
        }
    }

    /// Handles one request.
    pub fn on_request(&mut self, req: &Message) {
        let Some(method) = req.method() else { return };
        let call_id = req
            .required_str(HeaderName::CallId)
            .map_or_else(|_| String::new(), |(c, _)| c.to_owned());
        let from = header_uri(req, HeaderName::From).unwrap_or_default();
        let event = match method {
            "MESSAGE" => {
                self.send(respond(req, 200, "OK", &random_id(8), None));
                let asserted = req
                    .first(HeaderName::PAssertedIdentity)
                    .and_then(|f| req.value_str(f).ok())
                    .map(str::to_owned);
                Event::Message {
                    from,
                    asserted,
                    body: String::from_utf8_lossy(req.body()).into_owned(),
                }
            }
            "INVITE" if header_tag(req, HeaderName::To).is_none() => {
                self.invite(req, &call_id);
                Event::Invite { from, call_id }
            }
            "ACK" => Event::Ack { call_id },
            "BYE" => {
                let known = self.calls.remove(&call_id).is_some();
                self.order.retain(|c| *c != call_id);
                let status = if known { 200 } else { 481 };
                let reason = if known {
                    "OK"
                } else {
                    "Call/Transaction Does Not Exist"
                };
                self.send(respond(req, status, reason, &random_id(8), None));
                Event::Bye { call_id, status }
            }
            "OPTIONS" => {
                self.send(respond(req, 200, "OK", &random_id(8), None));
                Event::Other {
                    method: method.to_owned(),
                    status: 200,
                }
            }
            // A re-INVITE, a CANCEL after the answer, or a request for a dialog that is gone.
            "INVITE" | "CANCEL" | "UPDATE" | "INFO" => {
                let reason = "Call/Transaction Does Not Exist";
                self.send(respond(req, 481, reason, &random_id(8), None));
                Event::Other {
                    method: method.to_owned(),
                    status: 481,
                }
            }
            _ => {
                self.send(respond(req, 405, "Method Not Allowed", &random_id(8), None));
                Event::Other {
                    method: method.to_owned(),
                    status: 405,
                }
            }
        };
        // A program that does not read its events only loses them.
        let _ = self.events.try_send(event);
    }

    /// 180 now, 200 with the SDP answer after the ring (RFC 3261 13.3.1.1, 13.3.1.4).
    fn invite(&mut self, req: &Message, call_id: &str) {
        let tag = random_id(8);
        let contact = format!("<{}>", self.me.contact_uri());
        self.send(respond(req, 180, "Ringing", &tag, Some((&contact, None))));
        let answer = sdp::audio(&self.me.user, sdp::session_id());
        let ok = respond(req, 200, "OK", &tag, Some((&contact, Some(&answer))));
        if self.order.len() >= MAX_CALLS {
            let old = self.order.remove(0);
            self.calls.remove(&old);
        }
        self.calls.insert(call_id.to_owned(), tag);
        self.order.push(call_id.to_owned());
        let (out, ring) = (self.out.clone(), self.ring);
        tokio::spawn(async move {
            tokio::time::sleep(ring).await;
            if let Some(ok) = ok {
                let _ = out.send(ok).await;
            }
        });
    }

    fn send(&self, bytes: Option<Bytes>) {
        if let Some(b) = bytes {
            let _ = self.out.try_send(b);
        }
    }
}

/// A response to `req` with To tag `tag`. With `dialog` = (Contact, body), it is a
/// dialog-creating answer: Record-Route copied in order (RFC 3261 12.1.1), Contact,
/// and the SDP body if any.
fn respond(
    req: &Message,
    status: u16,
    reason: &str,
    tag: &str,
    dialog: Option<(&str, Option<&str>)>,
) -> Option<Bytes> {
    let reason = HeaderValue::try_from(reason).ok()?;
    let tag = Token::try_from(tag).ok()?;
    let mut b = Builder::response_to(req, status, &reason, Some(&tag)).ok()?;
    if let Some((contact, body)) = dialog {
        for f in req.find(HeaderName::RecordRoute) {
            let v = HeaderValue::try_from(req.value_str(f).ok()?).ok()?;
            b.push(HeaderName::RecordRoute, &v).ok()?;
        }
        b.push(HeaderName::Contact, &HeaderValue::try_from(contact).ok()?)
            .ok()?;
        if let Some(body) = body {
            let ct = HeaderValue::from_static(sdp::CONTENT_TYPE);
            b = b.body(&ct, body.as_bytes());
        }
    }
    Some(b.finish())
}
