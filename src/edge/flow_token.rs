//! Flow tokens: the caller's flow id carried in the edge's own Via branch and Path URI,
//! protected by a keyed MAC, so responses and terminating requests find their way
//! back to the client connection without per-transaction state (RFC 3261 16.11,
//! RFC 5626 5.2).
//!
//! A flow id alone is not enough to authenticate: hosts reuse connection ids after a
//! restart (Kamailio connection ids, PJSIP transport pointers), so each token also
//! carries the instance epoch the host draws at start-up, and a Path token is bound to
//! the address of record it was registered for. Branch and Path tokens are MAC'd under
//! distinct labels, so one cannot be passed off as the other, and every byte of each
//! is covered. A previous key is accepted next to the current one, so the key can be
//! rotated without breaking transactions and registrations in flight.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::aor::aor_key;
use super::inbound::FlowId;
use crate::message::header::Uri;
use crate::message::{Base64UrlText, Token, ValueBuilder};

/// The RFC 3261 magic cookie every branch starts with.
pub const BRANCH_COOKIE: &str = "z9hG4bK";
/// What follows the cookie in branches minted by this edge.
const BRANCH_TAG: &str = "oa";
/// Domain-separation labels: a MAC made for one kind of token never verifies as another.
/// One byte each, so every MAC input fits one SHA-256 block after the key's (an HMAC
/// then costs two compressions).
const BRANCH_LABEL: &[u8] = b"B";
const PATH_LABEL: &[u8] = b"P";
const PATH_AOR_LABEL: &[u8] = b"p";
const CLIENT_BRANCH_LABEL: &[u8] = b"C";
const RR_LABEL: &[u8] = b"R";
const RR_AOR_LABEL: &[u8] = b"r";
/// What follows the cookie in branches of requests the edge sends toward a client.
const CLIENT_BRANCH_TAG: &str = "ot";
/// What a Record-Route token starts with, so it is never taken for a Path token.
const RR_PREFIX: &str = "r";
const FLOW_LEN: usize = 8;
const TX_LEN: usize = 8;
const EXPIRY_LEN: usize = 4;
const EPOCH_LEN: usize = 8;
/// Bytes of the branch MAC: 88 bits make a forgery a 2^-88 guess, and bring the branch
/// to a multiple of 3 bytes, so its base64url has no padding bits to bend.
const BRANCH_MAC_LEN: usize = 11;
/// Branch layout: flow id, transaction hash, token expiry, epoch, MAC over all of them.
const BRANCH_RAW_LEN: usize = FLOW_LEN + TX_LEN + EXPIRY_LEN + EPOCH_LEN + BRANCH_MAC_LEN;
/// Encoded length of a branch token (without cookie and tag).
const BRANCH_B64_LEN: usize = BRANCH_RAW_LEN / 3 * 4;
/// Bytes of the Path token's AOR binding and of its MAC (together 160 bits).
const AOR_TAG_LEN: usize = 8;
const PATH_MAC_LEN: usize = 12;
/// Path layout: flow id, epoch, AOR binding, MAC over all of them.
pub(crate) const PATH_RAW_LEN: usize = FLOW_LEN + EPOCH_LEN + AOR_TAG_LEN + PATH_MAC_LEN;
/// Encoded length of a Path flow token.
const PATH_B64_LEN: usize = PATH_RAW_LEN / 3 * 4;
const _: () = assert!(BRANCH_RAW_LEN % 3 == 0 && PATH_RAW_LEN % 3 == 0);

/// Why a flow token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FlowTokenError {
    /// The branch was not minted by an edge (wrong prefix or length).
    #[error("not a flow token minted by this edge")]
    Foreign,
    /// The token is not valid base64url.
    #[error("flow token is not valid base64url")]
    Encoding,
    /// The MAC does not verify: tampered, or minted with another key.
    #[error("flow token MAC does not verify")]
    BadMac,
    /// The token is authentic but was minted by an earlier start of this edge (another
    /// epoch): the connection id it names may now be another user's connection.
    #[error("flow token minted by an earlier start of this edge (epoch {minted})")]
    EarlierEpoch {
        /// The epoch the token was minted in.
        minted: u64,
    },
    /// The Path token is authentic but was minted for another address of record.
    #[error("Path flow token minted for another address of record")]
    OtherAor,
    /// The address of record it was presented for is not a SIP, SIPS or tel URI.
    #[error("the address of record is not a sip, sips or tel URI")]
    BadAor,
    /// The key given to [`FlowTokenCodec::new`] is too short.
    #[error("flow token key shorter than 16 bytes")]
    WeakKey,
}

