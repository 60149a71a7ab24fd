//! The token issuer (WAF) side: signing keys, access-token claims, minting, and the
//! matching verification key material (JWKS or public key PEM) for the edge.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Serialize;
use sip_oauth::validate::CryptoBackend;
use sip_oauth::validate::jwt::KeySource;

/// The test RSA key committed with the examples (never use it outside a lab).
pub const RS256_PRIVATE: &[u8] = include_bytes!("../keys/rs256_private.pem");
/// Its public half.
pub const RS256_PUBLIC: &[u8] = include_bytes!("../keys/rs256_public.pem");
/// The test P-256 key committed with the examples.
pub const ES256_PRIVATE: &[u8] = include_bytes!("../keys/es256_private.pem");
/// Its public half.
pub const ES256_PUBLIC: &[u8] = include_bytes!("../keys/es256_public.pem");
/// The demo's shared HS256 secret (32 bytes, the RFC 7518 minimum for HS256).
pub const DEMO_SECRET: &[u8] = b"demo-secret-of-at-least-32-bytes";

/// The claims of an access token for a WebRTC IMS client (TS 24.371 leaves their names
/// open; these are the defaults of the library's `ClaimNames`).
#[derive(Debug, Clone, Serialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub impi: String,
    pub impus: Vec<String>,
    pub wwsf: String,
    pub scope: String,
    pub iat: u64,
    pub exp: u64,
}

impl Claims {
    /// Claims for user `user` of `home`, valid for `lifetime` from `now`.
    pub fn for_user(
        user: &str,
        home: &str,
        issuer: &str,
        audience: &str,
        now: SystemTime,
        lifetime: Duration,
    ) -> Claims {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Claims {
            iss: issuer.to_owned(),
            aud: audience.to_owned(),
            sub: user.to_owned(),
            impi: format!("{user}@{home}"),
            impus: vec![format!("sip:{user}@{home}")],
            wwsf: "wwsf.example".to_owned(),
            scope: "sip".to_owned(),
            iat,
            exp: iat + lifetime.as_secs(),
        }
    }
}

/// A signing key with the algorithm and `kid` it is published under.
pub struct Signer {
    alg: Algorithm,
    kid: String,
    key: EncodingKey,
    public: PublicHalf,
}

enum PublicHalf {
    Secret(Vec<u8>),
    Pem(Vec<u8>),
    /// A key drawn at run time, published only as a JWK.
    Jwk(JwkSet),
}

impl Signer {
    /// An HS256 signer with `secret`.
    pub fn hs256(secret: &[u8], kid: &str) -> Signer {
        Signer {
            alg: Algorithm::HS256,
            kid: kid.to_owned(),
            key: EncodingKey::from_secret(secret),
            public: PublicHalf::Secret(secret.to_vec()),
        }
    }

    /// An RS256 signer from a PKCS#8 or PKCS#1 private key PEM and its public key PEM.
    pub fn rs256(private_pem: &[u8], public_pem: &[u8], kid: &str) -> Result<Signer, String> {
        let key = EncodingKey::from_rsa_pem(private_pem).map_err(|e| format!("RSA key: {e}"))?;
        Ok(Signer {
            alg: Algorithm::RS256,
            kid: kid.to_owned(),
            key,
            public: PublicHalf::Pem(public_pem.to_vec()),
        })
    }

    /// An ES256 signer from a PKCS#8 P-256 private key PEM and its public key PEM.
    pub fn es256(private_pem: &[u8], public_pem: &[u8], kid: &str) -> Result<Signer, String> {
        let key = EncodingKey::from_ec_pem(private_pem).map_err(|e| format!("EC key: {e}"))?;
        Ok(Signer {
            alg: Algorithm::ES256,
            kid: kid.to_owned(),
            key,
            public: PublicHalf::Pem(public_pem.to_vec()),
        })
    }

    /// An ES256 signer with a P-256 key drawn now, for key rotation: its public half is
    /// published as a JWK only.
    pub fn es256_generated(kid: &str) -> Result<Signer, String> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| "drawing a P-256 key failed".to_owned())?;
        let pkcs8 = pair
            .to_pkcs8v1()
            .map_err(|_| "encoding the P-256 key failed".to_owned())?;
        let mut signer = Signer {
            alg: Algorithm::ES256,
            kid: kid.to_owned(),
            key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public: PublicHalf::Jwk(JwkSet { keys: Vec::new() }),
        };
        signer.public = PublicHalf::Jwk(signer.jwks()?);
        Ok(signer)
    }

    /// The key id tokens are signed under.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Signs `claims` as a compact JWS with `typ: at+jwt` (RFC 9068) and this key's `kid`.
    pub fn mint(&self, claims: &Claims) -> Result<String, String> {
        let header =
            serde_json::json!({"alg": format!("{:?}", self.alg), "typ": "at+jwt", "kid": self.kid});
        let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        // Through the provider directly, so the process-wide jsonwebtoken default is not needed.
        let provider = CryptoBackend::default().provider();
        let signer = (provider.signer_factory)(&self.alg, &self.key).map_err(|e| e.to_string())?;
        let sig = signer
            .try_sign(input.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The key source an edge verifies these tokens with: the secret, or the public PEM.
    pub fn verification_source(&self) -> KeySource {
        match &self.public {
            PublicHalf::Secret(s) => KeySource::Hmac(s.clone()),
            PublicHalf::Pem(p) => KeySource::Pem(p.clone()),
            PublicHalf::Jwk(set) => KeySource::Jwks(set.clone()),
        }
    }

    /// A JWK Set holding the public key (asymmetric keys only: a secret is never published).
    pub fn jwks(&self) -> Result<JwkSet, String> {
        if matches!(self.public, PublicHalf::Secret(_)) {
            return Err("an HMAC secret has no public JWKS; share the secret file instead".into());
        }
        // Jwk::from_encoding_key asks the process-wide provider for the public components.
        let _ = CryptoBackend::default().install_as_process_default();
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).map_err(|e| e.to_string())?;
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.key_algorithm = Some(match self.alg {
            Algorithm::ES256 => KeyAlgorithm::ES256,
            _ => KeyAlgorithm::RS256,
        });
        Ok(JwkSet { keys: vec![jwk] })
    }
}
