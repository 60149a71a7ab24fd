//! The REGISTER the edge forwards to the S-CSCF: TS 33.203 Annex U trusted-node
//! authentication plus the P-CSCF duties of TS 24.229 5.2.2 (Via, Path, Require,
//! P-Visited-Network-ID, P-Charging-Vector) and RFC 3261 16.6.

use bytes::Bytes;
use smallvec::SmallVec;

use super::annex_u::push_annex_u;
use super::{Established, Stop};
use crate::edge::config::{AuthEntityAt, Config};
use crate::edge::decision::DropReason;
use crate::edge::flow_token::TransactionHash;
use crate::edge::hop;
use crate::edge::inbound::Inbound;
use crate::message::Span;
use crate::message::decimal::Decimal;
use crate::message::{Editor, HeaderName, HeaderValue, Message, WriteError};
use crate::token::{Found, Place, copies};

/// Builds the forwarded REGISTER.
pub(crate) fn build(
    config: &Config,
    msg: &Message,
    established: &Established<'_, '_>,
    inbound: &Inbound<'_>,
) -> Result<Bytes, WriteError> {
    let Established {
        facts,
        home,
        token,
        auth,
        admission,
        path,
    } = *established;
    let mut ed = Editor::new(msg);

    // RFC 3261 16.6 step 8: the edge's Via on top, its branch carrying the flow.
    let call_id = msg.slice(facts.call_id.span);
    let cseq = msg.slice(facts.cseq.span);
    let client_via = msg.slice(facts.via.span);
    let transaction = TransactionHash::of(&[client_via, call_id, cseq]);
    let flow = inbound.flow;
    // The branch carries the token's expiry, so the response path can tell a 423 asking
    // for more than the token allows (TS 24.229 5.2.2) without keeping state.
    let token_expires = auth
        .expires_at
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    // Every value the edge writes is built straight into the editor's buffer from
    // checked parts, so no value is scanned or copied again. The edits are made in
    // about the order of the message (this first, the fields after), which is the
    // order the editor writes them in.
    hop::toward_core(&mut ed, config, inbound, facts, transaction, token_expires)?;

    // The client's credentials never reach the core: every Authorization and
    // Proxy-Authorization field goes (the token, any client `integrity-protected`,
    // and anything else the client asserted), replaced by the edge's own below.
    let dropped = |name: HeaderName| {
        matches!(
            name,
            HeaderName::Authorization
                | HeaderName::ProxyAuthorization
                | HeaderName::PAssertedIdentity
                | HeaderName::PPreferredIdentity
                | HeaderName::PChargingVector
                | HeaderName::PVisitedNetworkId
                | HeaderName::Path
        )
    };
    // The authorisation entity is the edge's to name: a client-sent copy of the header
    // it is configured to write goes (an auth-param copy goes with Authorization).
    let entity_header = match &config.auth_entity {
        AuthEntityAt::Header(name) => Some(name.as_str().as_bytes()),
        _ => None,
    };
    let entity_copy = |h: &crate::message::HeaderField| {
        entity_header.is_some_and(|n| msg.name_bytes(h).eq_ignore_ascii_case(n))
    };
    for (i, h) in msg.headers().iter().enumerate() {
        if dropped(h.name) || entity_copy(h) {
            ed.remove(i)?;
        }
    }
    // RFC 3261 16.4: the edge's own URI at the top of Route is removed before
    // forwarding. A REGISTER's next hop is the configured core (TS 24.229 5.2.2: the
    // P-CSCF forwards it toward the home network's entry point), not one the client
    // chose, so the client's further Routes go too: every Route field is removed.
    if facts.route.first.is_some() {
        for (i, h) in msg.headers().iter().enumerate() {
            if h.name == HeaderName::Route {
                ed.remove(i)?;
            }
        }
    }
    // Every copy of a token the configured location could hold goes, not only the
    // one taken: the place it was found in, and the others of the same strategy.
    let places = copies(msg, &config.token_location)
        .into_iter()
        .chain(std::iter::once(token.place.clone()));
    let mut removed_fields: SmallVec<[usize; 4]> = SmallVec::new();
    let mut uri_cuts: SmallVec<[Span; 2]> = SmallVec::new();
    let mut contact_cuts: SmallVec<[Span; 2]> = SmallVec::new();
    for place in places {
        match place {
            // A field removed above is not removed twice (the edits would overlap).
            Place::Header { index }
                if !msg.header(index).is_some_and(|h| {
                    dropped(h.name) || entity_copy(h) || h.name == HeaderName::Route
                }) && !removed_fields.contains(&index) =>
            {
                removed_fields.push(index);
                ed.remove(index)?
            }
            Place::RequestUri { span } if !uri_cuts.contains(&span) => uri_cuts.push(span),
            Place::Contact { span, .. } if !contact_cuts.contains(&span) => {
                contact_cuts.push(span);
                ed.replace_span(span, HeaderValue::EMPTY)?
            }
            _ => {}
        }
    }
    if !uri_cuts.is_empty() {
        // The start line has its own writer: rebuild the URI without the parameters.
        uri_cuts.sort_by_key(|s| s.start);
        let uri = facts.request_uri_span;
        let text = msg.slice(uri);
        let mut kept = Vec::with_capacity(text.len());
        let mut at = 0usize;
        for cut in &uri_cuts {
            let from = cut.start.saturating_sub(uri.start) as usize;
            let to = cut.end.saturating_sub(uri.start) as usize;
            kept.extend_from_slice(text.get(at..from.max(at)).unwrap_or_default());
            at = at.max(to);
        }
        kept.extend_from_slice(text.get(at..).unwrap_or_default());
        let kept = String::from_utf8(kept).map_err(|_| WriteError::Invalid {
            what: "Request-URI",
            expected: "UTF-8 text",
        })?;
        ed.set_request_uri(&kept)?;
    }

    for &(span, limit) in &admission.lowered {
        ed.replace_span(span, Decimal::new(limit))?;
    }

    // The edge's own headers go before Content-Length (or at the end).
    let anchor = facts.content_length;
    if let Some(n) = admission.added_expires {
        hop::add(&mut ed, anchor, &HeaderName::Expires, &Decimal::new(n))?;
    }
    let entity = auth.auth_entity.as_ref();
    let extra = match (&config.auth_entity, entity) {
        (AuthEntityAt::AuthParam(name), Some(e)) => Some((name, e.as_quoted())),
        _ => None,
    };
    let realm = &config.realm;
    hop::add_with(&mut ed, anchor, &HeaderName::Authorization, |v| {
        push_annex_u(v, &auth.impi, realm, home, extra)
    })?;
    if let (AuthEntityAt::Header(name), Some(e)) = (&config.auth_entity, entity) {
        hop::add(&mut ed, anchor, name, &e.to_value())?;
    }
    // RFC 3327 / RFC 5626 5.2: Path with the flow token, `ob` when the client uses outbound.
    const SIP: HeaderValue = HeaderValue::from_static("<sip:");
    const AT: HeaderValue = HeaderValue::from_static("@");
    const LR_OB: HeaderValue = HeaderValue::from_static(";lr;ob>");
    const LR: HeaderValue = HeaderValue::from_static(";lr>");
    hop::add_with(&mut ed, anchor, &HeaderName::Path, |v| {
        v.push(&SIP);
        // RFC 5626 5.2: the token names the flow, this start of the edge and the AOR,
        // so a terminating request for another user cannot be steered onto this
        // connection.
        v.push(path);
        v.push(&AT)
            .push(&config.edge_host)
            .push(&if facts.contacts.outbound { LR_OB } else { LR });
    })?;
    const PATH_OPTION: HeaderValue = HeaderValue::from_static("path");
    hop::add(&mut ed, anchor, &HeaderName::Require, &PATH_OPTION)?;
    if let Some(id) = &config.visited_network_id {
        hop::add(&mut ed, anchor, &HeaderName::PVisitedNetworkId, id)?;
    }
    const ICID: HeaderValue = HeaderValue::from_static("icid-value=");
    const ORIG_IOI: HeaderValue = HeaderValue::from_static(";orig-ioi=");
    hop::add_with(&mut ed, anchor, &HeaderName::PChargingVector, |v| {
        v.push(&ICID);
        config.codec.push_icid(v, flow, transaction);
        if let Some(ioi) = &config.orig_ioi {
            v.push(&ORIG_IOI).push(ioi);
        }
    })?;
    ed.finish()
}

