//! The response path: a response from the core comes back through the edge's Via,
//! which names the client flow (RFC 3261 16.7 steps 3 and 9, handled statelessly as
//! in 16.11), and is filtered as a P-CSCF filters what goes toward the UE (TS 24.229
//! 5.2.2): no `ck`/`ik` in challenges, no charging headers, no Digest challenge the
//! bearer client cannot answer, and no 423 the token cannot satisfy.

use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;

use super::aor::aor_key;
use super::config::Config;
use super::decision::{DropReason, Registered, ResponseDecision};
use super::reply::bearer_challenge;
use crate::message::header::{AuthScheme, Challenge};
use crate::message::{
    Builder, Editor, HeaderName, HeaderValue, Message, ResponseFacts, Violation, WriteError,
    check_response,
};
use crate::validate::BearerError;

/// The reason phrase of the answer that replaces a core's Digest/AKA challenge.
pub(crate) const CORE_CHALLENGE_REASON: &str =
    "Forbidden (the home network asked for credentials a bearer client cannot give)";
/// The `error_description` of the 401 that replaces a 423 the token cannot satisfy.
pub(crate) const MIN_EXPIRES_DESCRIPTION: &str =
    "the token expires before the registrar's shortest registration interval";

/// A challenge without its `ck` and `ik` auth-params (TS 24.229 5.2.2: the integrity
/// and cipher keys of an AKA challenge are for the P-CSCF, never the UE). `None` when
/// the challenge has neither; `Some(None)` when it does not parse and so cannot be
/// shown to be free of them (the field is then removed).
fn without_keys(value: &str) -> Option<Option<HeaderValue>> {
    let Ok(challenge) = Challenge::parse(value) else {
        return Some(None);
    };
    let keys = |name: &str| name.eq_ignore_ascii_case("ck") || name.eq_ignore_ascii_case("ik");
    if !challenge.params().any(|p| keys(p.name)) {
        return None;
    }
    let mut out = String::with_capacity(value.len());
    out.push_str(challenge.scheme_str());
    let mut first = true;
    for p in challenge.params().filter(|p| !keys(p.name)) {
        out.push_str(if first { " " } else { ", " });
        first = false;
        out.push_str(value.get(p.range.clone()).unwrap_or_default());
    }
    Some(HeaderValue::new("challenge", &out).ok())
}

/// What the filtered response becomes toward the client.
enum Answer {
    /// Relayed (with the edits made).
    Relay,
    /// Replaced by the edge's own answer with this status and reason, and a Bearer
    /// challenge with this error and description when given.
    Replace(u16, &'static str, Option<(BearerError, &'static str)>),
}

