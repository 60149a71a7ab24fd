//! Keys from the WAF, live: the edge fetches the WAF's JWK Set (RFC 7517 section 5) over
//! HTTP and installs it into its [`JwtValidator`] with
//! [`JwtValidator::replace_jwks`], which lets validations in flight finish with the keys
//! they started with.
//!
//! - The set is fetched again when its Cache-Control max-age (RFC 9111 section 5.2.2.1)
//!   runs out, so a key the WAF adds is known before tokens signed with it arrive.
//! - A token naming a `kid` the set lacks ([`KeyRefreshing`]) makes the edge fetch the set
//!   at once, at most once per [`JwksFetcher::min_interval`], so a stream of tokens with
//!   made-up `kid`s cannot turn the edge into a load generator against the WAF.
//! - A fetch that fails (WAF down, bad JSON, no usable key) changes nothing: the last good
//!   set stays in use, and the next attempt comes after the minimum interval.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::Method;
use jsonwebtoken::jwk::JwkSet;
use sip_oauth::validate::{Authorization, JwtValidator, ValidationError, Validator, Verdict};
use tokio::task::JoinHandle;

use super::http::{self, Target};

/// Fewest seconds between two fetches caused by unknown `kid`s, and before retrying a
/// failed fetch.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// The refresh period when the WAF's answer has no max-age.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// The longest refresh period, whatever max-age says.
pub const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How long one fetch may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches a JWK Set and installs it into a validator.
pub struct JwksFetcher {
    target: Target,
    url: String,
    validator: Arc<JwtValidator>,
    min_interval: Duration,
    timeout: Duration,
    state: Mutex<FetchState>,
    /// One fetch at a time: requests that find a fetch under way wait for its result.
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicUsize,
    failures: AtomicUsize,
}

struct FetchState {
    /// When the last fetch started, successful or not.
    last_attempt: Option<Instant>,
    /// When the set is to be fetched again.
    next_refresh: Instant,
}

/// Fetches the set at `url` once, for the validator to be built with.
pub async fn fetch_set(url: &str, timeout: Duration) -> Result<(JwkSet, Duration), String> {
    let target = Target::parse(url)?;
    fetch(&target, timeout).await
}

async fn fetch(target: &Target, timeout: Duration) -> Result<(JwkSet, Duration), String> {
    let headers = [("accept", "application/json".to_owned())];
    let answer = http::request(target, Method::GET, &headers, Bytes::new(), timeout).await?;
    if answer.status != 200 {
        return Err(format!("JWK Set fetch answered {}", answer.status));
    }
    let set: JwkSet = serde_json::from_slice(&answer.body).map_err(|e| format!("JWK Set: {e}"))?;
    let max_age = http::max_age(&answer.headers).unwrap_or(DEFAULT_MAX_AGE);
    Ok((set, max_age))
}

impl JwksFetcher {
    /// A fetcher keeping `validator`'s keys those of `url`; `max_age` is that of the set
    /// the validator was built with.
    pub fn new(
        url: &str,
        validator: Arc<JwtValidator>,
        max_age: Duration,
        min_interval: Duration,
    ) -> Result<JwksFetcher, String> {
        let now = Instant::now();
        Ok(JwksFetcher {
            target: Target::parse(url)?,
            url: url.to_owned(),
            validator,
            min_interval,
            timeout: FETCH_TIMEOUT,
            state: Mutex::new(FetchState {
                last_attempt: Some(now),
                next_refresh: now + clamp(max_age, min_interval),
            }),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicUsize::new(1),
            failures: AtomicUsize::new(0),
        })
    }

    /// The URL fetched.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The validator whose keys are kept up to date.
    pub fn validator(&self) -> &Arc<JwtValidator> {
        &self.validator
    }

    /// The fewest time between two fetches on unknown `kid`s.
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// Fetches done (the first one included), and how many of them failed.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.fetches.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
        )
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FetchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an unknown `kid` may cause a fetch now (the rate limit allows one).
    pub fn may_fetch(&self) -> bool {
        self.state()
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.min_interval)
    }

    /// Fetches the set because a token named an unknown `kid`, unless a fetch started less
    /// than the minimum interval ago. Returns whether the keys were replaced.
    pub async fn refresh_for_unknown_kid(&self) -> bool {
        let _one = self.fetching.lock().await;
        if !self.may_fetch() {
            return false;
        }
        self.fetch_now().await.is_ok()
    }

    /// Fetches the set and installs it; on any failure the keys stay as they were.
    pub async fn fetch_now(&self) -> Result<(), String> {
        self.state().last_attempt = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = match fetch(&self.target, self.timeout).await {
            Ok((set, max_age)) => self
                .validator
                .replace_jwks(set)
                .map(|()| max_age)
                .map_err(|e| format!("JWK Set from {}: {e}", self.url)),
            Err(e) => Err(e),
        };
        let next = match &result {
            Ok(max_age) => clamp(*max_age, self.min_interval),
            Err(_) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.min_interval
            }
        };
        self.state().next_refresh = Instant::now() + next;
        result.map(|_| ())
    }

    /// Refreshes the set whenever its max-age runs out, in a task of its own, logging
    /// failures through `log`.
    pub fn spawn_refresher(
        self: &Arc<Self>,
        log: impl Fn(&str) + Send + Sync + 'static,
    ) -> JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let at = me.state().next_refresh;
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                if me.state().next_refresh > Instant::now() {
                    continue; // an unknown kid fetched it meanwhile
                }
                let _one = me.fetching.lock().await;
                match me.fetch_now().await {
                    Ok(()) => log(&format!("keys refreshed from {}", me.url)),
                    Err(e) => log(&format!("key refresh failed, keeping the last set: {e}")),
                }
            }
        })
    }
}

fn clamp(max_age: Duration, min: Duration) -> Duration {
    max_age.clamp(min.min(MAX_MAX_AGE), MAX_MAX_AGE)
}

/// The JWT validator of a fetched set: a token whose `kid` the set lacks is answered later
/// (after a fetch) rather than refused at once, when the rate limit allows a fetch.
pub struct KeyRefreshing {
    fetcher: Arc<JwksFetcher>,
}

impl KeyRefreshing {
    /// Wraps the validator of `fetcher`.
    pub fn new(fetcher: Arc<JwksFetcher>) -> KeyRefreshing {
        KeyRefreshing { fetcher }
    }
}

impl Validator for KeyRefreshing {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        self.fetcher.validator.validate(token, now)
    }

    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        match self.fetcher.validator.validate(token, now) {
            Err(ValidationError::UnknownKey) if self.fetcher.may_fetch() => Verdict::Later,
            r => Verdict::Now(r),
        }
    }
}
