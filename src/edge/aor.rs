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

/// A telephone-subscriber (RFC 3966 3): the number and its parameters, from a tel URI
/// or from the user part of a sip URI with `user=phone` (RFC 3261 19.1.6).
struct Subscriber<'a> {
    number: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

impl<'a> Subscriber<'a> {
    fn of_tel(uri: &Uri<'a>) -> Option<Subscriber<'a>> {
        let params = uri
            .params()
            .map(|p| (p.name, p.value.unwrap_or_default()))
            .collect();
        Some(Subscriber {
            number: uri.number()?,
            params,
        })
    }

    /// The user part of a sip URI, %-decoded; `None` when it is not text.
    fn of_user(user: &'a str) -> Option<Subscriber<'a>> {
        // An escaped character in a telephone-subscriber is the character itself;
        // comparing decoded text would need an owned copy, so escapes are refused.
        if user.contains('%') {
            return None;
        }
        let mut parts = user.split(';');
        let number = parts.next()?;
        let params = parts
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        Some(Subscriber { number, params })
    }

    fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    fn param(&self, name: &str) -> Option<&'a str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }

    /// RFC 3966 4: same globality, same digits without visual separators, a local
    /// number's `phone-context` equal (and present: a local number needs one), and the
    /// same set of parameters with equal values.
    fn same(&self, other: &Subscriber<'_>) -> bool {
        if self.is_global() != other.is_global()
            || !tel_digits(self.number).eq(tel_digits(other.number))
            || self.params.len() != other.params.len()
        {
            return false;
        }
        if !self.is_global() && self.param("phone-context").is_none() {
            return false;
        }
        self.params.iter().all(|&(name, value)| {
            let Some(theirs) = other.param(name) else {
                return false;
            };
            match name.to_ascii_lowercase().as_str() {
                // A global number as context, or a domain name.
                "phone-context" if value.starts_with('+') => {
                    tel_digits(value).eq(tel_digits(theirs))
                }
                "ext" => tel_digits(value).eq(tel_digits(theirs)),
                _ => value.eq_ignore_ascii_case(theirs),
            }
        })
    }
}

/// Whether a sip URI carries a telephone number (`user=phone`, RFC 3261 19.1.6).
fn user_phone(uri: &Uri<'_>) -> bool {
    uri.param("user")
        .and_then(|p| p.value)
        .is_some_and(|v| v.eq_ignore_ascii_case("phone"))
}

fn same_host(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    let hosts = match (a.host_str(), b.host_str()) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    };
    hosts && a.port() == b.port()
}

/// Whether a `sip:...;user=phone` URI and a tel URI name the same number.
fn same_number(sip: &Uri<'_>, tel: &Uri<'_>) -> bool {
    match (
        sip.user().and_then(Subscriber::of_user),
        Subscriber::of_tel(tel),
    ) {
        (Some(a), Some(b)) => a.same(&b),
        _ => false,
    }
}

/// Whether `a` and `b` name the same address of record, as strictly as a registrar
/// compares them:
/// - sip/sips (RFC 3261 19.1.4): same scheme, same user and password (after
///   %-decoding, case-sensitive), same host (case-insensitive) and port; other URI
///   parameters are ignored, except that `user=phone` must be in both or neither.
/// - tel (RFC 3966 4): same number ignoring visual separators, a local number's
///   `phone-context` equal, and the same parameters.
/// - a sip URI with `user=phone` carries a telephone number (RFC 3261 19.1.6): it
///   is that number, equal to the tel URI and to any other such sip URI of the same
///   number (whatever their hosts), so the relation stays an equivalence. Its number
///   must be written without %-escapes.
pub fn same_aor(a: &Uri<'_>, b: &Uri<'_>) -> bool {
    match (a.scheme(), b.scheme()) {
        (Scheme::Tel, Scheme::Tel) => match (Subscriber::of_tel(a), Subscriber::of_tel(b)) {
            (Some(x), Some(y)) => x.same(&y),
            _ => false,
        },
        (Scheme::Sip | Scheme::Sips, Scheme::Tel) => user_phone(a) && same_number(a, b),
        (Scheme::Tel, Scheme::Sip | Scheme::Sips) => user_phone(b) && same_number(b, a),
        (Scheme::Sip, Scheme::Sip) | (Scheme::Sips, Scheme::Sips) => {
            match (user_phone(a), user_phone(b)) {
                // Both are telephone numbers: the number is the identity, as for tel.
                (true, true) => {
                    return match (
                        a.user().and_then(Subscriber::of_user),
                        b.user().and_then(Subscriber::of_user),
                    ) {
                        (Some(x), Some(y)) => x.same(&y),
                        _ => false,
                    };
                }
                (false, false) => {}
                _ => return false,
            }
            let decoded = |x: Option<&str>, y: Option<&str>| match (x, y) {
                (None, None) => true,
                (Some(x), Some(y)) => match (percent_decode(x), percent_decode(y)) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => false,
                },
                _ => false,
            };
            decoded(a.user(), b.user()) && decoded(a.password(), b.password()) && same_host(a, b)
        }
        _ => false,
    }
}

