//! Verdicts that come later: what the server does when the edge answers
//! `RequestDecision::Pending` for a REGISTER.
//!
//! - An opaque token (not a JWS) goes to the WAF's introspection endpoint (RFC 7662
//!   section 2.1: `POST token=...`, client authentication with HTTP Basic), and its answer
//!   becomes the verdict through [`IntrospectionValidator::from_response`]. An endpoint that
//!   cannot be reached or does not answer within the timeout gives 503 with Retry-After.
//! - A JWT naming a `kid` the fetched key set lacks waits for one fetch of the set
//!   ([`JwksFetcher::refresh_for_unknown_kid`]) and is then checked again.
//!
//! The verdict is re-read through the edge's whole validator, so confinement and the
//! token cache apply to it as to any verdict given at once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hyper::Method;
use sip_oauth::edge::PendingRegister;
use sip_oauth::validate::{
    Authorization, IntrospectionValidator, ValidationError, Validator, Verdict,
};

use super::http::{self, Target};
use super::jwks_fetch::JwksFetcher;

/// The default deadline for an introspection answer.
pub const DEFAULT_INTROSPECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether `token` has the shape of a compact JWS (RFC 7515 section 7.1): three base64url
/// parts, the first a JSON object (`eyJ` is the base64url of `{"`).
pub fn looks_like_jws(token: &str) -> bool {
    token.starts_with("eyJ") && token.bytes().filter(|b| *b == b'.').count() == 2
}

/// The client of an RFC 7662 introspection endpoint.
pub struct Introspector {
    validator: Arc<IntrospectionValidator>,
    target: Target,
    authorization: Option<String>,
    timeout: Duration,
}

impl Introspector {
    /// Asks `url`, authenticating as `client` (id, secret) when given.
    pub fn new(
        validator: Arc<IntrospectionValidator>,
        url: &str,
        client: Option<(&str, &str)>,
        timeout: Duration,
    ) -> Result<Introspector, String> {
        // RFC 6749 section 2.3.1: id and secret form-encoded, then Basic (RFC 7617).
        let authorization = client.map(|(id, secret)| {
            let pair = format!("{}:{}", http::form_encode(id), http::form_encode(secret));
            format!("Basic {}", STANDARD.encode(pair))
        });
        Ok(Introspector {
            validator,
            target: Target::parse(url)?,
            authorization,
            timeout,
        })
    }

    /// The validator the answers are given to.
    pub fn validator(&self) -> &Arc<IntrospectionValidator> {
        &self.validator
    }

    /// The verdict of the endpoint on `token`, judged at `now`.
    pub async fn ask(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        let mut headers = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ];
        if let Some(a) = &self.authorization {
            headers.push(("authorization", a.clone()));
        }
        let body = format!(
            "token={}&token_type_hint=access_token",
            http::form_encode(token)
        );
        let answer = http::request(
            &self.target,
            Method::POST,
            &headers,
            Bytes::from(body),
            self.timeout,
        )
        .await;
        match answer {
            Ok(a) => self.validator.from_response(token, a.status, &a.body, now),
            // Unreachable or slower than the timeout: try again later, never admitted.
            Err(_) => Err(self.validator.unavailable()),
        }
    }
}

/// JWS-shaped tokens to the JWT validator (when there is one), every other token to
/// introspection.
pub struct JwtOrOpaque {
    jwt: Option<Arc<dyn Validator>>,
    opaque: Arc<IntrospectionValidator>,
}

impl JwtOrOpaque {
    /// Routes between `jwt` and `opaque`.
    pub fn new(jwt: Option<Arc<dyn Validator>>, opaque: Arc<IntrospectionValidator>) -> Self {
        JwtOrOpaque { jwt, opaque }
    }

    fn pick(&self, token: &str) -> &dyn Validator {
        match &self.jwt {
            Some(jwt) if looks_like_jws(token) => jwt.as_ref(),
            _ => self.opaque.as_ref(),
        }
    }
}

impl Validator for JwtOrOpaque {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.pick(token).validate(token, now)
    }

    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        self.pick(token).verdict(token, now)
    }
}

/// Obtains the verdicts the edge left pending.
pub struct Resolver {
    /// The edge's whole validator, through which a verdict is re-read.
    top: Arc<dyn Validator>,
    keys: Option<Arc<JwksFetcher>>,
    introspection: Option<Introspector>,
}

impl Resolver {
    /// A resolver for the edge whose validator is `top`.
    pub fn new(
        top: Arc<dyn Validator>,
        keys: Option<Arc<JwksFetcher>>,
        introspection: Option<Introspector>,
    ) -> Resolver {
        Resolver {
            top,
            keys,
            introspection,
        }
    }

    /// Whether any verdict can come later.
    pub fn is_needed(&self) -> bool {
        self.keys.is_some() || self.introspection.is_some()
    }

    /// The Retry-After of a verdict that could not be obtained.
    pub fn unavailable(&self) -> ValidationError {
        match &self.introspection {
            Some(i) => i.validator.unavailable(),
            None => ValidationError::Unavailable {
                retry_after: sip_oauth::validate::DEFAULT_RETRY_AFTER_SECONDS,
            },
        }
    }

    /// The verdict on the token of `pending`.
    pub async fn resolve(
        &self,
        pending: &PendingRegister,
    ) -> Result<Arc<Authorization>, ValidationError> {
        let (token, now) = (pending.token(), pending.received_at());
        if looks_like_jws(token) {
            if let Some(keys) = &self.keys {
                keys.refresh_for_unknown_kid().await;
                return self.top.validate(token, now);
            }
        }
        let Some(i) = &self.introspection else {
            return Err(self.unavailable());
        };
        let answer = i.ask(token, now).await?;
        drop(answer);
        // The answer is cached now: read it back through confinement and the token cache.
        // An answer the cache had no room for reads back as unavailable (503): never
        // admitted without the checks the edge's validator adds.
        self.top.validate(token, now)
    }
}
