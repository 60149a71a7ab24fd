//! JWT access tokens checked locally with the issuer's keys (RFC 7519, RFC 7515, RFC 9068).
//!
//! The checks follow RFC 8725 (JWT best current practice): the token length is bounded before
//! decoding; `alg` must be on the allow-list and fit the key selected by `kid` (section 3.1, no
//! `none`, no HMAC with a public key); the signature is verified before any claim is read;
//! `iss` (section 3.8) and `aud` (section 3.9) are compared with the configured values; `exp`,
//! `nbf` and `iat` are compared with the caller's `now` plus a leeway (RFC 7519 sections
//! 4.1.4-4.1.6); `typ: at+jwt` is accepted and can be required (RFC 9068 section 4, RFC 8725
//! section 3.11). A validator needs an audience unless told to accept any
//! ([`JwtConfig::allow_any_audience`]), and a token whose `kid` selects no key is checked
//! against one key only ([`JwtConfig::max_keys_without_kid`]). Identity claims must pass the header-safety checks of [`crate::identity`].
//!
//! Keys can be replaced at run time ([`JwtValidator::replace_jwks`]) without blocking
//! validations in flight: readers load the current key set lock-free.

mod algorithms;
mod claims;
mod config;
mod header;
mod jwks;
mod keys;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::jwk::JwkSet;

pub use algorithms::AlgorithmSet;
pub use claims::MAX_IMPI_CLAIMS;
pub use config::{
    AuthEntitySource, ClaimNames, DEFAULT_LEEWAY, DEFAULT_MAX_KEYS_WITHOUT_KID,
    DEFAULT_MAX_TOKEN_BYTES, JwtConfig,
};
pub use jsonwebtoken::Algorithm;
pub use keys::{KeyError, KeySource, MAX_KEYS};

use crate::identity::{HeaderText, Impi, Impu};
use crate::validate::{Authorization, CryptoBackend, Scopes, ValidationError, Validator};
use claims::RawClaims;
use keys::KeySet;

/// Why a [`JwtValidator`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtConfigError {
    /// The keys could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No claim name is configured for the IMPI, or more than [`MAX_IMPI_CLAIMS`].
    #[error("between 1 and {max} IMPI claim names are needed")]
    ImpiClaims {
        /// The limit.
        max: usize,
    },
    /// No audience is configured and [`JwtConfig::allow_any_audience`] is not set: such a
    /// validator would accept tokens issued for any other service of the issuer.
    #[error(
        "no audience configured: set the audience this edge accepts (aud), or allow any audience explicitly"
    )]
    NoAudience,
}

/// Validates JWT access tokens with fixed keys or a rotating JWK Set.
///
/// Built once from a [`JwtConfig`], then shared (`&self` everywhere, `Send + Sync`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sip_oauth::validate::{Validator, JwtConfig, JwtValidator};
/// use sip_oauth::validate::jwt::KeySource;
///
/// let config = JwtConfig::new(KeySource::Hmac(b"an example secret of at least 32 bytes!!".to_vec()))
///     .issuer("https://waf.example")
///     .audience("epcscf.home.example")
///     .required_scope("sip")
///     .require_at_jwt(true);
/// let validator = JwtValidator::new(config)?;
///
/// // {"alg":"HS256","typ":"at+jwt"}.{"iss":"https://waf.example","aud":"epcscf.home.example",
/// //  "exp":2000000000,"impi":"alice@home.example",
/// //  "impus":["sip:alice@home.example","tel:+15551234567"],"scope":"sip"}
/// let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL3dhZi5leGFtcGxlIiwiYXVkIjoiZXBjc2NmLmhvbWUuZXhhbXBsZSIsImV4cCI6MjAwMDAwMDAwMCwiaW1waSI6ImFsaWNlQGhvbWUuZXhhbXBsZSIsImltcHVzIjpbInNpcDphbGljZUBob21lLmV4YW1wbGUiLCJ0ZWw6KzE1NTUxMjM0NTY3Il0sInNjb3BlIjoic2lwIn0.ktcRlS23Z1bS4rmFa4umDdsybMpPJRPMa2hBkxMHUo0";
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
/// let auth = validator.validate(token, now)?;
/// assert_eq!(auth.impi.as_str(), "alice@home.example");
/// assert_eq!(auth.impus.len(), 2);
///
/// let later = UNIX_EPOCH + Duration::from_secs(2_100_000_000);
/// let err = validator.validate(token, later).unwrap_err();
/// assert_eq!((err.bearer_error().as_str(), err.sip_status()), ("invalid_token", 401));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JwtValidator {
    keys: ArcSwap<KeySet>,
    allowed: AlgorithmSet,
    issuers: Vec<String>,
    audiences: Vec<String>,
    max_keys_without_kid: usize,
    leeway: f64,
    require_exp: bool,
    required_scopes: Vec<String>,
    claims: ClaimNames,
    max_token_bytes: usize,
    require_at_jwt: bool,
    backend: CryptoBackend,
    provider: &'static CryptoProvider,
}