/// Defence in depth: whatever the client did, its token does not leave, in any
/// spelling. A JWT's tail is its signature, so its last bytes are as telling as the
/// whole token and far cheaper to search for; each of its bytes may appear as itself,
/// %-escaped (a URI) or as a quoted-pair (a quoted-string).
pub(crate) fn refuse_leak(bytes: &[u8], token: &Found<'_>) -> Result<(), Stop> {
    let token = token.token.expose().as_bytes();
    let tail = &token[token.len().saturating_sub(24)..];
    if spelled_in(bytes, tail) {
        return Err(Stop::Drop(DropReason::TokenLeak));
    }
    Ok(())
}

/// Whether `needle` occurs in `haystack`, each of its bytes written as itself, as `%HH`
/// (either case) or as `\c`. One pass jumps between occurrences of the needle's rarest
/// byte in SIP text (far fewer false starts than its first, in a message of lowercase
/// names) and of the escape characters; only an escape character in the haystack makes
/// the other spellings possible, and then every spelling is searched for. Each check
/// reads at most three bytes per needle byte.
fn spelled_in(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let mut k = 0;
    for (i, &c) in needle.iter().enumerate() {
        if COMMONNESS[c as usize] < COMMONNESS[needle[k] as usize] {
            k = i;
            if COMMONNESS[c as usize] == 0 {
                break;
            }
        }
    }
    let rare = needle.get(k).copied().unwrap_or(first);
    let any_spelling = || {
        memchr::memchr3_iter(first, b'%', b'\\', haystack)
            .any(|at| spelled_at(haystack, at, needle))
    };
    if matches!(rare, b'%' | b'\\') {
        return any_spelling();
    }
    for at in memchr::memchr3_iter(rare, b'%', b'\\', haystack) {
        if haystack[at] != rare {
            // A spelling with escapes may start before this point: search them all.
            return any_spelling();
        }
        let plain = at
            .checked_sub(k)
            .and_then(|from| haystack.get(from..from + needle.len()))
            == Some(needle);
        if plain {
            return true;
        }
    }
    false
}

