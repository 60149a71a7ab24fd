//! The wording of the server's log: one `tracing` event for each decision on a message
//! and for each connection event, every one with the fields `flow`, `peer`, `dir`,
//! `msg`, `aor`, `impi`, `outcome` and `reason` (a token is never among them), so that a
//! reader (or a test) can filter a run, as text or as JSON. `dir` says which way the
//! message went (`client>core`, `core>client`, `edge>client` for the edge's own answer,
//! `edge>core`, `client>edge` or `core>edge` for what stopped at the edge). The server
//! writes its events here and nowhere else, so the vocabulary stays in one place.

use std::fmt::{self, Display};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use sip_oauth::edge::{Admitted, FlowId, Registered, Rejection};
use sip_oauth::message::header::{CSeq, NameAddr};
use sip_oauth::message::{HeaderName, Message};

use super::raw_fields;

/// The target every event is written under (`RUST_LOG=epcscf=debug` selects them).
const TARGET: &str = "epcscf";

/// Which way a message went.
#[derive(Debug, Clone, Copy)]
pub(super) enum Dir {
    /// From a client, on to the core.
    ClientToCore,
    /// From the core, on to a client.
    CoreToClient,
    /// The edge's own answer to a client.
    EdgeToClient,
    /// The edge's own answer to the core.
    EdgeToCore,
    /// From a client, stopped at the edge.
    FromClient,
    /// From the core, stopped at the edge.
    FromCore,
    /// Not a message: a connection event.
    None,
}

impl Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dir::ClientToCore => "client>core",
            Dir::CoreToClient => "core>client",
            Dir::EdgeToClient => "edge>client",
            Dir::EdgeToCore => "edge>core",
            Dir::FromClient => "client>edge",
            Dir::FromCore => "core>edge",
            Dir::None => "-",
        })
    }
}

/// Who an event is about: the client flow, when there is one, and the peer's name
/// (`ws:ADDR`, `tcp:ADDR`, `udp:ADDR`, or `core`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Who<'a> {
    flow: Option<FlowId>,
    peer: &'a str,
}

impl<'a> Who<'a> {
    /// Flow `flow` of peer `peer`.
    pub(super) fn new(flow: Option<FlowId>, peer: &'a str) -> Who<'a> {
        Who { flow, peer }
    }

    /// The peer's name.
    pub(super) fn peer(&self) -> &'a str {
        self.peer
    }

    /// The core, or the edge itself: no client flow.
    pub(super) fn core() -> Who<'static> {
        Who {
            flow: None,
            peer: "core",
        }
    }
}

/// A flow id for the log, `-` when there is none.
struct FlowField(Option<FlowId>);

impl Display for FlowField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(flow) => write!(f, "{}", flow.0),
            None => f.write_str("-"),
        }
    }
}

/// Writes one event at `level`.
macro_rules! event {
    ($level:expr, $who:expr, $dir:expr, $what:expr, $aor:expr, $impi:expr, $outcome:expr, $reason:expr) => {
        tracing::event!(
            target: TARGET,
            $level,
            flow = %FlowField($who.flow),
            peer = %$who.peer,
            dir = %$dir,
            msg = %$what,
            aor = %$aor,
            impi = %$impi,
            outcome = %$outcome,
            reason = %$reason,
        )
    };
}

/// Writes one decision event (info).
fn line(
    who: Who<'_>,
    dir: Dir,
    what: impl Display,
    aor: impl Display,
    outcome: &str,
    reason: impl Display,
) {
    event!(
        tracing::Level::INFO,
        who,
        dir,
        what,
        aor,
        "-",
        outcome,
        reason
    );
}

/// Writes one event about a fault (warn).
fn fault(
    who: Who<'_>,
    dir: Dir,
    what: impl Display,
    aor: impl Display,
    outcome: &str,
    reason: impl Display,
) {
    event!(
        tracing::Level::WARN,
        who,
        dir,
        what,
        aor,
        "-",
        outcome,
        reason
    );
}

/// The AOR of a message, read only when the log line is written.
pub(super) struct LazyAor<'a>(pub(super) &'a [u8]);

impl Display for LazyAor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Message::parse(Bytes::copy_from_slice(self.0)) {
            Ok(msg) => f.write_str(&aor_of(&msg)),
            Err(_) => f.write_str("-"),
        }
    }
}

/// What a message is, for the log: its method, or `status/METHOD` for a response;
/// read only when the log line is written.
pub(super) struct LazyWhat<'a>(pub(super) &'a [u8]);

