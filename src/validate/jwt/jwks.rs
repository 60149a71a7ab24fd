//! Keys from a JSON Web Key Set (RFC 7517), for key rotation by `kid`.
//!
//! RFC 7517 section 4.2 (`use`) and 4.3 (`key_ops`) say what a key is for; keys meant for
//! encryption are skipped. RFC 7517 section 4.4 (`alg`) pins a key to one algorithm, which must
//! also fit the key type (RFC 8725 section 3.1). Keys of types this library cannot verify
//! (P-521, RSA encryption algorithms, unknown `kty`) are skipped rather than failing the whole
//! set, since published sets often carry keys for other consumers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::algorithms::AlgorithmSet;
use super::keys::{KeyEntry, KeyError, MAX_KEYS};

/// The usable keys of `set`.
pub(crate) fn entries(set: &JwkSet) -> Result<Vec<KeyEntry>, KeyError> {
    if set.keys.len() > MAX_KEYS {
        return Err(KeyError::TooManyKeys { max: MAX_KEYS });
    }
    Ok(set.keys.iter().filter_map(entry).collect())
}

fn for_signatures(jwk: &Jwk) -> bool {
    let use_ok = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
    let ops_ok = jwk
        .common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.iter().any(|op| matches!(op, KeyOperations::Verify)));
    use_ok && ops_ok
}

fn pinned(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::HS256 => Algorithm::HS256,
        KeyAlgorithm::HS384 => Algorithm::HS384,
        KeyAlgorithm::HS512 => Algorithm::HS512,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

fn entry(jwk: &Jwk) -> Option<KeyEntry> {
    if !for_signatures(jwk) {
        return None;
    }
    let kid = jwk.common.key_id.clone();
    let mut entry = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => KeyEntry::public(
            kid,
            AlgorithmSet::rsa(),
            DecodingKey::from_rsa_components(&p.n, &p.e).ok()?,
        ),
        AlgorithmParameters::EllipticCurve(p) => {
            let alg = match p.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => return None,
            };
            let key = DecodingKey::from_ec_components(&p.x, &p.y).ok()?;
            let width = if alg == Algorithm::ES256 { 65 } else { 97 };
            if key.try_get_as_bytes().ok()?.len() != width {
                return None;
            }
            KeyEntry::public(kid, [alg].into_iter().collect(), key)
        }
        AlgorithmParameters::OctetKeyPair(p) => {
            if p.curve != EllipticCurve::Ed25519 {
                return None;
            }
            let key = DecodingKey::from_ed_components(&p.x).ok()?;
            if key.try_get_as_bytes().ok()?.len() != 32 {
                return None;
            }
            KeyEntry::public(kid, [Algorithm::EdDSA].into_iter().collect(), key)
        }
        AlgorithmParameters::OctetKey(p) => {
            let secret = URL_SAFE_NO_PAD.decode(p.value.as_bytes()).ok()?;
            KeyEntry::hmac(kid, &secret).ok()?
        }
        _ => return None,
    };
    if let Some(alg) = jwk.common.key_algorithm {
        let alg = pinned(alg)?;
        entry.algorithms = entry.algorithms.intersection([alg].into_iter().collect());
    }
    (!entry.algorithms.is_empty()).then_some(entry)
}