/// What an authentic branch of this edge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchInfo {
    /// The client flow the request came on.
    pub flow: FlowId,
    /// The expiry of the token that admitted the request, in seconds since the Unix
    /// epoch (`None` when the token had none).
    pub token_expires: Option<u64>,
}

/// Which of the edge's route URIs a token is the user part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    /// The Path of a registration (RFC 3327, RFC 5626 5.2).
    Path,
    /// The Record-Route of a dialog (RFC 3261 16.6 step 4).
    RecordRoute,
}

impl RouteKind {
    fn labels(self) -> (&'static [u8], &'static [u8]) {
        match self {
            RouteKind::Path => (PATH_LABEL, PATH_AOR_LABEL),
            RouteKind::RecordRoute => (RR_LABEL, RR_AOR_LABEL),
        }
    }
}

/// The two route tokens of one registration (a flow and an address of record), as bytes
/// and as their base64url text: they depend on nothing else, so the edge mints them once
/// when the registration is made and keeps them with it, and a Path, a Record-Route or a
/// check of a token's AOR binding costs no MAC and no encoding afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouteTokens {
    /// The user part of the Path URI.
    pub path: [u8; PATH_RAW_LEN],
    /// The user part of the Record-Route URI (after its prefix).
    pub record_route: [u8; PATH_RAW_LEN],
    /// `path` as written.
    pub path_text: PathText,
    /// `record_route` as written (after the prefix).
    pub record_route_text: PathText,
}

/// A route token's text: the user part of the Path URI, or of the Record-Route URI after
/// its prefix.
pub(crate) type PathText = Base64UrlText<PATH_B64_LEN>;

impl RouteTokens {
    /// The tokens of `path` and `record_route`, with their text.
    pub(crate) fn new(path: [u8; PATH_RAW_LEN], record_route: [u8; PATH_RAW_LEN]) -> RouteTokens {
        RouteTokens {
            path_text: PathText::of(&path),
            record_route_text: PathText::of(&record_route),
            path,
            record_route,
        }
    }

    fn of(&self, kind: RouteKind) -> &[u8; PATH_RAW_LEN] {
        match kind {
            RouteKind::Path => &self.path,
            RouteKind::RecordRoute => &self.record_route,
        }
    }
}

/// A route token whose MAC and epoch verified ([`FlowTokenCodec::open_route`]); its AOR
/// binding is checked against the registrations of the flow it names.
#[derive(Debug, Clone)]
pub(crate) struct OpenedRoute {
    /// Path or Record-Route.
    pub kind: RouteKind,
    /// The client flow it names.
    pub flow: FlowId,
    raw: [u8; PATH_RAW_LEN],
    /// Which key verified it (0 current, 1 previous).
    key: usize,
}

/// Mints and checks flow tokens with one secret key (and optionally the previous one,
/// accepted while a rotation settles). Share one codec across threads; every instance of
/// a scaled-out edge needs the same key and epoch only if responses may reach another
/// instance.
#[derive(Clone)]
pub struct FlowTokenCodec {
    current: Hmac<Sha256>,
    previous: Option<Hmac<Sha256>>,
    epoch: u64,
}

impl std::fmt::Debug for FlowTokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowTokenCodec")
            .field("epoch", &self.epoch)
            .field("previous_key", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

fn keyed(key: &[u8]) -> Result<Hmac<Sha256>, FlowTokenError> {
    if key.len() < FlowTokenCodec::MIN_KEY_LEN {
        return Err(FlowTokenError::WeakKey);
    }
    <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| FlowTokenError::WeakKey)
}

fn tag<const N: usize>(key: &Hmac<Sha256>, label: &[u8], parts: &[&[u8]]) -> [u8; N] {
    let mut m = key.clone();
    m.update(label);
    for p in parts {
        m.update(p);
    }
    let full = m.finalize().into_bytes();
    let mut out = [0u8; N];
    out.copy_from_slice(&full[..N]);
    out
}