impl Display for LazyWhat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(msg) = Message::parse(Bytes::copy_from_slice(self.0)) else {
            return f.write_str("-");
        };
        if let Some(m) = msg.method() {
            return f.write_str(m);
        }
        let method = msg
            .required_str(HeaderName::CSeq)
            .ok()
            .and_then(|(c, _)| CSeq::parse(c).ok().map(|c| c.method.to_owned()))
            .unwrap_or_else(|| "-".to_owned());
        write!(f, "{}/{method}", msg.status().unwrap_or(0))
    }
}

/// [`LazyWhat`] of a response the edge has parsed and accepted, `status/METHOD`, with the
/// method read from its CSeq line without parsing the message again (the parse when
/// that line cannot be read).
pub(super) struct ResponseWhat<'a> {
    /// The status code.
    pub(super) status: u16,
    /// The response.
    pub(super) bytes: &'a [u8],
}

impl Display for ResponseWhat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match cseq_method(self.bytes) {
            Some(method) => write!(f, "{}/{method}", self.status),
            None => LazyWhat(self.bytes).fmt(f),
        }
    }
}

/// The method of the first CSeq header line of `bytes` (RFC 3261 20.16: `CSeq: 1 INVITE`;
/// it has no compact form), found by scanning the header lines.
fn cseq_method(bytes: &[u8]) -> Option<&str> {
    let (_, value) = raw_fields::lines(bytes)
        .filter_map(raw_fields::name_value)
        .find(|(name, _)| name.eq_ignore_ascii_case(b"cseq"))?;
    let (_, method) = raw_fields::cseq_parts(value)?;
    std::str::from_utf8(method).ok()
}

/// The address of record of a message, for the log (its To URI).
pub(super) fn aor_of(msg: &Message) -> String {
    msg.required_str(HeaderName::To)
        .ok()
        .and_then(|(to, _)| {
            NameAddr::parse(to)
                .ok()
                .map(|a| a.uri().as_str().to_owned())
        })
        .unwrap_or_else(|| "-".to_owned())
}

/// "sent", or why not.
fn sent_or(outcome: &Result<(), &str>) -> String {
    match outcome {
        Ok(()) => String::new(),
        Err(why) => format!(" ({why})"),
    }
}

/// A client's REGISTER was admitted and forwarded to the core.
pub(super) fn forwarded(who: Who<'_>, admitted: &Admitted) {
    let expires = admitted
        .expires
        .map_or_else(|| "fetch".to_owned(), |e| e.to_string());
    event!(
        tracing::Level::INFO,
        who,
        Dir::ClientToCore,
        "REGISTER",
        admitted.aor(),
        admitted.impi(),
        "forwarded",
        format_args!("token valid expires={expires}")
    );
}

/// A registered client's request went to the core with the identity the edge asserted.
pub(super) fn originated(
    who: Who<'_>,
    what: impl Display,
    aor: impl Display,
    asserted: Option<&str>,
) {
    let why = match asserted {
        Some(id) => format!("asserted {id}"),
        None => "in dialog".to_owned(),
    };
    line(who, Dir::ClientToCore, what, aor, "originated", why);
}

/// A client answered a request the core sent it; the answer went to the core.
pub(super) fn answered(
    who: Who<'_>,
    status: u16,
    what: impl Display,
    aor: impl Display,
    outcome: Result<(), &str>,
) {
    let lost = sent_or(&outcome);
    let outcome = if lost.is_empty() { "answered" } else { "lost" };
    line(
        who,
        Dir::ClientToCore,
        what,
        aor,
        outcome,
        format_args!("client answered {status}{lost}"),
    );
}

/// The edge answered a client's request itself; `sent` is false when the client was gone.
pub(super) fn rejected(
    who: Who<'_>,
    what: impl Display,
    aor: impl Display,
    r: &Rejection,
    sent: bool,
) {
    let why = format!("{} {} ({})", r.status, r.reason, r.cause);
    let gone = if sent { "" } else { " (client gone)" };
    line(
        who,
        Dir::EdgeToClient,
        what,
        aor,
        "rejected",
        format_args!("{why}{gone}"),
    );
}

/// A REGISTER waits for a token verdict (not with the example's validators).
pub(super) fn pending(who: Who<'_>, aor: impl Display) {
    line(
        who,
        Dir::FromClient,
        "REGISTER",
        aor,
        "pending",
        "token check outstanding",
    );
}

/// A message was dropped without an answer.
pub(super) fn dropped(
    who: Who<'_>,
    dir: Dir,
    what: impl Display,
    aor: impl Display,
    reason: impl Display,
) {
    line(who, dir, what, aor, "dropped", reason);
}

