//! Requests from a registered client toward the core: the P-CSCF's originating
//! procedures (TS 24.229 5.2.6.3; RFC 3325 9.1 for P-Asserted-Identity; RFC 3608 for
//! the Service-Route preloaded as Route; RFC 3261 16.6 and 16.11 for the stateless
//! proxy's Via, Record-Route, Max-Forwards and the branch a CANCEL shares with its
//! INVITE).
//!
//! An initial request is accepted only from a flow holding a live registration, from
//! one of that registration's identities; the client's own identity headers never pass
//! and the edge asserts the identity itself. A request inside a dialog must come back
//! through the edge's own Record-Route entry, minted for this very flow.

use bytes::Bytes;

use super::aor::aor_key;
use super::config::Config;
use super::decision::{DropReason, RejectCause};
use super::flow_token::{FlowTokenCodec, TransactionHash};
use super::hop;
use super::inbound::Inbound;
use super::register::Stop;
use super::registrations::{Live, Registrations};
use crate::message::header::{NameAddr, Uri, split_list};
use crate::message::{Editor, HeaderName, HeaderValue, Message, RequestFacts};
use crate::token::{Place, copies};

/// A request for the core, and the identity the edge asserted in it.
pub(crate) struct Originated {
    pub bytes: Bytes,
    pub asserted: Option<String>,
}

/// Methods whose initial request creates a dialog the edge must stay on (RFC 3261 12,
/// RFC 6665 4.1, RFC 3515 2.4.7).
fn creates_dialog(method: &str) -> bool {
    matches!(method, "INVITE" | "SUBSCRIBE" | "REFER")
}

/// RFC 3323 4.1.1.3: the From of a client withholding its identity; the edge still
/// asserts the registered one toward the core.
fn anonymous(uri: &Uri<'_>) -> bool {
    uri.user()
        .is_some_and(|u| u.eq_ignore_ascii_case("anonymous"))
        && uri
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case("anonymous.invalid"))
}

/// The registration `uri` is an identity of, with that identity's index in
/// [`Bound::identities`] (compared in binding form: the same as [`same_aor`]).
fn registered_as<'r>(regs: &'r [Live], uri: &Uri<'_>) -> Option<(&'r Live, usize)> {
    let key = aor_key(uri)?;
    regs.iter().find_map(|r| {
        let at = r
            .bound
            .written
            .identities
            .iter()
            .position(|(k, _, _)| k[..] == key[..])?;
        Some((r, at))
    })
}

/// The URI of the first P-Preferred-Identity value, if the request carries one.
fn preferred(msg: &Message) -> Option<Result<Uri<'_>, ()>> {
    let field = msg.first(HeaderName::PPreferredIdentity)?;
    let parsed = msg.value_str(field).ok().and_then(|text| {
        let (_, item) = split_list(text).next()?;
        NameAddr::parse(item).ok().map(|a| a.uri())
    });
    Some(parsed.ok_or(()))
}

/// Runs the originating procedure on a request (not a REGISTER) that passed the proxy
/// checks.
pub(crate) fn run(
    config: &Config,
    registrations: &Registrations,
    msg: &Message,
    facts: &RequestFacts<'_>,
    inbound: &Inbound<'_>,
) -> Result<Originated, Stop> {
    let method = facts.method;
    let to_tag = facts.to.value.tag();
    // An ACK to one of the edge's own answers stays here (RFC 3261 17.2.1).
    if method == "ACK" && to_tag == Some(config.to_tag.as_str()) {
        return Err(Stop::Drop(DropReason::Ack));
    }
    let route = hop::top_route(msg, facts);
    let own = route
        .as_ref()
        .and_then(|r| hop::own_user(config, &r.addr.uri()).map(|user| (r, user)));
    match (to_tag, own) {
        (Some(_), Some((route, user))) => {
            in_dialog(config, registrations, msg, facts, inbound, route, user)
        }
        // The ACK of a non-2xx answer goes where its INVITE went (RFC 3261 17.1.1.3).
        (Some(_), None) if method != "ACK" => Err(RejectCause::OutsideDialog.into()),
        _ => initial(config, registrations, msg, facts, inbound),
    }
}