/// The canonical bytes of an address of record, inline for the usual lengths.
pub(crate) type AorKey = smallvec::SmallVec<[u8; 96]>;

/// The canonical bytes of an address of record: equal exactly when [`same_aor`] says two
/// AORs are the same (scheme, %-decoded user, lower-cased host, port; for tel the number
/// without visual separators), each part length-prefixed so no two spellings collide.
/// The Path flow token is bound to these bytes, so any equivalent spelling of the AOR
/// verifies it. `None` for a URI that is not sip, sips or tel.
pub(crate) fn aor_key(uri: &Uri<'_>) -> Option<AorKey> {
    let mut out = AorKey::new();
    let telephone = match uri.scheme() {
        Scheme::Tel => Some(Subscriber::of_tel(uri)?),
        Scheme::Sip | Scheme::Sips if user_phone(uri) => Some(Subscriber::of_user(uri.user()?)?),
        Scheme::Sip | Scheme::Sips => None,
        Scheme::Other(_) => return None,
    };
    if let Some(t) = telephone {
        t.key(&mut out)?;
        return Some(out);
    }
    out.push(if uri.scheme() == Scheme::Sip {
        b's'
    } else {
        b'S'
    });
    for userinfo in [uri.user(), uri.password()] {
        match userinfo {
            Some(text) => {
                out.push(1);
                part_slice(&mut out, &percent_decode(text).ok()?);
            }
            None => out.push(0),
        }
    }
    let host = uri.host_str()?;
    let at = out.len() + 4;
    part_slice(&mut out, host.as_bytes());
    if let Some(written) = out.get_mut(at..) {
        written.make_ascii_lowercase();
    }
    match uri.port() {
        Some(port) => {
            out.push(1);
            out.extend_from_slice(&port.to_be_bytes());
        }
        None => out.push(0),
    }
    Some(out)
}