/// A response from the core was relayed to client `label`.
pub(super) fn relayed(
    who: Who<'_>,
    what: impl Display,
    aor: impl Display,
    status: u16,
    registered: Option<&Registered>,
) {
    let detail = RegisteredDetail(registered);
    line(
        who,
        Dir::CoreToClient,
        what,
        aor,
        "relayed",
        format_args!("core answered {status}{detail}"),
    );
}

/// What a relayed 200 to a REGISTER registered, for the log (nothing for other
/// responses): ` service-route=A,B bindings=N`.
struct RegisteredDetail<'a>(Option<&'a Registered>);

impl Display for RegisteredDetail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(r) = self.0 else { return Ok(()) };
        f.write_str(" service-route=")?;
        for (i, route) in r.service_route().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(route)?;
        }
        write!(f, " bindings={}", r.contacts().count())
    }
}

/// A request from the core was delivered to client `label` (RFC 5626 5.3).
pub(super) fn delivered(who: Who<'_>, what: impl Display, aor: impl Display) {
    line(
        who,
        Dir::CoreToClient,
        what,
        aor,
        "delivered",
        "flow token valid",
    );
}

/// The edge answered a request of the core itself (such as 430 Flow Failed).
pub(super) fn refused_for_core(
    what: impl Display,
    aor: impl Display,
    r: &Rejection,
    outcome: Result<(), &str>,
) {
    let lost = sent_or(&outcome);
    line(
        Who::core(),
        Dir::EdgeToCore,
        what,
        aor,
        "rejected",
        format_args!("{} {} ({}){lost}", r.status, r.reason, r.cause),
    );
}

/// A message for the client of `flow` was dropped: the client is gone.
pub(super) fn client_gone(flow: FlowId, what: impl Display, aor: impl Display) {
    line(
        Who::new(Some(flow), "gone"),
        Dir::FromCore,
        what,
        aor,
        "dropped",
        "client gone",
    );
}

/// A client connection closed; `ended` registrations ended with it.
pub(super) fn flow_closed(who: Who<'_>, ended: usize) {
    line(
        who,
        Dir::None,
        "-",
        "-",
        "closed",
        format_args!("connection closed, {ended} registration(s) ended"),
    );
}

/// The periodic sweep removed `n` ended registrations.
pub(super) fn swept(n: usize, left: usize) {
    line(
        Who::new(None, "edge"),
        Dir::None,
        "-",
        "-",
        "swept",
        format_args!("{n} ended registration(s) removed, {left} held"),
    );
}

/// The TCP connection to the core could not be made; the next attempt is in `retry`.
pub(super) fn core_unreachable(to: SocketAddr, retry: Duration) {
    fault(
        Who::core(),
        Dir::None,
        "-",
        "-",
        "unreachable",
        format_args!(
            "cannot connect to {to}, next attempt in {} ms",
            retry.as_millis()
        ),
    );
}

/// The TCP connection to the core was made.
pub(super) fn core_connected(to: SocketAddr) {
    line(
        Who::core(),
        Dir::None,
        "-",
        "-",
        "connected",
        format_args!("connected to {to}"),
    );
}

/// The TCP connection to the core was lost.
pub(super) fn core_lost(to: SocketAddr) {
    fault(
        Who::core(),
        Dir::None,
        "-",
        "-",
        "lost",
        format_args!("connection to {to} lost"),
    );
}

/// The edge answered a client request 503 as the core could not take it (`why`);
/// `sent` is false when the client was gone or the request could not be answered.
pub(super) fn unavailable(who: Who<'_>, request: &Bytes, why: &str, sent: bool) {
    let gone = if sent { "" } else { " (not sent)" };
    fault(
        who,
        Dir::EdgeToClient,
        LazyWhat(request),
        LazyAor(request),
        "unavailable",
        format_args!("503 Service Unavailable: {why}{gone}"),
    );
}

/// The server stops: `what` it is doing now.
pub(super) fn stopping(what: &str) {
    line(
        Who::new(None, "edge"),
        Dir::None,
        "-",
        "-",
        "stopping",
        what,
    );
}

/// A WebSocket handshake was refused.
pub(super) fn handshake_refused(who: Who<'_>, e: impl Display) {
    line(who, Dir::None, "-", "-", "refused", e);
}

/// A TCP client's connection was closed because its stream could not be framed.
pub(super) fn framing_closed(who: Who<'_>, e: impl Display) {
    line(
        who,
        Dir::None,
        "-",
        "-",
        "closed",
        format_args!("framing: {e}"),
    );
}