impl std::fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtValidator")
            .field("keys", &self.keys.load().len())
            .field("allowed", &self.allowed)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("max_keys_without_kid", &self.max_keys_without_kid)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl JwtValidator {
    /// Builds a validator; keys are decoded and prepared here, once.
    ///
    /// # Errors
    /// When the IMPI claim list is empty or too long, a key cannot be decoded, no key is
    /// usable with the allowed algorithms, or no audience is configured and
    /// [`JwtConfig::allow_any_audience`] is not set (checked in this order).
    pub fn new(config: JwtConfig) -> Result<Self, JwtConfigError> {
        if config.claims.impi.is_empty() || config.claims.impi.len() > MAX_IMPI_CLAIMS {
            return Err(JwtConfigError::ImpiClaims {
                max: MAX_IMPI_CLAIMS,
            });
        }
        let keys = KeySet::load(&config.keys, config.algorithms, config.backend)?;
        if config.audiences.is_empty() && !config.allow_any_audience {
            return Err(JwtConfigError::NoAudience);
        }
        Ok(Self {
            keys: ArcSwap::from_pointee(keys),
            allowed: config.algorithms,
            issuers: config.issuers,
            audiences: config.audiences,
            max_keys_without_kid: config.max_keys_without_kid,
            leeway: config.leeway.as_secs_f64(),
            require_exp: config.require_exp,
            required_scopes: config.required_scopes,
            claims: config.claims,
            max_token_bytes: config.max_token_bytes,
            require_at_jwt: config.require_at_jwt,
            backend: config.backend,
            provider: config.backend.provider(),
        })
    }

    /// Replaces the whole key set with `set`, for key rotation. Validations already running
    /// finish with the keys they started with; later ones see the new set. On error the
    /// current keys stay.
    ///
    /// # Errors
    /// When `set` holds no key usable with the allowed algorithms, or too many keys.
    pub fn replace_jwks(&self, set: JwkSet) -> Result<(), KeyError> {
        self.replace_keys(&KeySource::Jwks(set))
    }

    /// Replaces the keys with those of `source` (see [`JwtValidator::replace_jwks`]).
    ///
    /// # Errors
    /// As [`JwtValidator::new`] for keys.
    pub fn replace_keys(&self, source: &KeySource) -> Result<(), KeyError> {
        let keys = KeySet::load(source, self.allowed, self.backend)?;
        self.keys.store(Arc::new(keys));
        Ok(())
    }

    /// How many keys are in use.
    pub fn key_count(&self) -> usize {
        self.keys.load().len()
    }

    /// The crypto backend checking RSA, ECDSA and EdDSA signatures.
    pub fn backend(&self) -> CryptoBackend {
        self.backend
    }

    /// Checks the signature and header only, leaving every claim unchecked, and returns the
    /// decoded payload. Meant for test vectors whose payloads are not access tokens (RFC 7515
    /// Appendix A); never use it to admit a user.
    ///
    /// # Errors
    /// Any header, key or signature error of [`Validator::validate`].
    pub fn verify_signature_only(&self, token: &str) -> Result<Vec<u8>, ValidationError> {
        let parts = self.verify_jws(token)?;
        Ok(PartBuffer::<PAYLOAD_ON_STACK>::new()
            .decode(parts.payload)?
            .to_vec())
    }

    /// Steps that do not depend on the claims: size, syntax, header, key and signature.
    fn verify_jws<'t>(&self, token: &'t str) -> Result<Parts<'t>, ValidationError> {
        if token.len() > self.max_token_bytes {
            return Err(ValidationError::Oversized {
                len: token.len(),
                max: self.max_token_bytes,
            });
        }
        let parts = Parts::split(token)?;
        let mut header_buf = PartBuffer::<HEADER_ON_STACK>::new();
        let header = header::parse(header_buf.decode(parts.header)?)?;
        if !self.allowed.contains(header.alg) {
            return Err(ValidationError::AlgorithmNotAllowed);
        }
        if self.require_at_jwt && !header.at_jwt {
            return Err(ValidationError::WrongType);
        }
        let mut signature_buf = PartBuffer::<SIGNATURE_ON_STACK>::new();
        let signature = signature_buf.decode(parts.signature)?;
        self.keys.load().verify(
            header.kid.as_deref(),
            header.alg,
            parts.signing_input.as_bytes(),
            signature,
            self.provider,
            self.max_keys_without_kid,
        )?;
        Ok(parts)
    }

    fn check_claims(
        &self,
        mut c: RawClaims<'_>,
        now: SystemTime,
    ) -> Result<Authorization, ValidationError> {
        if let Some(role) = c.type_error {
            return Err(ValidationError::InvalidClaim(role));
        }
        // RFC 7519 section 4.1.1 and RFC 8725 section 3.8.
        if !self.issuers.is_empty()
            && !c
                .iss
                .as_deref()
                .is_some_and(|i| self.issuers.iter().any(|x| x == i))
        {
            return Err(ValidationError::WrongIssuer);
        }
        // RFC 7519 section 4.1.3: a token naming an audience is refused by a recipient that
        // does not identify with one of its values.
        let aud = c.aud.as_deref().unwrap_or_default();
        let aud_ok = if self.audiences.is_empty() {
            aud.is_empty()
        } else {
            aud.iter().any(|a| self.audiences.iter().any(|x| x == a))
        };
        if !aud_ok {
            return Err(ValidationError::WrongAudience);
        }
        let now = seconds_since_epoch(now);
        match c.exp {
            Some(exp) if now >= exp + self.leeway => return Err(ValidationError::Expired),
            None if self.require_exp => return Err(ValidationError::MissingClaim("exp")),
            _ => {}
        }
        if c.nbf.is_some_and(|nbf| now + self.leeway < nbf)
            || c.iat.is_some_and(|iat| iat > now + self.leeway)
        {
            return Err(ValidationError::NotYetValid);
        }

        let impi = c
            .impi
            .iter_mut()
            .find_map(Option::take)
            .ok_or(ValidationError::MissingClaim("impi"))?;
        let impi = Impi::try_from(&*impi).map_err(|source| identity("impi", source))?;
        let impus = match &c.impus {
            Some(list) => list
                .iter()
                .map(|u| Impu::try_from(&**u).map_err(|source| identity("impus", source)))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        if impus.is_empty() && self.claims.require_impus {
            return Err(ValidationError::MissingClaim("impus"));
        }
        let wwsf = c
            .wwsf
            .as_deref()
            .map(|w| HeaderText::try_from(w).map_err(|s| identity("wwsf", s)));
        let auth_entity = match &self.claims.auth_entity {
            AuthEntitySource::Claim(_) => c.auth_entity.as_deref(),
            AuthEntitySource::Issuer => c.iss.as_deref(),
            AuthEntitySource::Fixed(text) => Some(text.as_str()),
            AuthEntitySource::None => None,
        }
        .map(|a| HeaderText::try_from(a).map_err(|s| identity("auth_entity", s)));

        let mut scopes = c
            .scope
            .as_deref()
            .map(Scopes::from_space_separated)
            .unwrap_or_default();
        for s in c.scp.iter().flatten() {
            scopes.insert(s);
        }
        if !scopes.contains_all(self.required_scopes.iter().map(String::as_str)) {
            return Err(ValidationError::InsufficientScope {
                required: self.required_scopes.clone(),
            });
        }
        Ok(Authorization {
            impi,
            impus,
            wwsf: wwsf.transpose()?,
            scopes,
            issuer: c.iss.map(Cow::into_owned),
            subject: c.sub.map(Cow::into_owned),
            expires_at: c.exp.and_then(to_system_time),
            auth_entity: auth_entity.transpose()?,
        })
    }
}

