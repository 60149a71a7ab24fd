//! Opaque access tokens judged by the authorisation server (OAuth 2.0 Token Introspection,
//! RFC 7662).
//!
//! A token the edge cannot read itself is sent to the WAF's introspection endpoint
//! (RFC 7662 section 2.1: an HTTP POST of `token=...`, with client authentication), whose JSON
//! answer (section 2.2) says whether it is `active` and what it grants. This module does no
//! I/O: [`IntrospectionValidator::verdict`](Validator::verdict) answers
//! [`Verdict::Later`] for a token it holds no answer for, the host performs the request and
//! turns the endpoint's answer into a verdict with [`IntrospectionValidator::from_response`]
//! (or [`IntrospectionValidator::unavailable`] when the endpoint could not be reached in
//! time), then completes the registration with [`crate::edge::Edge::complete`].
//!
//! - active: the members named by [`ClaimNames`] give the IMPI, IMPUs and WWSF, `scope`
//!   the scopes (RFC 7662 section 2.2); the answer is cached until the token's `exp`, so a
//!   re-registration with the same token is answered at once (an answer without `exp`
//!   for [`NO_EXP_CACHE`]);
//! - inactive (`"active": false`), expired, or wrong issuer or audience: 401 `invalid_token`
//!   ([`ValidationError::Inactive`] and the usual claim errors);
//! - endpoint unreachable, too slow, or answering anything but 200 with a JSON object:
//!   503 with Retry-After ([`ValidationError::Unavailable`]); never admitted.
//!
//! The cache is keyed by a SHA-256 digest of the token, so the token itself is not kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::jwt::{AuthEntitySource, ClaimNames, DEFAULT_MAX_TOKEN_BYTES};
use super::{Authorization, Scopes, ValidationError, Validator, Verdict};
use crate::identity::{HeaderText, Impi, Impu};

/// Seconds a client is told to wait (Retry-After) when the endpoint is unavailable, unless
/// configured otherwise.
pub const DEFAULT_RETRY_AFTER_SECONDS: u32 = 30;

/// Most answers cached, unless configured otherwise.
pub const DEFAULT_INTROSPECTION_CACHE: usize = 10_000;

/// How long an active answer without `exp` is remembered.
pub const NO_EXP_CACHE: Duration = Duration::from_secs(60);

/// Largest introspection answer read: an RFC 7662 answer is a few hundred bytes, so a longer
/// body is not parsed at all.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Judges opaque tokens by the answers of an RFC 7662 introspection endpoint that the host
/// asks, and remembers active answers until the token expires.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use sip_oauth::validate::{IntrospectionValidator, Validator, Verdict};
///
/// let v = IntrospectionValidator::new().issuer("https://waf.example").required_scope("sip");
/// let now = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
/// // Nothing known yet: the host must ask the endpoint.
/// assert_eq!(v.verdict("opaque-1", now), Verdict::Later);
/// let answer = br#"{"active": true, "iss": "https://waf.example", "scope": "sip",
///     "exp": 1900000600, "impi": "bob@ims.example", "impus": ["sip:bob@ims.example"]}"#;
/// let auth = v.from_response("opaque-1", 200, answer, now)?;
/// assert_eq!(auth.impi.as_str(), "bob@ims.example");
/// // Cached until exp: answered at once now.
/// assert!(matches!(v.verdict("opaque-1", now), Verdict::Now(Ok(_))));
///
/// let inactive = v.from_response("opaque-2", 200, br#"{"active": false}"#, now).unwrap_err();
/// assert_eq!(inactive.sip_status(), 401);
/// assert_eq!(v.unavailable().sip_status(), 503);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IntrospectionValidator {
    claims: ClaimNames,
    issuers: Vec<String>,
    audiences: Vec<String>,
    required_scopes: Vec<String>,
    leeway: Duration,
    retry_after: u32,
    capacity: usize,
    max_token_bytes: usize,
    cache: Mutex<HashMap<[u8; 32], Cached>>,
}

struct Cached {
    authorization: Arc<Authorization>,
    until: SystemTime,
}

