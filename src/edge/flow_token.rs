//! Flow tokens: the caller's flow id carried in the edge's own Via branch and Path URI,
//! protected by a keyed MAC, so responses and terminating requests find their way
//! back to the client connection without per-transaction state (RFC 3261 16.11,
//! RFC 5626 5.2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::inbound::FlowId;
use crate::message::{Token, ValueBuilder};

/// The RFC 3261 magic cookie every branch starts with.
pub const BRANCH_COOKIE: &str = "z9hG4bK";
/// What follows the cookie in branches minted by this edge.
const BRANCH_TAG: &str = "oa";
/// Bytes of MAC kept: 80 bits make a forgery a 2^-80 guess.
const MAC_LEN: usize = 10;
const TX_LEN: usize = 8;
const FLOW_LEN: usize = 8;
/// Encoded length of a branch token (without cookie and tag).
const BRANCH_B64_LEN: usize = (FLOW_LEN + TX_LEN + MAC_LEN).div_ceil(3) * 4 - 1;
/// Encoded length of a Path flow token.
const PATH_B64_LEN: usize = ((FLOW_LEN + MAC_LEN) * 4).div_ceil(3);

/// Why a flow token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FlowTokenError {
    /// The branch was not minted by an edge (wrong prefix or length).
    #[error("not a branch minted by this edge")]
    Foreign,
    /// The token is not valid base64url.
    #[error("flow token is not valid base64url")]
    Encoding,
    /// The MAC does not verify: tampered, or minted with another key.
    #[error("flow token MAC does not verify")]
    BadMac,
    /// The key given to [`FlowTokenCodec::new`] is too short.
    #[error("flow token key shorter than 16 bytes")]
    WeakKey,
}

/// Mints and checks flow tokens with one secret key. Share one codec across threads;
/// every instance of a scaled-out edge needs the same key only if responses may
/// reach another instance.
#[derive(Clone)]
pub struct FlowTokenCodec {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for FlowTokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlowTokenCodec { .. }")
    }
}

impl FlowTokenCodec {
    /// Shortest key accepted, in bytes.
    pub const MIN_KEY_LEN: usize = 16;

    /// A codec keyed with `key`: at least [`FlowTokenCodec::MIN_KEY_LEN`] bytes, and
    /// 32 random bytes are recommended.
    pub fn new(key: &[u8]) -> Result<FlowTokenCodec, FlowTokenError> {
        if key.len() < Self::MIN_KEY_LEN {
            return Err(FlowTokenError::WeakKey);
        }
        let mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| FlowTokenError::WeakKey)?;
        Ok(FlowTokenCodec { mac })
    }

    fn tag(&self, label: &[u8], parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut m = self.mac.clone();
        m.update(label);
        for p in parts {
            m.update(p);
        }
        let full = m.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// The MAC of a flow id: the one keyed computation per request, shared by the
    /// branch and the Path token.
    pub fn flow_mac(&self, flow: FlowId) -> FlowMac {
        FlowMac {
            flow,
            mac: self.tag(b"flow", &[&flow.0.to_be_bytes()]),
        }
    }

    /// The branch for the edge's Via when forwarding a request from `flow`.
    /// `transaction` identifies the client transaction (its Via, Call-ID and CSeq), so
    /// retransmissions get the same branch and distinct transactions different ones.
    /// The transaction part needs uniqueness, not secrecy: only the flow is MAC'd.
    pub fn branch(&self, flow: &FlowMac, transaction: &[&[u8]]) -> String {
        let mut out =
            ValueBuilder::with_capacity(BRANCH_COOKIE.len() + BRANCH_TAG.len() + BRANCH_B64_LEN);
        self.push_branch(&mut out, flow, transaction);
        out.as_str().to_owned()
    }

    /// Appends the branch of [`FlowTokenCodec::branch`] to a header value being built.
    pub fn push_branch(&self, out: &mut ValueBuilder, flow: &FlowMac, transaction: &[&[u8]]) {
        const PREFIX: Token = Token::from_static(concat!("z9hG4bK", "oa"));
        out.push(&PREFIX)
            .push_base64url(&branch_raw(flow, transaction));
    }

    /// Recovers the flow from a branch minted by [`FlowTokenCodec::branch`].
    pub fn flow_from_branch(&self, branch: &str) -> Result<FlowId, FlowTokenError> {
        let body = branch
            .strip_prefix(BRANCH_COOKIE)
            .and_then(|b| b.strip_prefix(BRANCH_TAG))
            .ok_or(FlowTokenError::Foreign)?;
        if body.len() != BRANCH_B64_LEN {
            return Err(FlowTokenError::Foreign);
        }
        let mut raw = [0u8; FLOW_LEN + TX_LEN + MAC_LEN];
        let n = URL_SAFE_NO_PAD
            .decode_slice(body, &mut raw)
            .map_err(|_| FlowTokenError::Encoding)?;
        if n != raw.len() {
            return Err(FlowTokenError::Encoding);
        }
        let mac = self.tag(b"flow", &[&raw[..FLOW_LEN]]);
        if !constant_time_eq(&mac, &raw[FLOW_LEN + TX_LEN..]) {
            return Err(FlowTokenError::BadMac);
        }
        Ok(flow_of(&raw))
    }

    /// The flow token for the user part of the edge's Path URI (RFC 5626 5.2), so a
    /// terminating request routed through that Path can be sent down the same flow.
    pub fn path_token(&self, flow: &FlowMac) -> String {
        let mut out = ValueBuilder::with_capacity(PATH_B64_LEN);
        self.push_path_token(&mut out, flow);
        out.as_str().to_owned()
    }

    /// Appends the token of [`FlowTokenCodec::path_token`] to a header value being built.
    pub fn push_path_token(&self, out: &mut ValueBuilder, flow: &FlowMac) {
        let mut raw = [0u8; FLOW_LEN + MAC_LEN];
        raw[..FLOW_LEN].copy_from_slice(&flow.flow.0.to_be_bytes());
        raw[FLOW_LEN..].copy_from_slice(&flow.mac);
        out.push_base64url(&raw);
    }

    /// Recovers the flow from a Path URI user part minted by [`FlowTokenCodec::path_token`].
    pub fn flow_from_path_token(&self, token: &str) -> Result<FlowId, FlowTokenError> {
        if token.len() != PATH_B64_LEN {
            return Err(FlowTokenError::Foreign);
        }
        let mut raw = [0u8; FLOW_LEN + MAC_LEN];
        let n = URL_SAFE_NO_PAD
            .decode_slice(token, &mut raw)
            .map_err(|_| FlowTokenError::Encoding)?;
        if n != raw.len() {
            return Err(FlowTokenError::Encoding);
        }
        let mac = self.tag(b"flow", &[&raw[..FLOW_LEN]]);
        if !constant_time_eq(&mac, &raw[FLOW_LEN..]) {
            return Err(FlowTokenError::BadMac);
        }
        Ok(flow_of(&raw))
    }

    /// A charging identifier (hex) for a request: its flow and transaction hash, so it
    /// is unique per transaction and identical for retransmissions.
    pub(crate) fn push_icid(&self, out: &mut ValueBuilder, flow: &FlowMac, transaction: &[&[u8]]) {
        let raw = branch_raw(flow, transaction);
        out.push_hex(raw.get(..FLOW_LEN + TX_LEN).unwrap_or_default());
    }
}

