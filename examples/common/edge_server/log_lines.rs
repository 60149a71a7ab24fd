//! The wording of the server's log: one line for each decision of the edge and for each
//! connection event, every one of the shape `client=… aor=… outcome=… reason=…`, so that
//! a reader (or a test) can grep a run. The server writes its lines here and nowhere
//! else, so the vocabulary stays in one place.

use std::fmt::{self, Display};
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use sip_oauth::edge::{Admitted, DropReason, FlowId, Registered, Rejection};
use sip_oauth::message::header::NameAddr;
use sip_oauth::message::{HeaderName, Message};

use super::super::log;

/// The role name every line is written under.
const ROLE: &str = "epcscf";

/// Writes `client={client} aor={aor} outcome={outcome} reason={reason}`.
fn line(client: impl Display, aor: impl Display, outcome: &str, reason: impl Display) {
    log::line(
        ROLE,
        format_args!("client={client} aor={aor} outcome={outcome} reason={reason}"),
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

/// A client's REGISTER was admitted and forwarded to the core.
pub(super) fn forwarded(label: &str, admitted: &Admitted) {
    let expires = admitted
        .expires
        .map_or_else(|| "fetch".to_owned(), |e| e.to_string());
    line(
        label,
        &admitted.aor,
        "forwarded",
        format_args!("token valid impi={} expires={expires}", admitted.impi),
    );
}

/// An admitted request could not be handed to the core.
pub(super) fn core_send_failed(label: &str, aor: impl Display, e: &io::Error) {
    line(label, aor, "lost", format_args!("core unreachable: {e}"));
}

/// The edge answered a client's request itself; `sent` is false when the client was gone.
pub(super) fn rejected(label: &str, aor: impl Display, r: &Rejection, sent: bool) {
    let why = format!("{} {} ({})", r.status, r.reason, r.cause);
    let gone = if sent { "" } else { " (client gone)" };
    line(label, aor, "rejected", format_args!("{why}{gone}"));
}

/// A client's request other than REGISTER was refused with a 501.
pub(super) fn not_register(label: &str, aor: impl Display) {
    line(label, aor, "refused", "not a REGISTER (501)");
}

/// A client's message was dropped without an answer.
pub(super) fn client_dropped(label: &str, aor: impl Display, reason: &DropReason) {
    line(label, aor, "dropped", reason);
}

/// A response from the core (for AOR `aor`) was relayed to client `label`.
pub(super) fn relayed(label: &str, aor: &str, status: u16, registered: Option<&Registered>) {
    let detail = registered.map_or_else(String::new, |r| {
        format!(
            " service-route={} bindings={}",
            r.service_route.join(","),
            r.contacts.len()
        )
    });
    line(
        label,
        aor,
        "relayed",
        format_args!("core answered {status}{detail}"),
    );
}

/// A response from the core (for AOR `aor`) was dropped: the client of `flow` is gone.
pub(super) fn relay_client_gone(flow: FlowId, aor: &str, status: u16) {
    line(
        format_args!("flow:{}", flow.0),
        aor,
        "dropped",
        format_args!("client gone (core answered {status})"),
    );
}

/// A message from the core was dropped.
pub(super) fn core_dropped(reason: &DropReason) {
    line("core", "-", "dropped", reason);
}

/// The TCP connection to the core could not be made.
pub(super) fn core_unreachable(to: SocketAddr) {
    line("core", "-", "lost", format_args!("cannot connect to {to}"));
}

/// A WebSocket handshake was refused.
pub(super) fn handshake_refused(label: &str, e: impl Display) {
    line(label, "-", "refused", e);
}

/// A TCP client's connection was closed because its stream could not be framed.
pub(super) fn framing_closed(label: &str, e: impl Display) {
    line(label, "-", "closed", format_args!("framing: {e}"));
}
