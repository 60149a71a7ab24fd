//! Verification keys, prepared once and pinned to the algorithms they fit.
//!
//! RFC 8725 section 3.1: each key is used only with the algorithms of its own type, so an RSA
//! public key can never serve as an HMAC secret (the "algorithm confusion" attack), and
//! RFC 7518 section 3.2: an HMAC key must be at least as long as the hash output. Keys are
//! decoded and their HMAC state prepared at construction, so a token check does no key parsing.
//! With the aws-lc backend, public keys are also parsed into aws-lc's own form at load, once per
//! algorithm they may verify: `jsonwebtoken`'s verifiers take the key as bytes and parse it again
//! on every check (about a fifth of an RS256 check).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use sha2::{Sha256, Sha384, Sha512};

use super::algorithms::AlgorithmSet;
use super::jwks;
use crate::validate::{CryptoBackend, ValidationError};

/// Most keys one validator holds (a token without `kid` is checked against far fewer, see
/// [`super::JwtConfig::max_keys_without_kid`]).
pub const MAX_KEYS: usize = 64;

/// Where a [`super::JwtValidator`] gets its keys.
#[derive(Clone)]
#[non_exhaustive]
pub enum KeySource {
    /// A shared HMAC secret (HS256/384/512), as raw bytes.
    Hmac(Vec<u8>),
    /// A public key in PEM: `PUBLIC KEY` (SubjectPublicKeyInfo) for RSA, EC P-256/P-384 or
    /// Ed25519, or `RSA PUBLIC KEY` (PKCS#1). The type is detected.
    Pem(Vec<u8>),
    /// A public key as SubjectPublicKeyInfo DER, as `openssl pkey -pubout -outform DER` writes
    /// it. The type is detected.
    Der(Vec<u8>),
    /// A JSON Web Key Set (RFC 7517 section 5); tokens select a key by `kid`.
    Jwks(JwkSet),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hmac(_) => f.write_str("Hmac([redacted])"),
            Self::Pem(_) => f.write_str("Pem(..)"),
            Self::Der(_) => f.write_str("Der(..)"),
            Self::Jwks(set) => write!(f, "Jwks({} keys)", set.keys.len()),
        }
    }
}

/// Why keys could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The HMAC secret is shorter than the hash output of every allowed HS algorithm
    /// (RFC 7518 section 3.2).
    #[error("HMAC secret of {len} bytes is too short (at least {min} needed)")]
    WeakSecret {
        /// Length of the secret given.
        len: usize,
        /// The shortest length that would allow at least HS256.
        min: usize,
    },
    /// The PEM text is not a supported public key.
    #[error("not a supported RSA, EC P-256/P-384 or Ed25519 public key in PEM")]
    InvalidPem,
    /// The DER bytes are not a supported public key.
    #[error("not a supported RSA, EC P-256/P-384 or Ed25519 public key in DER")]
    InvalidDer,
    /// No key is usable with the allowed algorithms (after skipping encryption keys, unknown
    /// key types and keys whose `alg` is not allowed).
    #[error("no key usable with the allowed algorithms")]
    NoUsableKey,
    /// More keys than [`MAX_KEYS`].
    #[error("more than {max} keys")]
    TooManyKeys {
        /// The limit.
        max: usize,
    },
}

/// The prepared form of one key.
pub(crate) enum Material {
    /// HMAC states keyed once; cloning one is cheaper than keying again per token.
    Hmac(Box<HmacKeys>),
    /// A public key, checked with its pre-parsed aws-lc forms or through the crypto provider.
    Public(Box<PublicKey>),
}

/// A public key as decoded, and as aws-lc parsed it for each algorithm of its entry.
pub(crate) struct PublicKey {
    decoding: DecodingKey,
    /// Filled by [`KeySet::load`] for the aws-lc backend only; empty, the provider is used.
    #[cfg(feature = "aws-lc-rs")]
    parsed: Vec<(Algorithm, aws_lc_rs::signature::ParsedPublicKey)>,
}

