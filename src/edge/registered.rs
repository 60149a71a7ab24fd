//! What a 2xx to REGISTER reports (TS 24.229 5.2.2.2): a view over the core's response
//! rather than a copy of it, so relaying a refresh allocates nothing for it. The values
//! are read (and parsed) when asked for; the edge's own state compares the fields' raw
//! text first and parses only what changed.

use std::hash::{DefaultHasher, Hasher};
use std::ops::Range;

use crate::message::header::{Contact, NameAddr, split_list};
use crate::message::{HeaderName, Message};

/// The registration a successful REGISTER leaves behind, as the core's 2xx states it
/// (TS 24.229 5.2.2.2: the P-CSCF keeps Service-Route and P-Associated-URI for the
/// user's later requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    response: Message,
    aor: Range<usize>,
    /// The AOR in its binding form, read with the response's checks (`None` for an
    /// AOR that is not sip, sips or tel, which the edge keeps no registration for).
    aor_key: Option<Box<[u8]>>,
    expires: Option<u32>,
}

impl Registered {
    /// The view over `response`, a 2xx to REGISTER whose To URI is the bytes `aor`
    /// of its text, with the binding form `aor_key`, and whose Expires header says
    /// `expires`.
    pub(crate) fn new(
        response: Message,
        aor: Range<usize>,
        aor_key: Option<Box<[u8]>>,
        expires: Option<u32>,
    ) -> Option<Registered> {
        std::str::from_utf8(response.as_bytes().get(aor.clone())?).ok()?;
        Some(Registered {
            response,
            aor,
            aor_key,
            expires,
        })
    }

    /// The AOR in its binding form ([`super::aor::aor_key`]).
    pub(crate) fn aor_key(&self) -> Option<&[u8]> {
        self.aor_key.as_deref()
    }

    /// The address of record (the To URI).
    pub fn aor(&self) -> &str {
        // A slice of a header value the RFC 3261 check read as UTF-8.
        self.response
            .as_bytes()
            .get(self.aor.clone())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// The Service-Route URIs, in order (RFC 3608); entries that do not parse are
    /// skipped.
    pub fn service_route(&self) -> impl Iterator<Item = &str> + '_ {
        self.uris(HeaderName::ServiceRoute)
    }

    /// The P-Associated-URI values, in order (RFC 7315); entries that do not parse are
    /// skipped.
    pub fn associated_uris(&self) -> impl Iterator<Item = &str> + '_ {
        self.uris(HeaderName::PAssociatedUri)
    }

    /// The bindings the registrar holds, each with its granted lifetime in seconds
    /// (its `expires` parameter, else the Expires header, else 3600: RFC 3261 10.2.4).
    pub fn contacts(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        let expires = self.expires;
        self.items(HeaderName::Contact)
            .filter_map(move |item| match Contact::parse(item) {
                Ok(Contact::Addr(addr)) => {
                    let granted = addr.expires().or(expires).unwrap_or(3600);
                    Some((addr.uri().as_str(), granted))
                }
                _ => None,
            })
    }

    /// The response this view reads.
    pub fn response(&self) -> &Message {
        &self.response
    }

    /// A digest of the raw Service-Route and P-Associated-URI field values, in order:
    /// equal digests mean (but for a 2^-64 accident) the same route and identity set,
    /// which lets a refresh skip parsing them again.
    pub(crate) fn core_fields_digest(&self) -> u64 {
        let mut h = DefaultHasher::new();
        for name in [HeaderName::ServiceRoute, HeaderName::PAssociatedUri] {
            for field in self.response.find(name) {
                h.write(self.response.value_bytes(field));
                h.write_u8(b'\n');
            }
            h.write_u8(0);
        }
        h.finish()
    }

    fn items(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.response
            .find(name)
            .filter_map(|field| self.response.value_str(field).ok())
            .flat_map(|text| split_list(text).map(|(_, item)| item))
    }

    fn uris(&self, name: HeaderName) -> impl Iterator<Item = &str> + '_ {
        self.items(name)
            .filter_map(|item| NameAddr::parse(item).ok().map(|a| a.uri().as_str()))
    }
}