/// [`part`] for bytes at hand: one copy rather than a byte at a time.
fn part_slice(out: &mut AorKey, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Appends `bytes` with a length prefix, so no two sequences of parts collide.
fn part(out: &mut AorKey, bytes: &mut dyn Iterator<Item = u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend(bytes);
    let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
    if let Some(prefix) = out.get_mut(at..at + 4) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
}

impl Subscriber<'_> {
    /// The bytes [`Subscriber::same`] compares, in a fixed order: `None` for a local
    /// number without a context, which equals nothing.
    fn key(&self, out: &mut AorKey) -> Option<()> {
        if !self.is_global() && self.param("phone-context").is_none() {
            return None;
        }
        out.push(b't');
        out.push(u8::from(self.is_global()));
        part(out, &mut tel_digits(self.number));
        let mut params: Vec<(String, Vec<u8>)> = self
            .params
            .iter()
            .map(|&(name, value)| {
                let name = name.to_ascii_lowercase();
                let value = match name.as_str() {
                    "phone-context" if value.starts_with('+') => tel_digits(value).collect(),
                    "ext" => tel_digits(value).collect(),
                    _ => value.bytes().map(|b| b.to_ascii_lowercase()).collect(),
                };
                (name, value)
            })
            .collect();
        params.sort();
        for (name, value) in params {
            part(out, &mut name.bytes());
            part(out, &mut value.into_iter());
        }
        Some(())
    }
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
    fn tel_numbers_compare_their_context_and_parameters() {
        // RFC 3966 4: a local number is only equal within the same phone-context.
        assert!(same(
            "tel:7042;phone-context=example.com",
            "tel:70-42;phone-context=EXAMPLE.com"
        ));
        assert!(!same(
            "tel:7042;phone-context=example.com",
            "tel:7042;phone-context=example.net"
        ));
        assert!(same(
            "tel:863-1234;phone-context=+1-914-555",
            "tel:8631234;phone-context=+1914555"
        ));
        // A local number needs a context; global and local never match.
        assert!(!same("tel:7042", "tel:7042"));
        assert!(!same("tel:+7042", "tel:7042;phone-context=+1"));
        // Parameters must be the same set.
        assert!(!same("tel:+15550100;ext=1", "tel:+15550100"));
        assert!(same("tel:+15550100;ext=1-2", "tel:+15550100;ext=12"));
    }

    #[test]
    fn sip_user_phone_is_the_number_it_carries() {
        assert!(same(
            "sip:+1-555-0100@ims.example;user=phone",
            "tel:+15550100"
        ));
        assert!(same(
            "tel:+15550100",
            "sip:+15550100@ims.example;user=phone"
        ));
        assert!(!same(
            "sip:+15550101@ims.example;user=phone",
            "tel:+15550100"
        ));
        // Without user=phone a sip user is a name, not a number.
        assert!(!same("sip:+15550100@ims.example", "tel:+15550100"));
        assert!(!same(
            "sip:+15550100@ims.example;user=phone",
            "sip:+15550100@ims.example"
        ));
        assert!(same(
            "sip:+1-555-0100@ims.example;user=phone",
            "sip:+15550100@IMS.example;user=phone"
        ));
        // The number is the identity, whatever the host.
        assert!(same(
            "sip:+15550100@ims.example;user=phone",
            "sip:+15550100@other.example;user=phone"
        ));
        // A local number in a sip URI compares its context too.
        assert!(same(
            "sip:7042;phone-context=example.com@ims.example;user=phone",
            "tel:7042;phone-context=example.com"
        ));
        // Escapes in the number are not compared: refused.
        assert!(!same(
            "sip:%2B15550100@ims.example;user=phone",
            "tel:+15550100"
        ));
    }

    #[test]
    fn passwords_are_part_of_the_userinfo() {
        assert!(!same("sip:bob:secret@ims.example", "sip:bob@ims.example"));
        assert!(same(
            "sip:bob:secret@ims.example",
            "sip:bob:secret@ims.example"
        ));
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
            "tel:+15550100;ext=1-2",
            "tel:+15550100;EXT=12",
            "tel:7042;phone-context=example.com",
            "tel:70-42;phone-context=EXAMPLE.com",
            "tel:7042;phone-context=example.net",
            "tel:7042",
            "sip:+1-555-0100@ims.example;user=phone",
            "sip:+15550100@other.example;user=phone",
            "sip:+15550100@ims.example",
            "sip:7042;phone-context=example.com@ims.example;user=phone",
            "sip:bob:secret@ims.example",
            "sip:bob:Secret@ims.example",
        ];
        for a in uris {
            for b in uris {
                let (ua, ub) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
                // No key (a local number without context) binds nothing and equals nothing.
                let keyed_alike = matches!(
                    (aor_key(&ua), aor_key(&ub)),
                    (Some(x), Some(y)) if x == y
                );
                assert_eq!(keyed_alike, same_aor(&ua, &ub), "{a} {b}");
            }
        }
    }
}