impl PublicKey {
    /// Parses the key once for each of `algorithms` that aws-lc verifies. A key aws-lc refuses
    /// is left to the provider, which refuses its signatures in turn.
    #[cfg(feature = "aws-lc-rs")]
    fn prepare(&mut self, algorithms: AlgorithmSet) {
        use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
        use jsonwebtoken::DecodingKeyKind;
        self.parsed = algorithms
            .iter()
            .filter_map(|alg| {
                let rsa: &'static sig::RsaParameters = match alg {
                    // The parameters `jsonwebtoken`'s aws-lc verifiers use.
                    Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
                    _ => {
                        let other: &'static dyn sig::VerificationAlgorithm = match alg {
                            Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
                            Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
                            Algorithm::EdDSA => &sig::ED25519,
                            _ => return None,
                        };
                        let bytes = self.decoding.try_get_as_bytes().ok()?;
                        return Some((alg, ParsedPublicKey::new(other, bytes).ok()?));
                    }
                };
                let parsed = match self.decoding.kind() {
                    DecodingKeyKind::SecretOrDer(der) => ParsedPublicKey::new(rsa, der),
                    DecodingKeyKind::RsaModulusExponent { n, e } => {
                        RsaPublicKeyComponents { n, e }.to_parsed_public_key(rsa)
                    }
                };
                Some((alg, parsed.ok()?))
            })
            .collect();
    }

    fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        provider: &CryptoProvider,
    ) -> bool {
        #[cfg(feature = "aws-lc-rs")]
        if let Some((_, key)) = self.parsed.iter().find(|(a, _)| *a == alg) {
            return key.verify_sig(message, signature).is_ok();
        }
        match (provider.verifier_factory)(&alg, &self.decoding) {
            Ok(verifier) => verifier.verify(message, &signature.to_vec()).is_ok(),
            Err(_) => false,
        }
    }
}

/// An HMAC secret keyed for each hash.
pub(crate) struct HmacKeys {
    hs256: Hmac<Sha256>,
    hs384: Hmac<Sha384>,
    hs512: Hmac<Sha512>,
}

/// One key with its `kid` and the algorithms it may verify.
pub(crate) struct KeyEntry {
    pub(crate) kid: Option<String>,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) material: Material,
}

impl KeyEntry {
    /// Builds an HMAC entry; the algorithms are those whose hash is no longer than the secret.
    pub(crate) fn hmac(kid: Option<String>, secret: &[u8]) -> Result<Self, KeyError> {
        let mut algorithms = AlgorithmSet::EMPTY;
        for (alg, min) in [
            (Algorithm::HS256, 32),
            (Algorithm::HS384, 48),
            (Algorithm::HS512, 64),
        ] {
            if secret.len() >= min {
                algorithms.insert(alg);
            }
        }
        let weak = KeyError::WeakSecret {
            len: secret.len(),
            min: 32,
        };
        if algorithms.is_empty() {
            return Err(weak);
        }
        let material = Material::Hmac(Box::new(HmacKeys {
            hs256: Hmac::new_from_slice(secret).map_err(|_| weak.clone())?,
            hs384: Hmac::new_from_slice(secret).map_err(|_| weak.clone())?,
            hs512: Hmac::new_from_slice(secret).map_err(|_| weak)?,
        }));
        Ok(Self {
            kid,
            algorithms,
            material,
        })
    }

    /// Builds an entry from a decoded public key whose algorithms are already known.
    pub(crate) fn public(kid: Option<String>, algorithms: AlgorithmSet, key: DecodingKey) -> Self {
        Self {
            kid,
            algorithms,
            material: Material::Public(Box::new(PublicKey {
                decoding: key,
                #[cfg(feature = "aws-lc-rs")]
                parsed: Vec::new(),
            })),
        }
    }

    /// Checks `signature` over `message` with `alg`, which the caller has matched against
    /// [`KeyEntry::algorithms`].
    fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        provider: &CryptoProvider,
    ) -> bool {
        match &self.material {
            Material::Hmac(keys) => match alg {
                Algorithm::HS256 => hmac_ok(&keys.hs256, message, signature),
                Algorithm::HS384 => hmac_ok(&keys.hs384, message, signature),
                Algorithm::HS512 => hmac_ok(&keys.hs512, message, signature),
                _ => false,
            },
            Material::Public(key) => key.verify(alg, message, signature, provider),
        }
    }
}

