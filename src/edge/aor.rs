//! Does the registered address of record belong to the token? URI equivalence after
//! RFC 3261 19.1.4 (SIP) and RFC 3966 section 4 (tel), reduced to the parts an AOR has.

use crate::message::header::{Scheme, Uri, percent_decode};

fn tel_digits(number: &str) -> impl Iterator<Item = u8> + '_ {
    // RFC 3966 visual separators do not count.
    number
        .bytes()
        .filter(|b| !matches!(b, b'-' | b'.' | b'(' | b')'))
        .map(|b| b.to_ascii_lowercase())
}

/// Whether `a` and `b` name the same address of record: same scheme, same user
/// (after %-decoding, case-sensitive), same host (case-insensitive) and port; for tel
/// URIs the same number ignoring visual separators. URI parameters are ignored.
pub fn same_aor(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    match (a.scheme(), b.scheme()) {
        (Scheme::Tel, Scheme::Tel) => match (a.number(), b.number()) {
            (Some(x), Some(y)) => tel_digits(x).eq(tel_digits(y)),
            _ => false,
        },
        (Scheme::Sip, Scheme::Sip) | (Scheme::Sips, Scheme::Sips) => {
            let users = match (a.user(), b.user()) {
                (None, None) => true,
                (Some(x), Some(y)) => match (percent_decode(x), percent_decode(y)) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => false,
                },
                _ => false,
            };
            let hosts = match (a.host_str(), b.host_str()) {
                (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
                _ => false,
            };
            users && hosts && a.port() == b.port()
        }
        _ => false,
    }
}

/// The canonical bytes of an address of record: equal exactly when [`same_aor`] says two
/// AORs are the same (scheme, %-decoded user, lower-cased host, port; for tel the number
/// without visual separators), each part length-prefixed so no two spellings collide.
/// The Path flow token is bound to these bytes, so any equivalent spelling of the AOR
/// verifies it. `None` for a URI that is not sip, sips or tel.
pub(crate) fn aor_key(uri: &Uri<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    let part = |out: &mut Vec<u8>, bytes: &mut dyn Iterator<Item = u8>| {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        out.extend(bytes);
        let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    };
    match uri.scheme() {
        Scheme::Tel => {
            out.push(b't');
            part(&mut out, &mut tel_digits(uri.number()?));
        }
        scheme @ (Scheme::Sip | Scheme::Sips) => {
            out.push(if scheme == Scheme::Sip { b's' } else { b'S' });
            match uri.user() {
                Some(user) => {
                    out.push(1);
                    let user = percent_decode(user).ok()?;
                    part(&mut out, &mut user.iter().copied());
                }
                None => out.push(0),
            }
            let host = uri.host_str()?;
            part(&mut out, &mut host.bytes().map(|b| b.to_ascii_lowercase()));
            match uri.port() {
                Some(port) => {
                    out.push(1);
                    out.extend_from_slice(&port.to_be_bytes());
                }
                None => out.push(0),
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        same_aor(&Uri::parse(a).unwrap(), &Uri::parse(b).unwrap())
    }

    #[test]
    fn equivalence() {
        assert!(same("sip:bob@IMS.example", "sip:bob@ims.example"));
        assert!(same("sip:%62ob@ims.example", "sip:bob@ims.example"));
        assert!(same(
            "sip:bob@ims.example;transport=ws",
            "sip:bob@ims.example"
        ));
        assert!(!same("sip:Bob@ims.example", "sip:bob@ims.example"));
        assert!(!same("sip:bob@ims.example:5061", "sip:bob@ims.example"));
        assert!(!same("sips:bob@ims.example", "sip:bob@ims.example"));
        assert!(!same("sip:alice@ims.example", "sip:bob@ims.example"));
        assert!(same("tel:+1-555-0100", "tel:+15550100"));
        assert!(!same("tel:+15550101", "tel:+15550100"));
    }

    #[test]
    fn the_key_is_equal_exactly_when_the_aors_are_the_same() {
        let uris = [
            "sip:bob@IMS.example",
            "sip:%62ob@ims.example;transport=ws",
            "sip:bob@ims.example",
            "sip:Bob@ims.example",
            "sip:bob@ims.example:5061",
            "sips:bob@ims.example",
            "sip:ims.example",
            "sip:a%40b@c.example",
            "tel:+1-555-0100",
            "tel:+15550100",
            "tel:+15550101",
        ];
        for a in uris {
            for b in uris {
                let (ua, ub) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
                assert_eq!(aor_key(&ua) == aor_key(&ub), same_aor(&ua, &ub), "{a} {b}");
            }
        }
    }
}