fn decode<const N: usize>(text: &str, len: usize) -> Result<[u8; N], FlowTokenError> {
    if text.len() != len {
        return Err(FlowTokenError::Foreign);
    }
    let mut raw = [0u8; N];
    let n = URL_SAFE_NO_PAD
        .decode_slice(text, &mut raw)
        .map_err(|_| FlowTokenError::Encoding)?;
    if n != N {
        return Err(FlowTokenError::Encoding);
    }
    Ok(raw)
}

fn u64_at(raw: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(raw.get(at..at + 8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(b)
}

impl FlowTokenCodec {
    /// Shortest key accepted, in bytes.
    pub const MIN_KEY_LEN: usize = 16;

    /// A codec keyed with `key`: at least [`FlowTokenCodec::MIN_KEY_LEN`] bytes, and
    /// 32 random bytes are recommended. Its epoch is 0 until [`FlowTokenCodec::with_epoch`].
    pub fn new(key: &[u8]) -> Result<FlowTokenCodec, FlowTokenError> {
        Ok(FlowTokenCodec {
            current: keyed(key)?,
            previous: None,
            epoch: 0,
        })
    }

    /// Also accepts tokens minted with `key`, the key before a rotation (new tokens are
    /// minted with the current key only).
    pub fn with_previous_key(mut self, key: &[u8]) -> Result<FlowTokenCodec, FlowTokenError> {
        self.previous = Some(keyed(key)?);
        Ok(self)
    }

    /// Sets the instance epoch: a value the host draws anew at every start, so tokens
    /// minted before a restart (whose connection ids the host may have reused) are
    /// refused with [`FlowTokenError::EarlierEpoch`].
    pub fn with_epoch(mut self, epoch: u64) -> FlowTokenCodec {
        self.epoch = epoch;
        self
    }

    /// The instance epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The current key, then the previous one.
    fn keys(&self) -> impl Iterator<Item = &Hmac<Sha256>> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// The branch for the edge's Via when forwarding a request from `flow`.
    /// `transaction` identifies the client transaction (its Via, Call-ID and CSeq), so
    /// retransmissions get the same branch and distinct transactions different ones;
    /// `token_expires` (seconds since the Unix epoch) is the expiry of the token that
    /// admitted the request, read back by the response path. Every byte is MAC'd.
    pub fn branch(
        &self,
        flow: FlowId,
        transaction: &[&[u8]],
        token_expires: Option<u64>,
    ) -> String {
        let mut out =
            ValueBuilder::with_capacity(BRANCH_COOKIE.len() + BRANCH_TAG.len() + BRANCH_B64_LEN);
        self.push_branch(&mut out, flow, transaction, token_expires);
        out.as_str().to_owned()
    }

    /// Appends the branch of [`FlowTokenCodec::branch`] to a header value being built.
    pub fn push_branch(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        transaction: &[&[u8]],
        token_expires: Option<u64>,
    ) {
        self.push_branch_of(out, flow, TransactionHash::of(transaction), token_expires);
    }

    /// [`FlowTokenCodec::push_branch`] with the transaction hashed already (it also
    /// goes into the charging identifier).
    pub(crate) fn push_branch_of(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        transaction: TransactionHash,
        token_expires: Option<u64>,
    ) {
        const PREFIX: Token = Token::from_static(concat!("z9hG4bK", "oa"));
        self.push_branch_as(
            out,
            (&PREFIX, BRANCH_LABEL),
            flow,
            transaction,
            token_expires,
        );
    }

    /// Appends the branch of a request the edge sends toward the client `flow` (a
    /// terminating request): minted under its own label, so a response from the core
    /// can never pass for a client's and the reverse.
    pub(crate) fn push_client_branch(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        transaction: &[&[u8]],
    ) {
        const PREFIX: Token = Token::from_static(concat!("z9hG4bK", "ot"));
        let transaction = TransactionHash::of(transaction);
        self.push_branch_as(out, (&PREFIX, CLIENT_BRANCH_LABEL), flow, transaction, None);
    }

    fn push_branch_as(
        &self,
        out: &mut ValueBuilder,
        (prefix, label): (&Token, &[u8]),
        flow: FlowId,
        transaction: TransactionHash,
        token_expires: Option<u64>,
    ) {
        let mut raw = [0u8; BRANCH_RAW_LEN];
        let body = BRANCH_RAW_LEN - BRANCH_MAC_LEN;
        raw[..FLOW_LEN].copy_from_slice(&flow.0.to_be_bytes());
        raw[FLOW_LEN..FLOW_LEN + TX_LEN].copy_from_slice(&transaction.0.to_be_bytes());
        // Seconds fit 32 bits until 2106; a later expiry is written as the largest.
        let expires = token_expires.map_or(0, |e| u32::try_from(e).unwrap_or(u32::MAX).max(1));
        let at = FLOW_LEN + TX_LEN;
        raw[at..at + EXPIRY_LEN].copy_from_slice(&expires.to_be_bytes());
        raw[at + EXPIRY_LEN..body].copy_from_slice(&self.epoch.to_be_bytes());
        let mac: [u8; BRANCH_MAC_LEN] = tag(&self.current, label, &[&raw[..body]]);
        raw[body..].copy_from_slice(&mac);
        out.push(prefix).push_base64url(&raw);
    }

    /// Checks a branch minted by [`FlowTokenCodec::branch`] and returns what it carries.
    pub fn verify_branch(&self, branch: &str) -> Result<BranchInfo, FlowTokenError> {
        self.verify_branch_as(branch, BRANCH_TAG, BRANCH_LABEL)
    }

    /// Checks the branch of a request the edge sent toward a client
    /// ([`FlowTokenCodec::push_client_branch`]), as a client's response carries it back.
    pub(crate) fn verify_client_branch(&self, branch: &str) -> Result<BranchInfo, FlowTokenError> {
        self.verify_branch_as(branch, CLIENT_BRANCH_TAG, CLIENT_BRANCH_LABEL)
    }

    fn verify_branch_as(
        &self,
        branch: &str,
        kind: &str,
        label: &[u8],
    ) -> Result<BranchInfo, FlowTokenError> {
        let text = branch
            .strip_prefix(BRANCH_COOKIE)
            .and_then(|b| b.strip_prefix(kind))
            .ok_or(FlowTokenError::Foreign)?;
        let raw: [u8; BRANCH_RAW_LEN] = decode(text, BRANCH_B64_LEN)?;
        let body = BRANCH_RAW_LEN - BRANCH_MAC_LEN;
        let authentic = self.keys().any(|k| {
            let mac: [u8; BRANCH_MAC_LEN] = tag(k, label, &[&raw[..body]]);
            constant_time_eq(&mac, &raw[body..])
        });
        if !authentic {
            return Err(FlowTokenError::BadMac);
        }
        let minted = u64_at(&raw, body - EPOCH_LEN);
        if minted != self.epoch {
            return Err(FlowTokenError::EarlierEpoch { minted });
        }
        let at = FLOW_LEN + TX_LEN;
        let mut e = [0u8; EXPIRY_LEN];
        e.copy_from_slice(&raw[at..at + EXPIRY_LEN]);
        let expires = u32::from_be_bytes(e);
        Ok(BranchInfo {
            flow: FlowId(u64_at(&raw, 0)),
            token_expires: (expires != 0).then_some(u64::from(expires)),
        })
    }

    /// The flow of a branch minted by [`FlowTokenCodec::branch`].
    pub fn flow_from_branch(&self, branch: &str) -> Result<FlowId, FlowTokenError> {
        self.verify_branch(branch).map(|b| b.flow)
    }

    /// The flow token for the user part of the edge's Path URI (RFC 5626 5.2), so a
    /// terminating request routed through that Path can be sent down the same flow. It
    /// is bound to `aor`, the address of record registered: equivalent spellings of the
    /// AOR give the same token. `None` when `aor` is not a sip, sips or tel URI.
    pub fn path_token(&self, flow: FlowId, aor: &Uri<'_>) -> Option<String> {
        let mut out = ValueBuilder::with_capacity(PATH_B64_LEN);
        self.push_path_token(&mut out, flow, aor)?;
        Some(out.as_str().to_owned())
    }

    /// Appends the token of [`FlowTokenCodec::path_token`] to a header value being built.
    pub fn push_path_token(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        aor: &Uri<'_>,
    ) -> Option<()> {
        self.push_path_token_for_key(out, flow, &aor_key(aor)?);
        Some(())
    }

    /// [`FlowTokenCodec::push_path_token`] for an AOR already in its binding form.
    pub(crate) fn push_path_token_for_key(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        aor_key: &[u8],
    ) {
        out.push_base64url(&self.route_raw(RouteKind::Path, flow, aor_key));
    }

    /// Both route tokens of the client `flow` registered as the address of record whose
    /// key is `aor_key`.
    pub(crate) fn route_tokens(&self, flow: FlowId, aor_key: &[u8]) -> RouteTokens {
        RouteTokens::new(
            self.route_raw(RouteKind::Path, flow, aor_key),
            self.route_raw(RouteKind::RecordRoute, flow, aor_key),
        )
    }

    /// Appends the user part of the edge's Record-Route URI for a dialog of a client's
    /// registration (RFC 3261 16.6 step 4), from the registration's `tokens`: later
    /// requests of the dialog, from either side, name the flow through it, bound to
    /// the AOR as a Path token is, under labels of its own.
    pub(crate) fn push_record_route_token(out: &mut ValueBuilder, tokens: &RouteTokens) {
        const PREFIX: Token = Token::from_static(RR_PREFIX);
        out.push(&PREFIX).push(&tokens.record_route_text);
    }

    fn route_raw(&self, kind: RouteKind, flow: FlowId, aor_key: &[u8]) -> [u8; PATH_RAW_LEN] {
        let (label, aor_label) = kind.labels();
        let mut raw = [0u8; PATH_RAW_LEN];
        raw[..FLOW_LEN].copy_from_slice(&flow.0.to_be_bytes());
        raw[FLOW_LEN..FLOW_LEN + EPOCH_LEN].copy_from_slice(&self.epoch.to_be_bytes());
        let head = FLOW_LEN + EPOCH_LEN;
        // The AOR binding covers the AOR alone; the MAC below covers it with the flow
        // and the epoch.
        let bound: [u8; AOR_TAG_LEN] = tag(&self.current, aor_label, &[aor_key]);
        raw[head..head + AOR_TAG_LEN].copy_from_slice(&bound);
        let body = head + AOR_TAG_LEN;
        let mac: [u8; PATH_MAC_LEN] = tag(&self.current, label, &[&raw[..body]]);
        raw[body..].copy_from_slice(&mac);
        raw
    }

    /// Opens the user part of one of the edge's own route URIs (Path or Record-Route):
    /// checks its MAC and its epoch, and returns the flow it names with what is needed
    /// to check, later, which address of record it was minted for. A token of an
    /// earlier start is reported as such (the flow it names is gone: RFC 5626 5.3 has
    /// the edge answer 430).
    pub(crate) fn open_route(&self, user: &str) -> Result<OpenedRoute, FlowTokenError> {
        let (kind, text) = match user.strip_prefix(RR_PREFIX) {
            Some(rest) if user.len() == PATH_B64_LEN + RR_PREFIX.len() => {
                (RouteKind::RecordRoute, rest)
            }
            _ => (RouteKind::Path, user),
        };
        let raw: [u8; PATH_RAW_LEN] = decode(text, PATH_B64_LEN)?;
        let body = FLOW_LEN + EPOCH_LEN + AOR_TAG_LEN;
        let (label, _) = kind.labels();
        let key = self
            .keys()
            .position(|k| {
                let mac: [u8; PATH_MAC_LEN] = tag(k, label, &[&raw[..body]]);
                constant_time_eq(&mac, &raw[body..])
            })
            .ok_or(FlowTokenError::BadMac)?;
        let minted = u64_at(&raw, FLOW_LEN);
        if minted != self.epoch {
            return Err(FlowTokenError::EarlierEpoch { minted });
        }
        Ok(OpenedRoute {
            kind,
            flow: FlowId(u64_at(&raw, 0)),
            raw,
            key,
        })
    }

    /// Whether an opened route token was minted for the registration whose tokens are
    /// `tokens` and whose address of record has the key ([`aor_key`]) `aor_key`. A
    /// token of the current key binds to the AOR exactly when its binding bytes are the
    /// registration's own; one of the previous key is checked by its MAC.
    pub(crate) fn route_bound_to_registration(
        &self,
        opened: &OpenedRoute,
        tokens: &RouteTokens,
        aor_key: &[u8],
    ) -> bool {
        if opened.key != 0 {
            return self.route_bound_to(opened, aor_key);
        }
        let at = FLOW_LEN + EPOCH_LEN..FLOW_LEN + EPOCH_LEN + AOR_TAG_LEN;
        let (Some(mine), Some(theirs)) =
            (tokens.of(opened.kind).get(at.clone()), opened.raw.get(at))
        else {
            return false;
        };
        constant_time_eq(mine, theirs)
    }

    /// Whether an opened route token was minted for the address of record whose key
    /// ([`aor_key`]) is `aor_key`.
    pub(crate) fn route_bound_to(&self, opened: &OpenedRoute, aor_key: &[u8]) -> bool {
        let Some(key) = self.keys().nth(opened.key) else {
            return false;
        };
        let head = FLOW_LEN + EPOCH_LEN;
        let (_, aor_label) = opened.kind.labels();
        let bound: [u8; AOR_TAG_LEN] = tag(key, aor_label, &[aor_key]);
        constant_time_eq(&bound, &opened.raw[head..head + AOR_TAG_LEN])
    }

    /// Checks a Path URI user part minted by [`FlowTokenCodec::path_token`], presented
    /// for the address of record `aor` (the registered AOR the terminating request is
    /// for), and returns the flow it names. The errors say exactly why not: a foreign or
    /// tampered token, one from an earlier start of the edge, or one minted for another
    /// AOR.
    pub fn flow_from_path_token(&self, token: &str, aor: &str) -> Result<FlowId, FlowTokenError> {
        if token.len() != PATH_B64_LEN {
            return Err(FlowTokenError::Foreign);
        }
        let opened = self.open_route(token)?;
        let aor = Uri::parse(aor).map_err(|_| FlowTokenError::BadAor)?;
        let aor = aor_key(&aor).ok_or(FlowTokenError::BadAor)?;
        if !self.route_bound_to(&opened, &aor) {
            return Err(FlowTokenError::OtherAor);
        }
        Ok(opened.flow)
    }

    /// A charging identifier (hex) for a request: its flow and transaction hash, so it
    /// is unique per transaction and identical for retransmissions.
    pub(crate) fn push_icid(
        &self,
        out: &mut ValueBuilder,
        flow: FlowId,
        transaction: TransactionHash,
    ) {
        let mut raw = [0u8; FLOW_LEN + TX_LEN];
        raw[..FLOW_LEN].copy_from_slice(&flow.0.to_be_bytes());
        raw[FLOW_LEN..].copy_from_slice(&transaction.0.to_be_bytes());
        out.push_hex(&raw);
    }
}

/// A client transaction's identity (its Via, Call-ID and CSeq) hashed: in the branch,
/// so that retransmissions get the same one, and in the charging identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransactionHash(u64);

impl TransactionHash {
    /// FNV-1a over length-prefixed parts: fast, and enough to tell transactions apart
    /// (an attacker gains nothing by making two collide: the flow is what is protected).
    pub(crate) fn of(parts: &[&[u8]]) -> TransactionHash {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |b: u8| {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        };
        for part in parts {
            for b in (part.len() as u32).to_be_bytes() {
                eat(b);
            }
            for &b in *part {
                eat(b);
            }
        }
        TransactionHash(h)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri<'_> {
        Uri::parse(s).unwrap()
    }

    #[test]
    fn branch_round_trips_and_is_deterministic() {
        let c = FlowTokenCodec::new(b"k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1").unwrap();
        let b1 = c.branch(
            FlowId(42),
            &[b"z9hG4bKabc", b"call", b"1"],
            Some(1_800_001_800),
        );
        let b2 = c.branch(
            FlowId(42),
            &[b"z9hG4bKabc", b"call", b"1"],
            Some(1_800_001_800),
        );
        let b3 = c.branch(
            FlowId(42),
            &[b"z9hG4bKabd", b"call", b"1"],
            Some(1_800_001_800),
        );
        assert_eq!(b1, b2);
        assert_ne!(b1, b3);
        assert!(b1.starts_with("z9hG4bKoa"));
        assert_eq!(
            c.verify_branch(&b1),
            Ok(BranchInfo {
                flow: FlowId(42),
                token_expires: Some(1_800_001_800)
            })
        );
        assert_eq!(
            c.verify_branch(&c.branch(FlowId(1), &[], None))
                .unwrap()
                .token_expires,
            None
        );
        assert_eq!(
            b1.len(),
            BRANCH_COOKIE.len() + BRANCH_TAG.len() + BRANCH_B64_LEN
        );
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let c = FlowTokenCodec::new(b"key-one-0123456789").unwrap();
        let other = FlowTokenCodec::new(b"key-two-0123456789").unwrap();
        let b = c.branch(FlowId(7), &[b"x"], None);
        assert_eq!(other.flow_from_branch(&b), Err(FlowTokenError::BadMac));
        // Flip one character of the transaction part: it is MAC'd too.
        let mut t: Vec<u8> = b.clone().into_bytes();
        t[25] = if t[25] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap();
        assert_eq!(c.flow_from_branch(&t), Err(FlowTokenError::BadMac));
        assert_eq!(
            c.flow_from_branch("z9hG4bK776asdhds"),
            Err(FlowTokenError::Foreign)
        );
        assert_eq!(c.flow_from_branch(""), Err(FlowTokenError::Foreign));
    }

    #[test]
    fn an_earlier_epoch_is_refused_with_its_own_error() {
        let key = b"key-0123456789abcdef";
        let before = FlowTokenCodec::new(key).unwrap().with_epoch(1);
        let after = FlowTokenCodec::new(key).unwrap().with_epoch(2);
        let b = before.branch(FlowId(7), &[b"x"], None);
        assert_eq!(
            after.flow_from_branch(&b),
            Err(FlowTokenError::EarlierEpoch { minted: 1 })
        );
        let aor = "sip:bob@home.example";
        let p = before.path_token(FlowId(7), &uri(aor)).unwrap();
        assert_eq!(before.flow_from_path_token(&p, aor), Ok(FlowId(7)));
        assert_eq!(
            after.flow_from_path_token(&p, aor),
            Err(FlowTokenError::EarlierEpoch { minted: 1 })
        );
    }

    #[test]
    fn path_tokens_are_bound_to_the_aor() {
        let c = FlowTokenCodec::new(b"key-0123456789abcdef")
            .unwrap()
            .with_epoch(9);
        let t = c
            .path_token(FlowId(u64::MAX), &uri("sip:bob@HOME.example"))
            .unwrap();
        assert_eq!(t.len(), PATH_B64_LEN);
        // Equivalent spellings mint and verify the same token.
        assert_eq!(
            c.path_token(
                FlowId(u64::MAX),
                &uri("sip:%62ob@home.example;transport=ws")
            ),
            Some(t.clone())
        );
        assert_eq!(
            c.flow_from_path_token(&t, "sip:bob@home.example"),
            Ok(FlowId(u64::MAX))
        );
        assert_eq!(
            c.flow_from_path_token(&t, "sip:alice@home.example"),
            Err(FlowTokenError::OtherAor)
        );
        assert_eq!(
            c.flow_from_path_token(&t, "not a uri"),
            Err(FlowTokenError::BadAor)
        );
        assert_eq!(
            FlowTokenCodec::new(b"other-0123456789abc")
                .unwrap()
                .with_epoch(9)
                .flow_from_path_token(&t, "sip:bob@home.example"),
            Err(FlowTokenError::BadMac)
        );
        assert_eq!(
            c.flow_from_path_token("short", "sip:bob@home.example"),
            Err(FlowTokenError::Foreign)
        );
        assert_eq!(
            FlowTokenCodec::new(b"short").err(),
            Some(FlowTokenError::WeakKey)
        );
    }

    #[test]
    fn a_branch_is_not_a_path_token_nor_the_reverse() {
        let c = FlowTokenCodec::new(b"key-0123456789abcdef").unwrap();
        let aor = "sip:bob@home.example";
        let p = c.path_token(FlowId(7), &uri(aor)).unwrap();
        let b = c.branch(FlowId(7), &[], None);
        assert!(c.flow_from_branch(&format!("z9hG4bKoa{p}")).is_err());
        assert!(
            c.flow_from_path_token(&b["z9hG4bKoa".len()..], aor)
                .is_err()
        );
        // Same bytes under the other label do not verify either.
        let raw: [u8; PATH_RAW_LEN] = decode(&p, PATH_B64_LEN).unwrap();
        let body = PATH_RAW_LEN - PATH_MAC_LEN;
        let as_branch: [u8; PATH_MAC_LEN] = tag(&c.current, BRANCH_LABEL, &[&raw[..body]]);
        assert_ne!(&as_branch[..], &raw[body..]);
    }

    #[test]
    fn the_previous_key_is_accepted_during_a_rotation() {
        let (old, new) = (b"old-key-0123456789", b"new-key-0123456789");
        let before = FlowTokenCodec::new(old).unwrap();
        let during = FlowTokenCodec::new(new)
            .unwrap()
            .with_previous_key(old)
            .unwrap();
        let after = FlowTokenCodec::new(new).unwrap();
        let aor = "tel:+1-555-0100";
        let b = before.branch(FlowId(3), &[b"t"], None);
        let p = before.path_token(FlowId(3), &uri(aor)).unwrap();
        assert_eq!(during.flow_from_branch(&b), Ok(FlowId(3)));
        assert_eq!(
            during.flow_from_path_token(&p, "tel:+15550100"),
            Ok(FlowId(3))
        );
        assert_eq!(after.flow_from_branch(&b), Err(FlowTokenError::BadMac));
        assert_eq!(
            after.flow_from_path_token(&p, aor),
            Err(FlowTokenError::BadMac)
        );
        // New tokens are minted with the new key.
        let b2 = during.branch(FlowId(3), &[b"t"], None);
        assert_eq!(after.flow_from_branch(&b2), Ok(FlowId(3)));
        assert_eq!(before.flow_from_branch(&b2), Err(FlowTokenError::BadMac));
    }

    #[test]
    fn a_registrations_kept_tokens_check_route_bindings_as_the_mac_does() {
        let (old, new) = (b"old-key-0123456789", b"new-key-0123456789");
        let before = FlowTokenCodec::new(old).unwrap();
        let codec = FlowTokenCodec::new(new)
            .unwrap()
            .with_previous_key(old)
            .unwrap();
        let key = |s: &str| aor_key(&uri(s)).unwrap();
        let (bob, alice) = (key("sip:bob@home.example"), key("sip:alice@home.example"));
        let bobs = codec.route_tokens(FlowId(5), &bob);
        let alices = codec.route_tokens(FlowId(5), &alice);
        let text = |raw: &[u8; PATH_RAW_LEN], rr: bool| {
            let mut v = ValueBuilder::with_capacity(64);
            if rr {
                v.push(&Token::from_static(RR_PREFIX));
            }
            v.push_base64url(raw);
            v.as_str().to_owned()
        };
        for rr in [false, true] {
            let minted = if rr { &bobs.record_route } else { &bobs.path };
            let opened = codec.open_route(&text(minted, rr)).unwrap();
            assert_eq!(opened.kind == RouteKind::RecordRoute, rr);
            // The kept tokens agree with the MAC check, for the AOR and for another.
            assert!(codec.route_bound_to_registration(&opened, &bobs, &bob));
            assert!(codec.route_bound_to(&opened, &bob));
            assert!(!codec.route_bound_to_registration(&opened, &alices, &alice));
            assert!(!codec.route_bound_to(&opened, &alice));
            // A token of the previous key is checked by its MAC under that key.
            let earlier = before.route_tokens(FlowId(5), &bob);
            let minted = if rr {
                &earlier.record_route
            } else {
                &earlier.path
            };
            let opened = codec.open_route(&text(minted, rr)).unwrap();
            assert!(codec.route_bound_to_registration(&opened, &bobs, &bob));
            assert!(!codec.route_bound_to_registration(&opened, &alices, &alice));
        }
        // The kept Path token is the one a REGISTER writes.
        let mut v = ValueBuilder::with_capacity(64);
        codec.push_path_token_for_key(&mut v, FlowId(5), &bob);
        assert_eq!(v.as_str(), text(&bobs.path, false));
    }
}
