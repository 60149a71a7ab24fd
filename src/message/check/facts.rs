//! What the validator learnt about a message while checking it: the typed values of the
//! headers RFC 3261 makes mandatory and of those a proxy acts on, each with where it
//! sits, so the stages after validation neither re-parse nor walk the header list again.

use smallvec::SmallVec;

use crate::message::Span;
use crate::message::header::{CSeq, NameAddr, Uri, Via};

/// A header value that was read: the field it is in, the bytes of the value, and its
/// typed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// Index of the field in [`crate::message::Message::headers`].
    pub index: usize,
    /// The value's bytes in message coordinates.
    pub span: Span,
    /// The typed value.
    pub value: T,
}

/// Where the fields of one header name are: the first one and how many there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields {
    /// Index of the first field, if any.
    pub first: Option<usize>,
    /// How many fields carry the name (saturating at 255).
    pub count: u8,
}

impl Fields {
    pub(crate) fn note(&mut self, index: usize) {
        self.first = self.first.or(Some(index));
        self.count = self.count.saturating_add(1);
    }

    /// Whether no field carries the name.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The topmost via-parm: on a request the client's (where the edge records `received`
/// and `rport`, RFC 3261 18.2.1, RFC 3581), on a response the hop that must be this
/// element's (RFC 3261 16.7 step 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopVia<'m> {
    /// Index of the Via field holding it.
    pub index: usize,
    /// The via-parm's bytes (one element of a possibly comma-separated field).
    pub span: Span,
    /// The parsed via-parm.
    pub via: Via<'m>,
    /// The `received=...` parameter's bytes, when present.
    pub received: Option<Span>,
    /// The `rport[=...]` parameter's bytes, when present.
    pub rport: Option<Span>,
    /// Whether further via-parms follow in the same field.
    pub more_in_field: bool,
    /// How many via-parms the message carries in all.
    pub total: usize,
}

/// The `expires` parameters of the Contact addresses, in order: their bytes and the
/// seconds each asks for. Held inline for the usual few (no allocation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpiresParams(SmallVec<[(Span, u32); 4]>);

impl ExpiresParams {
    pub(crate) fn push(&mut self, value: (Span, u32)) {
        self.0.push(value);
    }

    /// Each parameter's bytes and seconds.
    pub fn iter(&self) -> impl Iterator<Item = &(Span, u32)> {
        self.0.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where the Contact addresses' URIs are: the first few, inline (no allocation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactUris(SmallVec<[Span; 2]>);

impl ContactUris {
    /// The most URIs recorded (a registration keeps no more bindings than that).
    pub const MAX: usize = 8;

    pub(crate) fn push(&mut self, span: Span) {
        if self.0.len() < Self::MAX {
            self.0.push(span);
        }
    }

    /// Each URI's bytes, in message coordinates.
    pub fn iter(&self) -> impl Iterator<Item = Span> + '_ {
        self.0.iter().copied()
    }
}

/// What the Contact fields ask for (RFC 3261 10.2.1, RFC 5626 4.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contacts {
    /// `Contact: *` (removal of every binding; alone, with `Expires: 0`).
    pub star: bool,
    /// How many addresses are listed.
    pub bindings: usize,
    /// Whether an address carries both `reg-id` and `+sip.instance` (the client uses
    /// outbound, RFC 5626 5.2).
    pub outbound: bool,
    /// Whether an address has no `expires` parameter (so the Expires header, or the
    /// registrar's default, sets its lifetime).
    pub without_expires: bool,
    /// Each `expires` parameter value: its bytes and the seconds it asks for.
    pub expires_params: ExpiresParams,
    /// Where each address's URI is, in message coordinates, in order (the first 8).
    pub uris: ContactUris,
}

/// The facts of a request that passed [`super::check_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts<'m> {
    /// The method.
    pub method: &'m str,
    /// The Request-URI, parsed.
    pub request_uri: Uri<'m>,
    /// The Request-URI's bytes.
    pub request_uri_span: Span,
    /// To (for a REGISTER, the address of record, RFC 3261 10.3 step 5).
    pub to: Located<NameAddr<'m>>,
    /// From.
    pub from: Located<NameAddr<'m>>,
    /// Call-ID, trimmed.
    pub call_id: Located<&'m str>,
    /// CSeq; its method equals the request's.
    pub cseq: Located<CSeq<'m>>,
    /// The client's Via.
    pub via: TopVia<'m>,
    /// What the Contact fields ask for.
    pub contacts: Contacts,
    /// The Expires header, when present.
    pub expires: Option<Located<u32>>,
    /// Max-Forwards, when present (RFC 2543 elements omit it, RFC 4475 3.4.1).
    pub max_forwards: Option<Located<u8>>,
    /// The Route fields.
    pub route: Fields,
    /// The Proxy-Require fields (their option tags passed the proxy's check).
    pub proxy_require: Fields,
    /// Index of the (first) Content-Length field, where added headers go before.
    pub content_length: Option<usize>,
}

/// The facts of a response that passed [`super::check_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFacts<'m> {
    /// The status code.
    pub status: u16,
    /// To.
    pub to: Located<NameAddr<'m>>,
    /// CSeq.
    pub cseq: Located<CSeq<'m>>,
    /// The topmost Via.
    pub via: TopVia<'m>,
    /// The Expires header, when present.
    pub expires: Option<Located<u32>>,
}
