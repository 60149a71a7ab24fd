//! Admission policy: where the identity is checked against the token, and the
//! registration's lifetime against the token's (TS 24.371: the eP-CSCF checks that the
//! registered public identity is one the token grants; the binding never outlives the
//! credential that admitted it).

use smallvec::SmallVec;
use std::time::SystemTime;

use crate::edge::aor::same_aor;
use crate::edge::config::{Config, ExpiryPolicy};
use crate::edge::decision::RejectCause;
use crate::message::header::Uri;
use crate::message::{HostPort, RequestFacts, Span};
use crate::validate::Authorization;

/// What admission decided: whose registration it is, and the lifetimes to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Admission<'m> {
    /// The address of record (the To URI, RFC 3261 10.3 step 5).
    pub aor: &'m str,
    /// The longest lifetime the registration can have after capping (`None` for a
    /// binding fetch).
    pub granted: Option<u32>,
    /// Lifetimes to lower: the bytes of an Expires value or a Contact `expires`
    /// parameter, and the seconds to write there.
    pub lowered: SmallVec<[(Span, u32); 4]>,
    /// An Expires header to add when a binding has no lifetime of its own and the
    /// request names none.
    pub added_expires: Option<u32>,
}

/// Whether the REGISTER is for a domain this edge serves as home (only those get the
/// Annex U `auth-done`), and which: its Annex U `uri` names it.
pub(crate) fn served<'c>(
    config: &'c Config,
    facts: &RequestFacts<'_>,
) -> Result<&'c HostPort, RejectCause> {
    facts
        .request_uri
        .host_str()
        .and_then(|host| config.served_domain(host))
        .ok_or(RejectCause::ForeignDomain)
}

/// Admits the registration `facts` describes for the user `auth` names, at `now`.
/// `aor_key` is the To URI's binding form ([`crate::edge::aor::aor_key`]), `None` when
/// it has none (such an AOR equals no identity).
pub(crate) fn admit<'m>(
    config: &Config,
    facts: &RequestFacts<'m>,
    aor_key: Option<&[u8]>,
    auth: &Authorization,
    now: SystemTime,
) -> Result<Admission<'m>, RejectCause> {
    let aor_uri = facts.to.value.uri();
    if aor_uri.password().is_some() {
        return Err(RejectCause::PasswordInAor);
    }
    if !owns(auth, &aor_uri, aor_key.is_some()) {
        return Err(RejectCause::IdentityMismatch);
    }
    let mut admission = Admission {
        aor: aor_uri.as_str(),
        granted: None,
        lowered: SmallVec::new(),
        added_expires: None,
    };
    let contacts = &facts.contacts;
    if contacts.bindings == 0 && !contacts.star {
        return Ok(admission);
    }
    let asked = facts.expires.as_ref().map(|e| (e.span, e.value));
    let header = asked.map(|(_, n)| n);
    let mut longest = contacts
        .expires_params
        .iter()
        .map(|&(_, n)| n)
        .chain(header.filter(|_| contacts.without_expires || contacts.star))
        .max();
    let remaining = auth.expires_at.map(|exp| remaining_secs(exp, now));
    // A registration (not a removal) never gets a lifetime the client must renew at
    // once, and a positive lifetime is never capped to 0, which would turn it into a
    // de-registration behind a 200 OK.
    let asks_positive = contacts.expires_params.iter().any(|&(_, n)| n > 0)
        || (contacts.without_expires && header != Some(0));
    if let Some(left) = remaining
        && asks_positive
        && (left == 0 || left < config.min_token_lifetime)
    {
        return Err(RejectCause::ExpiresTooSoon {
            remaining: left,
            minimum: config.min_token_lifetime,
        });
    }
    if let (Some(limit), false) = (remaining, config.expiry == ExpiryPolicy::Ignore) {
        let too_long = contacts.expires_params.iter().any(|&(_, n)| n > limit)
            || header.is_some_and(|n| n > limit);
        if too_long && config.expiry == ExpiryPolicy::Reject {
            return Err(RejectCause::OutlivesToken);
        }
        let over = |&(span, n): &(Span, u32)| (n > limit).then_some((span, limit));
        admission.lowered = contacts.expires_params.iter().filter_map(over).collect();
        admission.lowered.extend(asked.as_ref().and_then(over));
        if contacts.without_expires && header.is_none() {
            admission.added_expires = Some(limit);
        }
        longest = longest.map(|n| n.min(limit)).or(admission.added_expires);
    }
    admission.granted = longest;
    Ok(admission)
}

/// Whether `aor` is one of the token's public identities. An IMPU written exactly as
/// the AOR parses to the same URI, so it needs no parse of its own (the usual case: the
/// client registers one of its identities as is), and it is that identity exactly when
/// the AOR has a binding form (`keyed`): an AOR equals itself when it equals anything.
fn owns(auth: &Authorization, aor: &Uri<'_>, keyed: bool) -> bool {
    auth.impus.iter().any(|impu| {
        if impu.as_str() == aor.as_str() {
            keyed
        } else {
            Uri::parse(impu.as_str()).is_ok_and(|u| same_aor(&u, aor))
        }
    })
}

/// Whole seconds from `now` to `exp`, zero when already past.
pub(crate) fn remaining_secs(exp: SystemTime, now: SystemTime) -> u32 {
    exp.duration_since(now)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}