/// A flow id with its MAC, computed once per request by [`FlowTokenCodec::flow_mac`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowMac {
    flow: FlowId,
    mac: [u8; MAC_LEN],
}

/// Raw branch bytes: flow, transaction hash, flow MAC.
fn branch_raw(flow: &FlowMac, transaction: &[&[u8]]) -> [u8; FLOW_LEN + TX_LEN + MAC_LEN] {
    let mut raw = [0u8; FLOW_LEN + TX_LEN + MAC_LEN];
    raw[..FLOW_LEN].copy_from_slice(&flow.flow.0.to_be_bytes());
    raw[FLOW_LEN..FLOW_LEN + TX_LEN].copy_from_slice(&transaction_hash(transaction).to_be_bytes());
    raw[FLOW_LEN + TX_LEN..].copy_from_slice(&flow.mac);
    raw
}

/// FNV-1a over length-prefixed parts: fast, and enough to tell transactions apart
/// (an attacker gains nothing by making two collide: the flow is what is protected).
fn transaction_hash(parts: &[&[u8]]) -> u64 {
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
    h
}

fn flow_of(raw: &[u8]) -> FlowId {
    let mut id = [0u8; FLOW_LEN];
    id.copy_from_slice(&raw[..FLOW_LEN]);
    FlowId(u64::from_be_bytes(id))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_round_trips_and_is_deterministic() {
        let c = FlowTokenCodec::new(b"k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1").unwrap();
        let f = c.flow_mac(FlowId(42));
        let b1 = c.branch(&f, &[b"z9hG4bKabc", b"call", b"1"]);
        let b2 = c.branch(&f, &[b"z9hG4bKabc", b"call", b"1"]);
        let b3 = c.branch(&f, &[b"z9hG4bKabd", b"call", b"1"]);
        assert_eq!(b1, b2);
        assert_ne!(b1, b3);
        assert!(b1.starts_with("z9hG4bKoa"));
        assert_eq!(c.flow_from_branch(&b1), Ok(FlowId(42)));
        assert_eq!(
            b1.len(),
            BRANCH_COOKIE.len() + BRANCH_TAG.len() + BRANCH_B64_LEN
        );
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let c = FlowTokenCodec::new(b"key-one-0123456789").unwrap();
        let other = FlowTokenCodec::new(b"key-two-0123456789").unwrap();
        let b = c.branch(&c.flow_mac(FlowId(7)), &[b"x"]);
        assert_eq!(other.flow_from_branch(&b), Err(FlowTokenError::BadMac));
        // Flip one character of the flow part.
        let mut t: Vec<u8> = b.clone().into_bytes();
        t[10] = if t[10] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap();
        assert!(c.flow_from_branch(&t).is_err());
        assert_eq!(
            c.flow_from_branch("z9hG4bK776asdhds"),
            Err(FlowTokenError::Foreign)
        );
        assert_eq!(c.flow_from_branch(""), Err(FlowTokenError::Foreign));
    }

    #[test]
    fn path_token_round_trips() {
        let c = FlowTokenCodec::new(b"key-0123456789abcdef").unwrap();
        let t = c.path_token(&c.flow_mac(FlowId(u64::MAX)));
        assert_eq!(c.flow_from_path_token(&t), Ok(FlowId(u64::MAX)));
        assert!(
            FlowTokenCodec::new(b"other-0123456789abc")
                .unwrap()
                .flow_from_path_token(&t)
                .is_err()
        );
        assert!(c.flow_from_path_token("short").is_err());
        assert_eq!(
            FlowTokenCodec::new(b"short").err(),
            Some(FlowTokenError::WeakKey)
        );
    }
}
