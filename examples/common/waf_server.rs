//! The WAF's HTTP endpoints: its JWK Set at `/jwks` (RFC 7517 section 5, with a
//! Cache-Control max-age telling verifiers when to fetch it again) and token introspection
//! at `/introspect` (RFC 7662 section 2, the client authenticated with HTTP Basic,
//! RFC 7617). The handle rotates the signing key and issues opaque tokens, for the `waf`
//! program, the demo and the tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::Method;
use jsonwebtoken::jwk::JwkSet;
use tokio::task::JoinHandle;

use super::http::{self, Asked, Reply};
use super::tokens::{Claims, Signer};
use super::wic_client::random_id;

/// How the endpoints behave.
pub struct WafOptions {
    /// The first signing key.
    pub signer: Signer,
    /// The Cache-Control max-age of the JWK Set.
    pub max_age: Duration,
    /// The client id and secret the introspection endpoint requires (RFC 7662 section 2.1);
    /// `None`: any caller is answered.
    pub client: Option<(String, String)>,
}

/// The signing keys: the current one signs; the one before is still published so tokens
/// it signed stay verifiable until they expire.
struct Keys {
    current: Arc<Signer>,
    previous: Option<Arc<Signer>>,
}

struct State {
    keys: Mutex<Keys>,
    /// Opaque tokens issued, with their claims (absent once revoked).
    opaque: Mutex<HashMap<String, Claims>>,
    max_age: Duration,
    client: Option<(String, String)>,
    /// Delay before each introspection answer, in milliseconds (to play a slow server).
    delay_ms: AtomicU64,
    jwks_fetches: AtomicUsize,
    rotations: AtomicUsize,
}

/// The running endpoints; dropping the handle stops them.
pub struct WafServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for WafServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WafServer {
    /// Serves the endpoints on `addr`.
    pub async fn start(addr: SocketAddr, options: WafOptions) -> Result<WafServer, String> {
        let listener = http::bind(addr).await?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = Arc::new(State {
            keys: Mutex::new(Keys {
                current: Arc::new(options.signer),
                previous: None,
            }),
            opaque: Mutex::new(HashMap::new()),
            max_age: options.max_age,
            client: options.client,
            delay_ms: AtomicU64::new(0),
            jwks_fetches: AtomicUsize::new(0),
            rotations: AtomicUsize::new(0),
        });
        let shared = Arc::clone(&state);
        let task = http::serve(listener, move |req| {
            let state = Arc::clone(&shared);
            async move { state.answer(req).await }
        });
        Ok(WafServer { addr, state, task })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/jwks`.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks", self.addr)
    }

    /// `http://ADDR/introspect`.
    pub fn introspection_url(&self) -> String {
        format!("http://{}/introspect", self.addr)
    }

    /// Signs `claims` with the current key.
    pub fn mint(&self, claims: &Claims) -> Result<String, String> {
        self.state.current().mint(claims)
    }

    /// The current signing key's `kid`.
    pub fn kid(&self) -> String {
        self.state.current().kid().to_owned()
    }

    /// Replaces the signing key with a fresh ES256 key under a new `kid`, returned; the
    /// key it replaces stays published.
    pub fn rotate(&self) -> Result<String, String> {
        self.state.rotate()
    }

    /// Issues an opaque token (random, meaningless to the edge) for `claims`, answered by
    /// the introspection endpoint.
    pub fn issue_opaque(&self, claims: Claims) -> String {
        // A bearer token is a secret: 240 bits from the system's random source.
        let mut bytes = [0u8; 30];
        let token = match aws_lc_rs::rand::fill(&mut bytes) {
            Ok(()) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
            Err(_) => random_id(40),
        };
        lock(&self.state.opaque).insert(token.clone(), claims);
        token
    }

    /// Revokes an opaque token: introspection answers `"active": false` from now on.
    pub fn revoke(&self, token: &str) {
        lock(&self.state.opaque).remove(token);
    }

    /// Delays every introspection answer by `delay`.
    pub fn set_introspection_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.delay_ms.store(ms, Ordering::Relaxed);
    }

    /// How many times the JWK Set was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::Relaxed)
    }

    /// Rotates the key every `period` in a task of its own, until the handle is dropped.
    pub fn rotate_every(self: &Arc<Self>, period: Duration) -> JoinHandle<()> {
        let waf = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(waf) = waf.upgrade() else { return };
                match waf.rotate() {
                    Ok(kid) => eprintln!("waf: signing key rotated, now {kid}"),
                    Err(e) => eprintln!("waf: rotation failed: {e}"),
                }
            }
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn current(&self) -> Arc<Signer> {
        Arc::clone(&lock(&self.keys).current)
    }

    fn rotate(&self) -> Result<String, String> {
        let n = self.rotations.fetch_add(1, Ordering::Relaxed) + 2;
        let kid = format!("waf-rotated-{n}-{}", random_id(6));
        let fresh = Arc::new(Signer::es256_generated(&kid)?);
        let mut keys = lock(&self.keys);
        let old = std::mem::replace(&mut keys.current, fresh);
        keys.previous = Some(old);
        Ok(kid)
    }

    /// The published keys: the current and the previous one (secrets are never published).
    fn jwks(&self) -> JwkSet {
        let keys = lock(&self.keys);
        let mut set = JwkSet { keys: Vec::new() };
        for signer in std::iter::once(&keys.current).chain(keys.previous.as_ref()) {
            if let Ok(s) = signer.jwks() {
                set.keys.extend(s.keys);
            }
        }
        set
    }

    async fn answer(&self, req: Asked) -> Reply {
        match (req.method.clone(), req.path.as_str()) {
            (Method::GET, "/jwks") => {
                self.jwks_fetches.fetch_add(1, Ordering::Relaxed);
                let body = serde_json::to_vec(&self.jwks()).unwrap_or_default();
                Reply::json(200, body).with(
                    "cache-control",
                    format!("public, max-age={}", self.max_age.as_secs()),
                )
            }
            (Method::POST, "/introspect") => self.introspect(&req).await,
            _ => Reply::json(404, r#"{"error":"not_found"}"#),
        }
    }

    /// RFC 7662 section 2: the caller authenticates, posts `token=...`, and hears whether
    /// it is active and what it grants.
    async fn introspect(&self, req: &Asked) -> Reply {
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if let Some((id, secret)) = &self.client {
            let expected = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
            let given = req
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok());
            if given != Some(expected.as_str()) {
                // RFC 6749 section 5.2 invalid_client, with the scheme to use.
                return Reply::json(401, r#"{"error":"invalid_client"}"#)
                    .with("www-authenticate", "Basic realm=\"waf\"".to_owned());
            }
        }
        let Some(token) = http::form_field(&req.body, "token") else {
            return Reply::json(400, r#"{"error":"invalid_request"}"#);
        };
        let claims = lock(&self.opaque).get(&token).cloned();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let body = match claims {
            Some(c) if c.exp > now => {
                let mut v = serde_json::to_value(&c).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("active".into(), true.into());
                    o.insert("token_type".into(), "Bearer".into());
                }
                v.to_string()
            }
            // RFC 7662 section 2.2: nothing more is said about a token that is not active.
            _ => r#"{"active":false}"#.to_owned(),
        };
        Reply::json(200, body)
    }
}