/// How often each byte appears in SIP header text, roughly: lowercase letters and the
/// separators are everywhere, digits and capitals less so, `-` and `_` seldom.
const COMMONNESS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'a'..=b'z' | b' ' | b':' | b';' | b'=' | b'.' | b'<' | b'>' | b'@' => 3,
            b'0'..=b'9' => 2,
            b'A'..=b'Z' => 1,
            _ => 0,
        };
        c += 1;
    }
    t
};

fn spelled_at(haystack: &[u8], mut at: usize, needle: &[u8]) -> bool {
    for &want in needle {
        match haystack.get(at) {
            Some(&c) if c == want => at += 1,
            Some(b'%') => {
                let hex = |k: usize| haystack.get(at + k).and_then(|&h| (h as char).to_digit(16));
                match (hex(1), hex(2)) {
                    (Some(hi), Some(lo)) if hi * 16 + lo == u32::from(want) => at += 3,
                    _ => return false,
                }
            }
            Some(b'\\') if haystack.get(at + 1) == Some(&want) => at += 2,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::spelled_in;

    #[test]
    fn substring_search_in_every_spelling() {
        assert!(spelled_in(b"abcabd", b"abd"));
        assert!(spelled_in(b"abd", b"abd"));
        assert!(!spelled_in(b"abcab", b"abd"));
        assert!(!spelled_in(b"", b"a"));
        assert!(spelled_in(b"x", b""));
        // %-escapes in either case, quoted-pairs, and a mix.
        assert!(spelled_in(b"x=%61%62%64;", b"abd"));
        assert!(spelled_in(b"x=a%42d", b"aBd"));
        assert!(spelled_in(b"x=a%4cd", b"aLd"));
        assert!(spelled_in(b"\"\\a\\b\\d\"", b"abd"));
        assert!(spelled_in(b"a\\b%64", b"abd"));
        assert!(!spelled_in(b"a%6", b"ab"));
        assert!(!spelled_in(b"a%zzb", b"ab"));
        assert!(!spelled_in(b"%%%%%%%%", b"ab"));
        // An escape character before or after the token, unrelated to it; the token's
        // escaped spelling before a plain occurrence of its rarest byte.
        assert!(spelled_in(b"q=%20; x=a_bd", b"a_bd"));
        assert!(spelled_in(b"x=a_bd; q=%20", b"a_bd"));
        assert!(spelled_in(b"x=a%5Fbd; y=_", b"a_bd"));
        assert!(!spelled_in(b"x=a%5Fbe; y=_", b"a_bd"));
    }

    #[test]
    fn the_plain_search_agrees_with_a_naive_one_wherever_its_rare_byte_falls() {
        let naive = |h: &[u8], n: &[u8]| h.windows(n.len()).any(|w| w == n);
        // Needles whose rarest byte is first, inside and last; haystacks holding them
        // at the start, the end, cut short, or not at all.
        for needle in [&b"_abc"[..], b"ab_c", b"abc-", b"aBc9", b"zzzz"] {
            for hay in [
                [needle, b"; tail"].concat(),
                [b"head; ", needle].concat(),
                [b"head; ", &needle[..needle.len() - 1]].concat(),
                [b"x", &needle[1..], b" ", &needle[..1]].concat(),
                b"no such thing".to_vec(),
            ] {
                assert_eq!(
                    spelled_in(&hay, needle),
                    naive(&hay, needle),
                    "{:?} in {:?}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }
}