/// What the client gets instead of the core's response, if anything.
fn answer(
    msg: &Message,
    status: u16,
    token_expires: Option<u64>,
    now: Option<SystemTime>,
) -> Answer {
    match status {
        // A Bearer client cannot answer a Digest or AKA challenge: relaying it would
        // have the client resend its token in a loop (and the challenge is the core
        // refusing the edge's Annex U assertion, which the client cannot fix).
        401 | 407 => {
            let name = if status == 401 {
                HeaderName::WwwAuthenticate
            } else {
                HeaderName::ProxyAuthenticate
            };
            let bearer = msg.find(name).any(|f| {
                msg.value_str(f)
                    .ok()
                    .and_then(|v| Challenge::parse(v).ok())
                    .is_some_and(|c| c.scheme() == AuthScheme::Bearer)
            });
            if bearer {
                Answer::Relay
            } else {
                Answer::Replace(403, CORE_CHALLENGE_REASON, None)
            }
        }
        // RFC 3261 10.3: 423 asks for at least Min-Expires. If the token ends sooner,
        // the capped retry would get the same 423: the client needs a fresh token.
        423 => {
            let (Some(expires), Some(now)) = (token_expires, now) else {
                return Answer::Relay;
            };
            let min = msg
                .headers()
                .iter()
                .find(|h| msg.name_bytes(h).eq_ignore_ascii_case(b"Min-Expires"))
                .and_then(|h| msg.value_str(h).ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let now = now
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            match min {
                Some(min) if min > expires.saturating_sub(now) => Answer::Replace(
                    401,
                    "Unauthorized (token expires before the minimum registration interval)",
                    Some((BearerError::InvalidToken, MIN_EXPIRES_DESCRIPTION)),
                ),
                _ => Answer::Relay,
            }
        }
        _ => Answer::Relay,
    }
}

/// The edge's own answer in place of the core's response `popped` (the edge's Via
/// already gone): the same Via, From, To (with the core's tag), Call-ID and CSeq.
fn replace(
    config: &Config,
    popped: Bytes,
    status: u16,
    reason: &str,
    challenge: Option<(BearerError, &str)>,
) -> Result<Bytes, WriteError> {
    let msg = Message::parse_with(popped, &config.limits).map_err(|_| WriteError::Invalid {
        what: "response",
        expected: "a response that parses once the edge's Via is removed",
    })?;
    let reason = HeaderValue::new("reason phrase", reason)?;
    let mut b = Builder::response_to(&msg, status, &reason, Some(&config.to_tag))?;
    if let Some((error, description)) = challenge {
        b.push(
            HeaderName::WwwAuthenticate,
            &bearer_challenge(config, Some(error), Some(description))?,
        )?;
    }
    Ok(b.finish())
}

pub(crate) fn relay(config: &Config, bytes: Bytes, now: Option<SystemTime>) -> ResponseDecision {
    let drop = ResponseDecision::Drop;
    let msg = match Message::parse_with(bytes, &config.limits) {
        Ok(m) => m,
        Err(e) => return drop(DropReason::Unparseable(e)),
    };
    if msg.is_request() {
        return drop(DropReason::WrongDirection);
    }
    // RFC 3261 18.1.2: a response that breaks the rules is discarded.
    let facts = match check_response(&msg) {
        Ok(f) => f,
        Err(v) => return drop(DropReason::MalformedResponse(v)),
    };
    let via = &facts.via;
    // RFC 3261 16.7 step 3: the top Via must be this edge's own sent-by.
    if !super::hop::via_is_own(config, via) {
        return drop(DropReason::NotOurs);
    }
    let branch = match via.via.branch().map(|b| config.codec.verify_branch(b)) {
        Some(Ok(branch)) => branch,
        Some(Err(e)) => return drop(e.into()),
        None => return drop(DropReason::NotOurs),
    };
    // RFC 3261 16.7 step 3: a 100 Trying is not forwarded.
    if facts.status == 100 {
        return drop(DropReason::HopByHop);
    }
    // There must be a Via left for the client (the request had one).
    if via.total < 2 {
        return drop(DropReason::MalformedResponse(Violation::Missing {
            header: "Via",
            offset: msg.head_end(),
        }));
    }
    let mut ed = Editor::new(&msg);
    let removed = super::hop::remove_top_via(&mut ed, &msg, via);
    // TS 24.229 5.2.2: charging headers stay in the network; challenges lose ck and ik.
    let filtered = removed.and_then(|()| {
        for (i, h) in msg.headers().iter().enumerate() {
            if i == via.index {
                continue;
            }
            if super::hop::is_charging(&msg, i) {
                ed.remove(i)?;
            } else if matches!(
                h.name,
                HeaderName::WwwAuthenticate | HeaderName::ProxyAuthenticate
            ) {
                let text = msg.value_str(h).unwrap_or_default();
                match without_keys(text) {
                    None => {}
                    Some(Some(value)) => ed.replace_value(i, &value)?,
                    Some(None) => ed.remove(i)?,
                }
            }
        }
        Ok(())
    });
    let bytes = match filtered.and_then(|()| ed.finish()) {
        Ok(b) => b,
        Err(e) => return drop(DropReason::Write(e)),
    };
    let (bytes, status) = match answer(&msg, facts.status, branch.token_expires, now) {
        Answer::Relay => (bytes, facts.status),
        Answer::Replace(status, reason, challenge) => {
            match replace(config, bytes, status, reason, challenge) {
                Ok(b) => (b, status),
                Err(e) => return drop(DropReason::Write(e)),
            }
        }
    };
    let registered = registered_at(&msg, &facts)
        .and_then(|(aor, key, expires)| Registered::new(msg, aor, key, expires));
    ResponseDecision::Relay {
        flow: branch.flow,
        bytes,
        status,
        registered,
    }
}

/// What the [`Registered`] view over a 2xx to REGISTER needs (TS 24.229 5.2.2.2),
/// read from the facts the checks gave: where the response names the address of
/// record, that AOR's binding form, and the Expires.
type RegisteredAt = (Range<usize>, Option<Box<[u8]>>, Option<u32>);

fn registered_at(msg: &Message, facts: &ResponseFacts<'_>) -> Option<RegisteredAt> {
    if !(200..300).contains(&facts.status) || facts.cseq.value.method != "REGISTER" {
        return None;
    }
    let uri = facts.to.value.uri();
    let aor = uri.as_str();
    let start = (aor.as_ptr() as usize).checked_sub(msg.as_bytes().as_ptr() as usize)?;
    Some((
        start..start + aor.len(),
        aor_key(&uri).map(|k| k[..].into()),
        facts.expires.as_ref().map(|e| e.value),
    ))
}