/// Constant-time HMAC comparison (`verify_slice`), from a pre-keyed state.
fn hmac_ok<M: Mac + Clone>(keyed: &M, message: &[u8], signature: &[u8]) -> bool {
    let mut mac = keyed.clone();
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}

/// The algorithms an EC public key fits, from its uncompressed SEC1 point length.
fn ec_algorithms(point: &[u8]) -> Option<AlgorithmSet> {
    match (point.first(), point.len()) {
        (Some(4), 65) => Some([Algorithm::ES256].into_iter().collect()),
        (Some(4), 97) => Some([Algorithm::ES384].into_iter().collect()),
        _ => None,
    }
}

/// Decodes a PEM public key of any supported type.
fn from_pem(pem: &[u8]) -> Option<KeyEntry> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Some(KeyEntry::public(None, AlgorithmSet::rsa(), key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        let algs = ec_algorithms(key.try_get_as_bytes().ok()?)?;
        return Some(KeyEntry::public(None, algs, key));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        if key.try_get_as_bytes().ok()?.len() != 32 {
            return None;
        }
        return Some(KeyEntry::public(
            None,
            [Algorithm::EdDSA].into_iter().collect(),
            key,
        ));
    }
    None
}

/// The keys of one validator, replaced as a whole on rotation.
pub(crate) struct KeySet {
    entries: Vec<KeyEntry>,
}

