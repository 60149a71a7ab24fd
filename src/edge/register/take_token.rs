//! Where the token is taken out of the REGISTER: the configured location strategy
//! (RFC 8898 `Authorization: Bearer`, or another place, [`crate::token`]), after the
//! transport policy of RFC 6750 5.3 (bearer tokens only over a secure transport, unless
//! the configuration allows insecure ones).

use super::Stop;
use crate::edge::config::Config;
use crate::edge::decision::RejectCause;
use crate::edge::inbound::Inbound;
use crate::message::Message;
use crate::token::{ExtractError, Found, extract};

/// The token and exactly where it was, so the forwarded request can go without it.
pub(crate) fn take<'m>(
    config: &Config,
    msg: &'m Message,
    inbound: &Inbound<'m>,
) -> Result<Found<'m>, Stop> {
    // RFC 6750 5.3: a bearer token is a password for whoever holds it, so it is taken
    // only from a protected flow. The check comes before the token is looked for, so a
    // client on a clear flow is not challenged into sending its token over it.
    let protected = inbound.transport.is_secure() || inbound.secure_flow;
    if !protected && !config.allow_insecure_transport {
        return Err(Stop::Reject(RejectCause::InsecureTransport));
    }
    match extract(msg, &config.token_location, inbound.transport_token) {
        Ok(found) => Ok(found),
        Err(ExtractError::Absent) => Err(Stop::Reject(RejectCause::NoToken)),
        Err(e) => Err(Stop::Reject(RejectCause::BadToken(e))),
    }
}