impl Validator for JwtValidator {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        let parts = self.verify_jws(token)?;
        let mut payload = PartBuffer::<PAYLOAD_ON_STACK>::new();
        let claims = claims::parse(payload.decode(parts.payload)?, &self.claims)
            .map_err(|_| ValidationError::Malformed)?;
        self.check_claims(claims, now).map(Arc::new)
    }
}

fn identity(claim: &'static str, source: crate::identity::IdentityError) -> ValidationError {
    ValidationError::InvalidIdentity { claim, source }
}

/// The three parts of a compact JWS (RFC 7515 section 7.1).
pub(crate) struct Parts<'t> {
    pub(crate) header: &'t str,
    pub(crate) payload: &'t str,
    pub(crate) signature: &'t str,
    /// `header.payload`, the JWS signing input.
    pub(crate) signing_input: &'t str,
}

impl<'t> Parts<'t> {
    /// Splits a token after checking its characters: base64url and `.` only. Other
    /// RFC 6750 `b64token` characters make a bearer token that is not a JWS; anything else is
    /// not a bearer token at all.
    pub(crate) fn split(token: &'t str) -> Result<Self, ValidationError> {
        if token.is_empty() {
            return Err(ValidationError::InvalidSyntax);
        }
        // A branch-free pass first (it vectorises over tokens of hundreds of bytes); the
        // exact verdict only when some byte is not base64url or `.`.
        let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
        if !token.bytes().fold(true, |ok, b| ok & plain(b)) {
            let mut malformed = false;
            for b in token.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {}
                    b'+' | b'/' | b'~' | b'=' => malformed = true,
                    _ => return Err(ValidationError::InvalidSyntax),
                }
            }
            if malformed {
                return Err(ValidationError::Malformed);
            }
        }
        let (signing_input, signature) =
            token.rsplit_once('.').ok_or(ValidationError::Malformed)?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(ValidationError::Malformed)?;
        if payload.contains('.') {
            return Err(ValidationError::Malformed);
        }
        Ok(Self {
            header,
            payload,
            signature,
            signing_input,
        })
    }
}

