//! The wording of the server's log: one line for each decision of the edge and for each
//! connection event, every one of the shape `client=… aor=… outcome=… reason=…`, so that
//! a reader (or a test) can grep a run. The server writes its lines here and nowhere
//! else, so the vocabulary stays in one place.

use std::fmt::{self, Display};
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use sip_oauth::edge::{Admitted, DropReason, FlowId, Outcome, RejectCause};
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
        f.write_str(&aor_of(self.0))
    }
}

/// The address of record of a message, for the log (its To URI).
pub(super) fn aor_of(bytes: &[u8]) -> String {
    let Ok(msg) = Message::parse(Bytes::copy_from_slice(bytes)) else {
        return "-".to_owned();
    };
    msg.required_str(HeaderName::To)
        .ok()
        .and_then(|(to, _)| {
            NameAddr::parse(to)
                .ok()
                .map(|a| a.uri().as_str().to_owned())
        })
        .unwrap_or_else(|| "-".to_owned())
}

fn cause_text(cause: &RejectCause) -> String {
    match cause {
        RejectCause::NoToken => "no token".to_owned(),
        RejectCause::BadToken(e) => e.to_string(),
        RejectCause::Invalid(e) => e.to_string(),
        RejectCause::IdentityMismatch => "AOR not among the token's IMPUs".to_owned(),
        RejectCause::OutlivesToken => "registration would outlive the token".to_owned(),
        RejectCause::TooManyHops => "Max-Forwards exhausted".to_owned(),
        RejectCause::UnsupportedUriScheme => "unsupported URI scheme".to_owned(),
        RejectCause::BadExtension => "unsupported extension required".to_owned(),
        RejectCause::Malformed(e) => format!("malformed: {e}"),
        other => format!("{other:?}"),
    }
}

fn drop_text(reason: &DropReason) -> String {
    match reason {
        DropReason::Unparseable(e) => format!("unparseable: {e}"),
        other => format!("{other:?}"),
    }
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
pub(super) fn rejected(label: &str, aor: impl Display, outcome: &Outcome, sent: bool) {
    let why = match outcome {
        Outcome::Rejected(r) => format!("{} {} ({})", r.status, r.reason, cause_text(&r.cause)),
        Outcome::Relayed { status, .. } => status.to_string(),
    };
    let gone = if sent { "" } else { " (client gone)" };
    line(label, aor, "rejected", format_args!("{why}{gone}"));
}

/// A client's request other than REGISTER was refused with a 501.
pub(super) fn not_register(label: &str, aor: impl Display) {
    line(label, aor, "refused", "not a REGISTER (501)");
}

/// A client's message was dropped without an answer.
pub(super) fn client_dropped(label: &str, aor: impl Display, reason: &DropReason) {
    line(label, aor, "dropped", drop_text(reason));
}

/// The status of a response relayed from the core, and what its registration holds.
fn relayed_status(outcome: &Outcome) -> (u16, String) {
    match outcome {
        Outcome::Relayed {
            status,
            registered: Some(r),
        } => (
            *status,
            format!(
                " service-route={} bindings={}",
                r.service_route.join(","),
                r.contacts.len()
            ),
        ),
        Outcome::Relayed { status, .. } => (*status, String::new()),
        Outcome::Rejected(r) => (r.status, String::new()),
    }
}

/// A response from the core (for AOR `aor`) was relayed to client `label`.
pub(super) fn relayed(label: &str, aor: &str, outcome: &Outcome) {
    let (status, detail) = relayed_status(outcome);
    line(
        label,
        aor,
        "relayed",
        format_args!("core answered {status}{detail}"),
    );
}

/// A response from the core (for AOR `aor`) was dropped: the client of `flow` is gone.
pub(super) fn relay_client_gone(flow: FlowId, aor: &str, outcome: &Outcome) {
    let (status, _) = relayed_status(outcome);
    line(
        format_args!("flow:{}", flow.0),
        aor,
        "dropped",
        format_args!("client gone (core answered {status})"),
    );
}

/// A message from the core was dropped.
pub(super) fn core_dropped(reason: &DropReason) {
    line("core", "-", "dropped", drop_text(reason));
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
