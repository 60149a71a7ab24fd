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
///   equals a tel URI with the same number, and another such sip URI with the same
///   number and host. Its number must be written without %-escapes.
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
                (true, true) => {
                    let numbers = match (
                        a.user().and_then(Subscriber::of_user),
                        b.user().and_then(Subscriber::of_user),
                    ) {
                        (Some(x), Some(y)) => x.same(&y),
                        _ => false,
                    };
                    return numbers && same_host(a, b);
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
        assert!(!same(
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
}
