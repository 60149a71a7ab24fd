//! The edge's own 503 Service Unavailable (RFC 3261 21.5.4), for a client request it
//! would forward while the core cannot take it: the link is down, its queue is full, or
//! the connection was lost before the core answered. Retry-After (RFC 3261 20.33) tells
//! the client when to try again, so a core outage is answered instead of swallowed.
//!
//! [`InFlight`] remembers the requests written to the current TCP connection to the core
//! until the core answers them, so that a lost connection answers every one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_oauth::edge::FlowId;
use sip_oauth::message::header::CSeq;
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};

use super::Shared;
use super::log_lines::{self, Who};

/// Seconds a client is told to wait before retrying.
pub(super) const RETRY_AFTER: &str = "5";
/// Requests remembered at most; past it new ones are sent untracked (a lost connection
/// then leaves them to the client's own timer, RFC 3261 17.1.2.2 Timer F).
const MAX_IN_FLIGHT: usize = 16_384;
/// How long an unanswered request is remembered: Timer F, 64*T1 (RFC 3261 17.1.2.2).
const FORGET_AFTER: Duration = Duration::from_secs(32);

/// A client request sent to the core, kept so the edge can answer it itself.
#[derive(Debug, Clone)]
pub(super) struct Awaiting {
    /// The client flow to answer on.
    pub(super) flow: FlowId,
    /// The client's request as it arrived (its Via, From, To, Call-ID and CSeq are copied).
    pub(super) request: Bytes,
    /// The client's name in the log.
    pub(super) peer: String,
}

impl Awaiting {
    /// What is kept for `request` from `flow`; `None` for an ACK, which is never answered
    /// (RFC 3261 17.1.1.1).
    pub(super) fn new(flow: FlowId, request: &Bytes, peer: &str) -> Option<Awaiting> {
        (!request.starts_with(b"ACK ")).then(|| Awaiting {
            flow,
            request: request.clone(),
            peer: peer.to_owned(),
        })
    }
}

/// Call-ID and CSeq: what a response shares with its request (RFC 3261 8.2.6.2) and the
/// edge leaves as the client wrote them.
type Key = (String, u32, String);

fn key_of(bytes: &Bytes) -> Option<Key> {
    let msg = Message::parse(bytes.clone()).ok()?;
    let (call_id, _) = msg.required_str(HeaderName::CallId).ok()?;
    let (cseq, _) = msg.required_str(HeaderName::CSeq).ok()?;
    let cseq = CSeq::parse(cseq).ok()?;
    Some((call_id.to_owned(), cseq.seq, cseq.method.to_owned()))
}

/// The requests written to the core's TCP connection and not answered yet.
#[derive(Default)]
pub(super) struct InFlight {
    map: Mutex<HashMap<Key, (Awaiting, Instant)>>,
}

impl InFlight {
    /// Remembers `a` until the core answers it.
    pub(super) fn insert(&self, a: Awaiting) {
        let Some(key) = key_of(&a.request) else {
            return;
        };
        let Ok(mut m) = self.map.lock() else { return };
        if m.len() >= MAX_IN_FLIGHT {
            let now = Instant::now();
            m.retain(|_, (_, at)| now.duration_since(*at) < FORGET_AFTER);
            if m.len() >= MAX_IN_FLIGHT {
                return;
            }
        }
        m.insert(key, (a, Instant::now()));
    }

    /// A response from the core: its request needs no answer from the edge any more
    /// (a provisional response too: the core has it, RFC 3261 17.1.1.2 Timer B stops).
    pub(super) fn settle(&self, response: &Bytes) {
        if self.is_empty() {
            return;
        }
        if let Some(key) = key_of(response)
            && let Ok(mut m) = self.map.lock()
        {
            m.remove(&key);
        }
    }

    /// Everything not answered, forgotten here (the connection carrying it was lost).
    pub(super) fn take_all(&self) -> Vec<Awaiting> {
        let Ok(mut m) = self.map.lock() else {
            return Vec::new();
        };
        m.drain().map(|(_, (a, _))| a).collect()
    }

    /// Whether no request awaits an answer.
    pub(super) fn is_empty(&self) -> bool {
        self.map.lock().map_or(true, |m| m.is_empty())
    }
}

/// The 503 for `request`, or `None` when it cannot be answered (not parseable).
fn build(request: &Bytes) -> Option<Bytes> {
    let msg = Message::parse(request.clone()).ok()?;
    let reason = HeaderValue::from_static("Service Unavailable");
    let retry = HeaderValue::from_static(RETRY_AFTER);
    let b = Builder::response_to(&msg, 503, &reason, Some(&Token::from_static("ep"))).ok()?;
    Some(
        b.header(Token::from_static("Retry-After"), &retry)
            .ok()?
            .finish(),
    )
}

/// Answers `a` with 503 Service Unavailable on its flow; `why` says why the core could
/// not take it.
pub(super) async fn answer(shared: &Shared, a: Awaiting, why: &str) {
    shared.metrics.refused("core_unavailable");
    let who = Who::new(Some(a.flow), &a.peer);
    let Some(bytes) = build(&a.request) else {
        log_lines::unavailable(who, &a.request, why, false);
        return;
    };
    let sent = shared.to_client(a.flow, bytes).await.is_some();
    log_lines::unavailable(who, &a.request, why, sent);
}