impl std::fmt::Debug for IntrospectionValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionValidator")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("retry_after", &self.retry_after)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for IntrospectionValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl IntrospectionValidator {
    /// A validator with the default claim names, no issuer, audience or scope requirement,
    /// and the default Retry-After and cache size.
    pub fn new() -> Self {
        Self {
            claims: ClaimNames::default(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            required_scopes: Vec::new(),
            leeway: Duration::from_secs(30),
            retry_after: DEFAULT_RETRY_AFTER_SECONDS,
            capacity: DEFAULT_INTROSPECTION_CACHE,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The names of the members carrying the IMPI, IMPUs, WWSF and authorisation entity
    /// (RFC 7662 section 2.2 allows extension members; the defaults are those of JWTs).
    pub fn claims(mut self, claims: ClaimNames) -> Self {
        self.claims = claims;
        self
    }

    /// Accepts answers whose `iss` is `issuer` (given several times: any of them). With
    /// none, `iss` is not checked.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accepts answers whose `aud` names `audience`. With none, `aud` is not checked: the
    /// endpoint answers for this client only (RFC 7662 section 2.1 client authentication).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Requires `scope` in the answer's `scope`.
    pub fn required_scope(mut self, scope: impl Into<String>) -> Self {
        self.required_scopes.push(scope.into());
        self
    }

    /// The clock-skew leeway for `exp` and `nbf` (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The Retry-After, in seconds, of the 503 sent when the endpoint is unavailable.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = seconds;
        self
    }

    /// The most active answers remembered (0: none).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// The longest token sent to the endpoint; a longer one is refused at once (400).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// The error for a token whose endpoint could not be asked (unreachable, timed out,
    /// failed): 503 with this validator's Retry-After.
    pub fn unavailable(&self) -> ValidationError {
        ValidationError::Unavailable {
            retry_after: self.retry_after,
        }
    }

    /// The verdict on `token` from the endpoint's answer: its HTTP `status` and `body`
    /// (RFC 7662 section 2.2). An active answer is remembered until its `exp`.
    ///
    /// # Errors
    /// [`ValidationError::Inactive`] for `"active": false`; [`ValidationError::Unavailable`]
    /// for a status other than 200 or a body that is not a JSON object with a boolean
    /// `active`; the claim errors of a JWT for an answer that is expired, from another
    /// issuer, for another audience, without the IMPI or the required scopes.
    pub fn from_response(
        &self,
        token: &str,
        status: u16,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        // RFC 7662 section 2.3: an error answer (e.g. 401 for this edge's own client
        // credentials) says nothing about the token; the client may try again later.
        if status != 200 || body.len() > MAX_RESPONSE_BYTES {
            return Err(self.unavailable());
        }
        let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
            return Err(self.unavailable());
        };
        let authorization = Arc::new(self.judge(&answer, now)?);
        // RFC 7662 section 4: a cached answer may outlive a revocation, so an answer that
        // names no `exp` is kept only briefly.
        let until = authorization.expires_at.unwrap_or(now + NO_EXP_CACHE);
        self.remember(token, Arc::clone(&authorization), until, now);
        Ok(authorization)
    }

    fn judge(
        &self,
        a: &Map<String, Value>,
        now: SystemTime,
    ) -> Result<Authorization, ValidationError> {
        match a.get("active") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => return Err(ValidationError::Inactive),
            // RFC 7662 section 2.2: `active` is REQUIRED; without it the answer is no answer.
            _ => return Err(self.unavailable()),
        }
        let text = |name: &str, role: &'static str| match a.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ValidationError::InvalidClaim(role)),
        };
        let iss = text("iss", "iss")?;
        if !self.issuers.is_empty() && !iss.as_ref().is_some_and(|i| self.issuers.contains(i)) {
            return Err(ValidationError::WrongIssuer);
        }
        if !self.audiences.is_empty() {
            let named = match a.get("aud") {
                Some(Value::String(s)) => self.audiences.contains(s),
                Some(Value::Array(list)) => list.iter().any(|v| {
                    v.as_str()
                        .is_some_and(|s| self.audiences.iter().any(|a| a == s))
                }),
                _ => false,
            };
            if !named {
                return Err(ValidationError::WrongAudience);
            }
        }
        let number = |name: &str| match a.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .map(Some)
                .ok_or(ValidationError::InvalidClaim("exp")),
            Some(_) => Err(ValidationError::InvalidClaim("exp")),
        };
        let now_s = seconds(now);
        let leeway = self.leeway.as_secs_f64();
        let exp = number("exp")?;
        if exp.is_some_and(|e| now_s >= e + leeway) {
            return Err(ValidationError::Expired);
        }
        if number("nbf")?.is_some_and(|nbf| now_s + leeway < nbf) {
            return Err(ValidationError::NotYetValid);
        }
        let mut impi = None;
        for name in &self.claims.impi {
            if let Some(v) = text(name, "impi")? {
                impi = Some(v);
                break;
            }
        }
        let impi = impi.ok_or(ValidationError::MissingClaim("impi"))?;
        let impi = Impi::try_from(impi).map_err(|source| identity("impi", source))?;
        let mut impus = Vec::new();
        if let Some(name) = &self.claims.impus {
            match a.get(name) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    impus.push(Impu::try_from(s.as_str()).map_err(|e| identity("impus", e))?);
                }
                Some(Value::Array(list)) => {
                    for v in list {
                        let s = v.as_str().ok_or(ValidationError::InvalidClaim("impus"))?;
                        impus.push(Impu::try_from(s).map_err(|e| identity("impus", e))?);
                    }
                }
                Some(_) => return Err(ValidationError::InvalidClaim("impus")),
            }
        }
        if impus.is_empty() && self.claims.require_impus {
            return Err(ValidationError::MissingClaim("impus"));
        }
        let wwsf = match &self.claims.wwsf {
            Some(name) => text(name, "wwsf")?
                .map(|w| HeaderText::try_from(w).map_err(|e| identity("wwsf", e)))
                .transpose()?,
            None => None,
        };
        let auth_entity = match &self.claims.auth_entity {
            AuthEntitySource::Claim(name) => text(name, "auth_entity")?,
            AuthEntitySource::Issuer => iss.clone(),
            AuthEntitySource::Fixed(t) => Some(t.as_str().to_owned()),
            AuthEntitySource::None => None,
        }
        .map(|e| HeaderText::try_from(e).map_err(|s| identity("auth_entity", s)))
        .transpose()?;
        let scopes = text("scope", "scope")?
            .as_deref()
            .map(Scopes::from_space_separated)
            .unwrap_or_default();
        if !scopes.contains_all(self.required_scopes.iter().map(String::as_str)) {
            return Err(ValidationError::InsufficientScope {
                required: self.required_scopes.clone(),
            });
        }
        Ok(Authorization {
            impi,
            impus,
            wwsf,
            scopes,
            issuer: iss,
            subject: text("sub", "sub")?,
            expires_at: exp
                .and_then(|e| Duration::try_from_secs_f64(e).ok())
                .and_then(|d| UNIX_EPOCH.checked_add(d)),
            auth_entity,
        })
    }

    fn remember(
        &self,
        token: &str,
        authorization: Arc<Authorization>,
        exp: SystemTime,
        now: SystemTime,
    ) {
        if self.capacity == 0 {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= self.capacity {
            cache.retain(|_, c| c.until > now);
        }
        // Still full of live answers: this one is not remembered, and is asked for again.
        if cache.len() < self.capacity {
            cache.insert(
                digest(token),
                Cached {
                    authorization,
                    until: exp,
                },
            );
        }
    }

    /// The remembered answer for `token`, if still within its `exp`.
    fn cached(&self, token: &str, now: SystemTime) -> Option<Arc<Authorization>> {
        let key = digest(token);
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        match cache.get(&key) {
            Some(c) if now < c.until => Some(Arc::clone(&c.authorization)),
            Some(_) => {
                cache.remove(&key);
                None
            }
            None => None,
        }
    }

    /// How many answers are remembered.
    pub fn cached_answers(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Checks done before anything is sent: the token is a non-empty `b64token` of bounded
    /// length (RFC 6750 section 2.1).
    fn check_syntax(&self, token: &str) -> Result<(), ValidationError> {
        if token.len() > self.max_token_bytes {
            return Err(ValidationError::Oversized {
                len: token.len(),
                max: self.max_token_bytes,
            });
        }
        let b64token = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
        let body = token.trim_end_matches('=');
        if body.is_empty() || !body.bytes().all(b64token) {
            return Err(ValidationError::InvalidSyntax);
        }
        Ok(())
    }
}

impl Validator for IntrospectionValidator {
    /// The remembered answer; without one, [`ValidationError::Unavailable`], as a
    /// synchronous caller cannot wait for the endpoint.
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.check_syntax(token)?;
        self.cached(token, now).ok_or_else(|| self.unavailable())
    }

    /// The remembered answer now; a malformed token refused now; otherwise
    /// [`Verdict::Later`]: the host asks the endpoint.
    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        if let Err(e) = self.check_syntax(token) {
            return Verdict::Now(Err(e));
        }
        match self.cached(token, now) {
            Some(a) => Verdict::Now(Ok(a)),
            None => Verdict::Later,
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn identity(claim: &'static str, source: crate::identity::IdentityError) -> ValidationError {
    ValidationError::InvalidIdentity { claim, source }
}

fn seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_900_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn active(exp: u64) -> Vec<u8> {
        format!(
            r#"{{"active":true,"iss":"https://waf.example","scope":"sip","exp":{exp},
                "impi":"bob@ims.example","impus":["sip:bob@ims.example"],"wwsf":"wwsf.example"}}"#
        )
        .into_bytes()
    }

    fn validator() -> IntrospectionValidator {
        IntrospectionValidator::new()
            .issuer("https://waf.example")
            .required_scope("sip")
            .retry_after(7)
    }

    #[test]
    fn active_answer_is_cached_until_exp() {
        let v = validator();
        assert_eq!(v.verdict("t1", now()), Verdict::Later);
        let auth = v
            .from_response("t1", 200, &active(NOW + 100), now())
            .unwrap();
        assert_eq!(auth.impus.len(), 1);
        assert_eq!(
            auth.wwsf.as_ref().map(HeaderText::as_str),
            Some("wwsf.example")
        );
        assert!(matches!(v.verdict("t1", now()), Verdict::Now(Ok(_))));
        assert_eq!(v.verdict("t2", now()), Verdict::Later);
        let after = now() + Duration::from_secs(100);
        assert_eq!(v.verdict("t1", after), Verdict::Later);
        assert_eq!(v.cached_answers(), 0);
    }

    #[test]
    fn inactive_is_invalid_token_and_not_cached() {
        let v = validator();
        let e = v
            .from_response("t", 200, br#"{"active":false}"#, now())
            .unwrap_err();
        assert_eq!(e, ValidationError::Inactive);
        assert_eq!(
            (e.bearer_error().as_str(), e.sip_status()),
            ("invalid_token", 401)
        );
        assert_eq!(v.verdict("t", now()), Verdict::Later);
    }

    #[test]
    fn failures_of_the_endpoint_are_503_with_retry_after() {
        let v = validator();
        let want = ValidationError::Unavailable { retry_after: 7 };
        for (status, body) in [
            (500, &b"{}"[..]),
            (401, br#"{"error":"invalid_client"}"#),
            (200, b"not json"),
            (200, b"[true]"),
            (200, br#"{"scope":"sip"}"#),
            (200, br#"{"active":"yes"}"#),
        ] {
            assert_eq!(v.from_response("t", status, body, now()), Err(want.clone()));
        }
        assert_eq!(v.unavailable(), want);
        assert_eq!(want.sip_status(), 503);
        assert_eq!(v.validate("t", now()), Err(want));
    }

    #[test]
    fn claims_are_checked_like_a_jwt() {
        let v = validator();
        let expired = v.from_response("t", 200, &active(NOW - 60), now());
        assert_eq!(expired, Err(ValidationError::Expired));
        let other = String::from_utf8(active(NOW + 60))
            .unwrap()
            .replace("https://waf.example", "https://other.example");
        assert_eq!(
            v.from_response("t", 200, other.as_bytes(), now()),
            Err(ValidationError::WrongIssuer)
        );
        let no_scope = br#"{"active":true,"iss":"https://waf.example","impi":"bob@ims.example"}"#;
        assert!(matches!(
            v.from_response("t", 200, no_scope, now()),
            Err(ValidationError::InsufficientScope { .. })
        ));
        let aud = IntrospectionValidator::new().audience("epcscf");
        assert_eq!(
            aud.from_response("t", 200, &active(NOW + 60), now()),
            Err(ValidationError::WrongAudience)
        );
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_request() {
        let v = validator().max_token_bytes(16);
        assert_eq!(
            v.verdict("", now()),
            Verdict::Now(Err(ValidationError::InvalidSyntax))
        );
        assert_eq!(
            v.verdict("a b", now()),
            Verdict::Now(Err(ValidationError::InvalidSyntax))
        );
        assert!(matches!(
            v.verdict(&"a".repeat(17), now()),
            Verdict::Now(Err(ValidationError::Oversized { .. }))
        ));
    }

    #[test]
    fn a_full_cache_keeps_live_answers_and_drops_expired_ones() {
        let v = validator().capacity(1);
        v.from_response("a", 200, &active(NOW + 10), now()).unwrap();
        v.from_response("b", 200, &active(NOW + 10), now()).unwrap();
        assert!(matches!(v.verdict("a", now()), Verdict::Now(Ok(_))));
        assert_eq!(v.verdict("b", now()), Verdict::Later);
        let later = now() + Duration::from_secs(20);
        v.from_response("b", 200, &active(NOW + 60), later).unwrap();
        assert!(matches!(v.verdict("b", later), Verdict::Now(Ok(_))));
    }
}
