//! The edge's own 503 Service Unavailable (RFC 3261 21.5.4), for a client request it
//! would forward while the core cannot take it: the link is down, its queue is full, or
//! the connection was lost before the core answered. Retry-After (RFC 3261 20.33) tells
//! the client when to try again, so a core outage is answered instead of swallowed.
//!
//! [`InFlight`] remembers the requests sent to the core until the core answers them, so
//! that a lost TCP connection answers every one, and a core that stays silent (over UDP
//! the only sign of it being down) is answered for after [`NO_ANSWER_AFTER`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sip_oauth::edge::FlowId;
use sip_oauth::message::{Builder, HeaderValue, Message, Token};

use super::Shared;
use super::log_lines::{self, Who};
use super::raw_fields;

/// Seconds a client is told to wait before retrying.
pub(super) const RETRY_AFTER: &str = "5";
/// Requests remembered at most; past it new ones are sent untracked (a lost connection
/// then leaves them to the client's own timer, RFC 3261 17.1.2.2 Timer F).
const MAX_IN_FLIGHT: usize = 16_384;
/// How long the core gets to answer (a provisional response counts) before the edge
/// answers 503 itself: well inside the client's own Timer F of 64*T1 = 32 s (RFC 3261
/// 17.1.2.2), so the client hears why instead of timing out. The edge is stateless and
/// does not retransmit; over UDP a lost datagram is answered this way too.
pub(super) const NO_ANSWER_AFTER: Duration = Duration::from_secs(8);
/// How long an entry is kept at most when the table is full.
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
type Key = (Bytes, u32, Bytes);

/// The Call-ID and CSeq of a message, read from its header lines without parsing it
/// whole (this runs for every request sent to the core and every response back).
/// Folded values and repeated fields are not looked for: such a message simply goes
/// untracked, or is never settled and forgotten after [`FORGET_AFTER`].
fn key_of(bytes: &Bytes) -> Option<Key> {
    let (mut call_id, mut cseq) = (None, None);
    for line in raw_fields::lines(bytes) {
        // Only Call-ID, its compact form `i`, and CSeq are looked for.
        if !matches!(line[0], b'c' | b'C' | b'i' | b'I') {
            continue;
        }
        let Some((name, value)) = raw_fields::name_value(line) else {
            continue;
        };
        // RFC 3261 7.3.3: `i` is Call-ID's compact form; CSeq has none.
        if name.eq_ignore_ascii_case(b"call-id") || name.eq_ignore_ascii_case(b"i") {
            call_id = Some(bytes.slice_ref(value));
        } else if name.eq_ignore_ascii_case(b"cseq") {
            let (seq, method) = raw_fields::cseq_parts(value)?;
            cseq = Some((seq, bytes.slice_ref(method)));
        }
        if call_id.is_some() && cseq.is_some() {
            break;
        }
    }
    let (seq, method) = cseq?;
    Some((call_id?, seq, method))
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

    /// Forgets `a` again (it could not be sent after all).
    pub(super) fn forget(&self, a: &Awaiting) {
        if let Some(key) = key_of(&a.request)
            && let Ok(mut m) = self.map.lock()
        {
            m.remove(&key);
        }
    }

    /// The requests the core has not answered within `within`, forgotten here.
    pub(super) fn take_older(&self, within: Duration) -> Vec<Awaiting> {
        let Ok(mut m) = self.map.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let old: Vec<Key> = m
            .iter()
            .filter(|(_, (_, at))| now.duration_since(*at) >= within)
            .map(|(k, _)| k.clone())
            .collect();
        old.iter()
            .filter_map(|k| m.remove(k))
            .map(|(a, _)| a)
            .collect()
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

/// Answers with 503 every request the core left unanswered for [`NO_ANSWER_AFTER`];
/// runs until the server stops.
pub(super) async fn no_answer_loop(shared: std::sync::Arc<Shared>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for a in shared.in_flight.take_older(NO_ANSWER_AFTER) {
            answer(&shared, a, "no answer from the core").await;
        }
    }
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
