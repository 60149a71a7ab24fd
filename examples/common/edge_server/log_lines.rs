//! The wording of the server's log: one line for each hop a message takes through the
//! edge and for each connection event, every one of the shape
//! `client=… dir=… msg=… aor=… outcome=… reason=…`, so that a reader (or a test) can
//! grep a run. `dir` says which way the message went (`client>core`, `core>client`,
//! `edge>client` for the edge's own answer, `edge>core`, `client>edge` or `core>edge`
//! for what stopped at the edge). The server writes its lines here and nowhere else, so
//! the vocabulary stays in one place.

use std::fmt::{self, Display};
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use sip_oauth::edge::{Admitted, FlowId, Registered, Rejection};
use sip_oauth::message::header::{CSeq, NameAddr};
use sip_oauth::message::{HeaderName, Message};

use super::super::log;

/// The role name every line is written under.
const ROLE: &str = "epcscf";

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

/// Writes one line.
fn line(
    client: impl Display,
    dir: Dir,
    what: impl Display,
    aor: impl Display,
    outcome: &str,
    reason: impl Display,
) {
    log::line(
        ROLE,
        format_args!(
            "client={client} dir={dir} msg={what} aor={aor} outcome={outcome} reason={reason}"
        ),
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
fn sent_or(outcome: &io::Result<()>) -> String {
    match outcome {
        Ok(()) => String::new(),
        Err(e) => format!(" (core unreachable: {e})"),
    }
}

/// A client's REGISTER was admitted and forwarded to the core.
pub(super) fn forwarded(label: &str, admitted: &Admitted) {
    let expires = admitted
        .expires
        .map_or_else(|| "fetch".to_owned(), |e| e.to_string());
    line(
        label,
        Dir::ClientToCore,
        "REGISTER",
        admitted.aor(),
        "forwarded",
        format_args!("token valid impi={} expires={expires}", admitted.impi()),
    );
}

/// An admitted request could not be handed to the core.
pub(super) fn core_send_failed(label: &str, aor: impl Display, e: &io::Error) {
    line(
        label,
        Dir::ClientToCore,
        "REGISTER",
        aor,
        "lost",
        format_args!("core unreachable: {e}"),
    );
}

/// A registered client's request went to the core with the identity the edge asserted.
pub(super) fn originated(
    label: &str,
    what: impl Display,
    aor: impl Display,
    asserted: Option<&str>,
    outcome: io::Result<()>,
) {
    let why = match asserted {
        Some(id) => format!("asserted {id}"),
        None => "in dialog".to_owned(),
    };
    let lost = sent_or(&outcome);
    let outcome = if lost.is_empty() {
        "originated"
    } else {
        "lost"
    };
    line(
        label,
        Dir::ClientToCore,
        what,
        aor,
        outcome,
        format_args!("{why}{lost}"),
    );
}

/// A client answered a request the core sent it; the answer went to the core.
pub(super) fn answered(
    label: &str,
    status: u16,
    what: impl Display,
    aor: impl Display,
    outcome: io::Result<()>,
) {
    let lost = sent_or(&outcome);
    let outcome = if lost.is_empty() { "answered" } else { "lost" };
    line(
        label,
        Dir::ClientToCore,
        what,
        aor,
        outcome,
        format_args!("client answered {status}{lost}"),
    );
}

/// The edge answered a client's request itself; `sent` is false when the client was gone.
pub(super) fn rejected(
    label: &str,
    what: impl Display,
    aor: impl Display,
    r: &Rejection,
    sent: bool,
) {
    let why = format!("{} {} ({})", r.status, r.reason, r.cause);
    let gone = if sent { "" } else { " (client gone)" };
    line(
        label,
        Dir::EdgeToClient,
        what,
        aor,
        "rejected",
        format_args!("{why}{gone}"),
    );
}

/// A REGISTER waits for a token verdict (not with the example's validators).
pub(super) fn pending(label: &str, aor: impl Display) {
    line(
        label,
        Dir::FromClient,
        "REGISTER",
        aor,
        "pending",
        "token check outstanding",
    );
}

/// A message was dropped without an answer.
pub(super) fn dropped(
    label: &str,
    dir: Dir,
    what: impl Display,
    aor: impl Display,
    reason: impl Display,
) {
    line(label, dir, what, aor, "dropped", reason);
}

/// A response from the core was relayed to client `label`.
pub(super) fn relayed(
    label: &str,
    what: impl Display,
    aor: &str,
    status: u16,
    registered: Option<&Registered>,
) {
    let detail = registered.map_or_else(String::new, |r| {
        format!(
            " service-route={} bindings={}",
            r.service_route.join(","),
            r.contacts.len()
        )
    });
    line(
        label,
        Dir::CoreToClient,
        what,
        aor,
        "relayed",
        format_args!("core answered {status}{detail}"),
    );
}

/// A request from the core was delivered to client `label` (RFC 5626 5.3).
pub(super) fn delivered(label: &str, what: impl Display, aor: impl Display) {
    line(
        label,
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
    outcome: io::Result<()>,
) {
    let lost = sent_or(&outcome);
    line(
        "core",
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
        format_args!("flow:{}", flow.0),
        Dir::FromCore,
        what,
        aor,
        "dropped",
        "client gone",
    );
}

/// A client connection closed; `ended` registrations ended with it.
pub(super) fn flow_closed(label: &str, ended: usize) {
    line(
        label,
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
        "edge",
        Dir::None,
        "-",
        "-",
        "swept",
        format_args!("{n} ended registration(s) removed, {left} held"),
    );
}

/// The TCP connection to the core could not be made.
pub(super) fn core_unreachable(to: SocketAddr) {
    line(
        "core",
        Dir::None,
        "-",
        "-",
        "lost",
        format_args!("cannot connect to {to}"),
    );
}

/// A WebSocket handshake was refused.
pub(super) fn handshake_refused(label: &str, e: impl Display) {
    line(label, Dir::None, "-", "-", "refused", e);
}

/// A TCP client's connection was closed because its stream could not be framed.
pub(super) fn framing_closed(label: &str, e: impl Display) {
    line(
        label,
        Dir::None,
        "-",
        "-",
        "closed",
        format_args!("framing: {e}"),
    );
}
