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
}