fn initial(
    config: &Config,
    registrations: &Registrations,
    msg: &Message,
    facts: &RequestFacts<'_>,
    inbound: &Inbound<'_>,
) -> Result<Originated, Stop> {
    let regs = registrations.live(inbound.flow, inbound.now);
    if regs.is_empty() {
        return Err(if registrations.token_lapsed(inbound.flow, inbound.now) {
            RejectCause::TokenLapsed
        } else {
            RejectCause::NotRegistered
        }
        .into());
    }
    let method = facts.method;
    // CANCEL and the ACK of a non-2xx answer repeat their INVITE (RFC 3261 9.1): they
    // are routed as it was, and assert nothing new.
    let repeats_invite = matches!(method, "CANCEL" | "ACK");
    let from = facts.from.value.uri();
    let by_from = registered_as(&regs, &from);
    if by_from.is_none() && !anonymous(&from) && !repeats_invite {
        return Err(RejectCause::UnregisteredIdentity.into());
    }
    // TS 24.229 5.2.6.3.3: a preferred identity that is registered is asserted; one that
    // is not is refused, as is one that cannot be read.
    let asserted = match preferred(msg) {
        None => None,
        Some(Ok(uri)) => match registered_as(&regs, &uri) {
            Some(found) => Some(found),
            None => return Err(RejectCause::UnregisteredIdentity.into()),
        },
        Some(Err(())) => return Err(RejectCause::UnregisteredIdentity.into()),
    };
    // The asserted identity: the preferred one, else the default identity of the
    // registration the From belongs to (TS 24.229 5.2.6.3.3).
    let (reg, at_identity) = match asserted {
        Some(found) => found,
        None => (by_from.map_or(&regs[0], |(r, _)| r), 0),
    };
    let (reg, routes) = (reg.bound.as_ref(), &reg.routes);

    let mut ed = Editor::new(msg);
    strip_client_assertions(config, msg, &mut ed, true)?;
    let transaction = TransactionHash::of(&hop::transaction(msg, facts));
    hop::toward_core(&mut ed, config, inbound, facts, transaction, None).map_err(write)?;
    let at = facts.content_length;
    // RFC 3608 / TS 24.229 5.2.6.3.3: the route is the registration's, not the client's.
    for route in &reg.written.routes {
        hop::add(&mut ed, at, &HeaderName::Route, route).map_err(write)?;
    }
    let mut out_identity = None;
    if !repeats_invite {
        // The identity as the core spelt it, and its checked `<uri>` value.
        let Some((_, pai, index)) = reg.written.identities.get(at_identity) else {
            return Err(RejectCause::UnregisteredIdentity.into());
        };
        hop::add(&mut ed, at, &HeaderName::PAssertedIdentity, pai).map_err(write)?;
        out_identity = reg.identities().nth(*index).map(str::to_owned);
        if creates_dialog(method) {
            hop::insert_record_route(&mut ed, msg, |v| {
                hop::push_own_uri(v, config, |v| {
                    FlowTokenCodec::push_record_route_token(v, routes)
                })
            })
            .map_err(write)?;
        }
    }
    if method != "ACK" {
        const ICID: HeaderValue = HeaderValue::from_static("icid-value=");
        const ORIG_IOI: HeaderValue = HeaderValue::from_static(";orig-ioi=");
        hop::add_with(&mut ed, at, &HeaderName::PChargingVector, |v| {
            v.push(&ICID);
            config.codec.push_icid(v, inbound.flow, transaction);
            if let Some(ioi) = &config.orig_ioi {
                v.push(&ORIG_IOI).push(ioi);
            }
        })
        .map_err(write)?;
    }
    Ok(Originated {
        bytes: ed.finish().map_err(write)?,
        asserted: out_identity,
    })
}

fn in_dialog(
    config: &Config,
    registrations: &Registrations,
    msg: &Message,
    facts: &RequestFacts<'_>,
    inbound: &Inbound<'_>,
    route: &hop::TopRoute<'_>,
    user: &str,
) -> Result<Originated, Stop> {
    // The entry must be one the edge minted for a dialog of this flow's registered user:
    // another flow's entry would let one client speak inside another's dialog.
    let opened = config
        .codec
        .open_route(user)
        .map_err(|_| Stop::Reject(RejectCause::OutsideDialog))?;
    let bound = opened.flow == inbound.flow
        && registrations
            .live(inbound.flow, inbound.now)
            .iter()
            .any(|r| {
                config
                    .codec
                    .route_bound_to_registration(&opened, &r.routes, &r.bound.aor_key)
            });
    if !bound {
        return Err(RejectCause::OutsideDialog.into());
    }
    let mut ed = Editor::new(msg);
    hop::remove_route(&mut ed, route).map_err(write)?;
    strip_client_assertions(config, msg, &mut ed, false)?;
    let transaction = TransactionHash::of(&hop::transaction(msg, facts));
    hop::toward_core(&mut ed, config, inbound, facts, transaction, None).map_err(write)?;
    Ok(Originated {
        bytes: ed.finish().map_err(write)?,
        asserted: None,
    })
}

/// Removes what only the network may say: the client's identity assertions (RFC 3325
/// 9.1), credentials and token copies (the token never reaches the core), charging and
/// visited-network headers (TS 24.229 5.2.6.3), and, for an initial request, the
/// client's Route (replaced by the Service-Route) and any Record-Route (only proxies
/// record-route, RFC 3261 16.6 step 4; a client's entry would only break the dialog's
/// route set).
fn strip_client_assertions(
    config: &Config,
    msg: &Message,
    ed: &mut Editor<'_>,
    initial: bool,
) -> Result<(), Stop> {
    let mut removed = Vec::new();
    for (i, h) in msg.headers().iter().enumerate() {
        let drop = match h.name {
            HeaderName::Authorization
            | HeaderName::ProxyAuthorization
            | HeaderName::PAssertedIdentity
            | HeaderName::PPreferredIdentity
            | HeaderName::PVisitedNetworkId => true,
            HeaderName::Route | HeaderName::RecordRoute => initial,
            _ => hop::is_charging(msg, i),
        };
        if drop {
            ed.remove(i).map_err(write)?;
            removed.push(i);
        }
    }
    for place in copies(msg, &config.token_location) {
        if let Place::Header { index } = place {
            if !removed.contains(&index)
                && msg
                    .header(index)
                    .is_some_and(|h| h.name != HeaderName::Route)
            {
                removed.push(index);
                ed.remove(index).map_err(write)?;
            }
        }
    }
    Ok(())
}

fn write(e: crate::message::WriteError) -> Stop {
    Stop::Drop(DropReason::Write(e))
}