/// Decoded headers up to this size stay on the stack.
const HEADER_ON_STACK: usize = 256;
/// Room for an RSA-8192 signature, the largest the backends verify.
const SIGNATURE_ON_STACK: usize = 1032;
/// Decoded claims sets up to this size stay on the stack.
const PAYLOAD_ON_STACK: usize = 2048;

/// Where one base64url part (RFC 7515 section 2: no padding) is decoded: on the stack when it
/// fits in `N` bytes, else on the heap, so a typical token is decoded without allocating.
struct PartBuffer<const N: usize> {
    stack: [u8; N],
    heap: Vec<u8>,
}

impl<const N: usize> PartBuffer<N> {
    fn new() -> Self {
        Self {
            stack: [0; N],
            heap: Vec::new(),
        }
    }

    fn decode(&mut self, part: &str) -> Result<&[u8], ValidationError> {
        if base64::decoded_len_estimate(part.len()) <= N {
            let len = URL_SAFE_NO_PAD
                .decode_slice(part, &mut self.stack)
                .map_err(|_| ValidationError::Malformed)?;
            self.stack.get(..len).ok_or(ValidationError::Malformed)
        } else {
            URL_SAFE_NO_PAD
                .decode_vec(part, &mut self.heap)
                .map_err(|_| ValidationError::Malformed)?;
            Ok(&self.heap)
        }
    }
}

fn seconds_since_epoch(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn to_system_time(secs: f64) -> Option<SystemTime> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| UNIX_EPOCH.checked_add(d))
}

/// Reads the unverified `iss` of a JWS, for routing only.
pub(crate) fn peek_issuer(token: &str) -> Result<Option<String>, ValidationError> {
    let parts = Parts::split(token)?;
    claims::peek_issuer(PartBuffer::<PAYLOAD_ON_STACK>::new().decode(parts.payload)?)
        .map_err(|_| ValidationError::Malformed)
}
