//! The REGISTER procedure of the eP-CSCF (TS 24.371 WIC registration with web
//! credentials; TS 24.229 5.2.2; TS 33.203 Annex U; RFC 3261 10.3 and 16.3), as the
//! stages it runs, each a function with a named input and output:
//!
//! | stage | file | in | out |
//! | --- | --- | --- | --- |
//! | request facts (RFC 3261 validation) | [`crate::message::check`] | [`Message`] | [`RequestFacts`] |
//! | the token taken out | `take_token.rs` | [`Message`], [`Inbound`] | [`Found`] |
//! | the verdict on it | `verdict.rs` | [`Found`], a [`Validator`] or a given verdict | [`Authorization`] |
//! | admission: the identity against the token, the lifetime | `admission.rs` | facts, [`Authorization`] | [`Admission`] |
//! | the forwarded request (Via, Path, ..., the Annex U header of `annex_u.rs`) | `forward.rs` | all of the above | bytes |

mod admission;
mod annex_u;
mod forward;
mod take_token;
mod verdict;

use std::sync::Arc;

use bytes::Bytes;

pub use annex_u::annex_u_authorization;
pub(crate) use verdict::Source;

use super::aor::aor_key;
use super::config::Config;
use super::decision::{Admitted, DropReason, RejectCause};
use super::flow_token::PathText;
use super::inbound::Inbound;
use super::registrations;
use crate::message::{HostPort, Message, RequestFacts, check_proxy_request};
use crate::token::Found;
use crate::validate::Authorization;
use admission::Admission;

/// Where the procedure stopped, when it did not produce a request for the core.
pub(crate) enum Stop {
    /// Answer the client with the edge's own error response.
    Reject(RejectCause),
    /// Send nothing.
    Drop(DropReason),
    /// The validator answers later; the token it must judge.
    Later(String),
}

impl From<RejectCause> for Stop {
    fn from(cause: RejectCause) -> Stop {
        Stop::Reject(cause)
    }
}

/// What the stages before the forwarded request established: its input.
#[derive(Clone, Copy)]
pub(crate) struct Established<'a, 'm> {
    /// The request's facts (RFC 3261 validation).
    pub facts: &'a RequestFacts<'m>,
    /// The home domain the Request-URI names.
    pub home: &'a HostPort,
    /// The client's token and where it was.
    pub token: &'a Found<'m>,
    /// What the token grants.
    pub auth: &'a Authorization,
    /// Admission's lifetimes.
    pub admission: &'a Admission<'m>,
    /// The Path token (bound to the flow, the epoch and the AOR), as written.
    pub path: &'a PathText,
}

/// The REGISTER forwarded to the core, and who was admitted.
pub(crate) struct Forwarded {
    pub bytes: Bytes,
    pub admitted: Admitted,
}

/// Runs the procedure on a REGISTER that passed the proxy checks.
pub(crate) fn run(
    config: &Config,
    registrations: &registrations::Registrations,
    msg: &Message,
    facts: &RequestFacts<'_>,
    inbound: &Inbound<'_>,
    source: Source<'_>,
) -> Result<Forwarded, Stop> {
    let home = admission::served(config, facts)?;
    let token = take_token::take(config, msg, inbound)?;
    let auth = verdict::judge(source, &token, inbound.now)?;
    // The AOR's binding form, once: admission, the Path token and the registration
    // use it. A refresh of the AOR as it was written reuses the form and the route
    // tokens held with the registration.
    let to = facts.to.value.uri();
    let (aor_key, held) = match registrations.held(inbound.flow, to.as_str()) {
        Some((key, routes)) => (Some(key), Some(routes)),
        None => (aor_key(&to), None),
    };
    let admission = admission::admit(config, facts, aor_key.as_deref(), &auth, inbound.now)?;
    let aor_key = aor_key.ok_or(Stop::Drop(DropReason::Write(
        crate::message::WriteError::Invalid {
            what: "To",
            expected: "a sip, sips or tel address of record",
        },
    )))?;
    let routes = held
        .or_else(|| registrations.route_tokens(inbound.flow, &aor_key))
        .unwrap_or_else(|| config.codec.route_tokens(inbound.flow, &aor_key));
    let established = Established {
        path: &routes.path_text,
        facts,
        home,
        token: &token,
        auth: &auth,
        admission: &admission,
    };
    let bytes = forward::build(config, msg, &established, inbound)
        .map_err(|e| Stop::Drop(DropReason::Write(e)))?;
    forward::refuse_leak(&bytes, &token)?;
    // The edge keeps what it admitted until the core answers (TS 24.229 5.2.2.2).
    let view = registrations::AdmissionView {
        aor: admission.aor,
        aor_key: &aor_key,
        impi: auth.impi.as_str(),
        granted_impus: &auth.impus,
        token_expires: auth.expires_at,
        transport: inbound.transport,
        request: msg,
        contacts: &facts.contacts.uris,
        expires: admission.granted,
    };
    registrations
        .admit(inbound.flow, &view, &routes, inbound.now)
        .map_err(|_| Stop::Reject(RejectCause::RegistrationsFull))?;
    Ok(Forwarded {
        bytes,
        admitted: admitted(msg, &auth, &admission),
    })
}

/// The RFC 3261 checks of a proxy (16.3), with the edge supporting no Proxy-Require
/// extension.
#[inline]
pub(crate) fn request_facts(msg: &Message) -> Result<RequestFacts<'_>, Stop> {
    check_proxy_request(msg, &[]).map_err(|v| Stop::Reject(RejectCause::Request(v)))
}

/// `part` as a slice of the message's buffer when it is one (no copy), else a copy.
fn shared_slice(msg: &Message, part: &[u8]) -> Bytes {
    let buf = msg.bytes();
    let start = (part.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    match buf.get(start..start.wrapping_add(part.len())) {
        Some(inside) if inside.as_ptr() == part.as_ptr() => buf.slice(start..start + part.len()),
        _ => Bytes::copy_from_slice(part),
    }
}

fn admitted(msg: &Message, auth: &Arc<Authorization>, admission: &Admission<'_>) -> Admitted {
    Admitted::new(
        auth.clone(),
        shared_slice(msg, admission.aor.as_bytes()),
        admission.granted,
    )
}