impl KeySet {
    /// Loads keys, pins each to `allowed` ∩ the algorithms of its type and prepares them for
    /// `backend`.
    pub(crate) fn load(
        source: &KeySource,
        allowed: AlgorithmSet,
        backend: CryptoBackend,
    ) -> Result<Self, KeyError> {
        let entries = match source {
            KeySource::Hmac(secret) => vec![KeyEntry::hmac(None, secret)?],
            KeySource::Pem(pem) => vec![from_pem(pem).ok_or(KeyError::InvalidPem)?],
            KeySource::Der(der) => {
                let pem = format!(
                    "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
                    STANDARD.encode(der)
                );
                vec![from_pem(pem.as_bytes()).ok_or(KeyError::InvalidDer)?]
            }
            KeySource::Jwks(set) => jwks::entries(set)?,
        };
        #[cfg_attr(not(feature = "aws-lc-rs"), allow(unused_mut))]
        let mut set = Self::from_entries(entries, allowed)?;
        #[cfg(feature = "aws-lc-rs")]
        if backend == CryptoBackend::AwsLc {
            for entry in &mut set.entries {
                if let Material::Public(key) = &mut entry.material {
                    key.prepare(entry.algorithms);
                }
            }
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        let _ = backend;
        Ok(set)
    }

    fn from_entries(entries: Vec<KeyEntry>, allowed: AlgorithmSet) -> Result<Self, KeyError> {
        if entries.len() > MAX_KEYS {
            return Err(KeyError::TooManyKeys { max: MAX_KEYS });
        }
        let entries: Vec<KeyEntry> = entries
            .into_iter()
            .filter_map(|mut e| {
                e.algorithms = e.algorithms.intersection(allowed);
                (!e.algorithms.is_empty()).then_some(e)
            })
            .collect();
        if entries.is_empty() {
            return Err(KeyError::NoUsableKey);
        }
        Ok(Self { entries })
    }

    /// How many keys are loaded.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Verifies a JWS signature with the key `kid` selects (RFC 7515 section 4.1.4).
    ///
    /// With a `kid`, keys carrying exactly that `kid` are used, or else keys without one. With
    /// no `kid`, every key is a candidate. When `kid` selects no key exactly, only the first
    /// `max_unselected` candidates that fit `alg` are tried, in key-set order, so a token
    /// cannot make the edge check its signature against every key.
    pub(crate) fn verify(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
        provider: &CryptoProvider,
        max_unselected: usize,
    ) -> Result<(), ValidationError> {
        let exact = |e: &&KeyEntry| kid.is_some() && e.kid.as_deref() == kid;
        let has_exact = self.entries.iter().any(|e| exact(&e));
        let candidates = || {
            self.entries.iter().filter(move |e| {
                if has_exact {
                    exact(e)
                } else {
                    kid.is_none() || e.kid.is_none()
                }
            })
        };
        if candidates().next().is_none() {
            return Err(ValidationError::UnknownKey);
        }
        let limit = if has_exact {
            usize::MAX
        } else {
            max_unselected.max(1)
        };
        let mut fitting = candidates()
            .filter(|e| e.algorithms.contains(alg))
            .take(limit)
            .peekable();
        if fitting.peek().is_none() {
            return Err(ValidationError::KeyMismatch);
        }
        if fitting.any(|e| {
            count_check();
            e.verify(alg, message, signature, provider)
        }) {
            Ok(())
        } else {
            Err(ValidationError::BadSignature)
        }
    }
}

#[cfg(test)]
thread_local! {
    static CHECKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts signature checks on this thread, for the tests.
#[cfg(test)]
fn count_check() {
    CHECKS.with(|c| c.set(c.get() + 1));
}

#[cfg(not(test))]
#[inline(always)]
fn count_check() {}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRETS: [&[u8; 32]; 3] = [
        b"first secret of thirty-two bytes",
        b"second secret of 32 bytes long!!",
        b"third secret, thirty-two bytes..",
    ];

    fn set() -> KeySet {
        let entries = SECRETS
            .iter()
            .map(|s| KeyEntry::hmac(None, &s[..]).unwrap())
            .collect();
        KeySet::from_entries(entries, AlgorithmSet::all()).unwrap()
    }

    fn sign(secret: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    /// Runs `verify` and returns its result with the number of signature checks it made.
    fn checks(
        kid: Option<&str>,
        signature: &[u8],
        max: usize,
    ) -> (Result<(), ValidationError>, usize) {
        let provider = crate::validate::CryptoBackend::default().provider();
        CHECKS.with(|c| c.set(0));
        let r = set().verify(kid, Algorithm::HS256, b"m", signature, provider, max);
        (r, CHECKS.with(std::cell::Cell::get))
    }

    #[test]
    fn kidless_token_costs_one_check_by_default() {
        let forged = vec![0u8; 32];
        assert_eq!(
            checks(None, &forged, 1),
            (Err(ValidationError::BadSignature), 1)
        );
        assert_eq!(
            checks(Some("unknown"), &forged, 1),
            (Err(ValidationError::BadSignature), 1)
        );
        assert_eq!(
            checks(None, &forged, 64),
            (Err(ValidationError::BadSignature), 3)
        );
    }

    /// With aws-lc, every public key is parsed once per algorithm it may verify, so no check
    /// falls back to the provider's parse-per-call path.
    #[cfg(feature = "aws-lc-rs")]
    #[test]
    fn aws_lc_keys_are_parsed_at_load_for_each_algorithm() {
        let pem = |name: &str| {
            let path = format!("{}/tests/data/jwt/{name}", env!("CARGO_MANIFEST_DIR"));
            KeySource::Pem(std::fs::read(path).unwrap())
        };
        let path = format!(
            "{}/tests/data/jwt/jwks_all.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let jwks: JwkSet = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let sources = [
            pem("rsa_public.pem"),
            pem("ec256_public.pem"),
            pem("ec384_public.pem"),
            pem("ed25519_public.pem"),
            KeySource::Jwks(jwks),
        ];
        let mut public = 0;
        for source in &sources {
            let set = KeySet::load(source, AlgorithmSet::all(), CryptoBackend::AwsLc).unwrap();
            for entry in &set.entries {
                if let Material::Public(key) = &entry.material {
                    public += 1;
                    let parsed: AlgorithmSet = key.parsed.iter().map(|(a, _)| *a).collect();
                    assert_eq!(parsed, entry.algorithms, "kid {:?}", entry.kid);
                }
            }
        }
        assert!(public >= 5);
    }

    #[test]
    fn kidless_token_uses_the_first_fitting_keys_in_order() {
        let by_first = sign(SECRETS[0], b"m");
        let by_second = sign(SECRETS[1], b"m");
        assert_eq!(checks(None, &by_first, 1), (Ok(()), 1));
        assert_eq!(
            checks(None, &by_second, 1),
            (Err(ValidationError::BadSignature), 1)
        );
        assert_eq!(checks(None, &by_second, 2), (Ok(()), 2));
    }
}
