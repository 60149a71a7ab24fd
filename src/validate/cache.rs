//! A bounded cache of verified tokens, so a re-registration with the same token skips the
//! signature check.
//!
//! A WIC refreshes its registration (RFC 3261 section 10.2.4) well before the token expires and
//! often with the same token; verifying an RS256 signature again costs far more than a lookup.
//! Entries never outlive the token's `exp` (RFC 7519 section 4.1.4), nor an optional maximum
//! age, and the cache holds at most its capacity. Only successes are cached.
//!
//! Lookup hashes the tail of the token (for a JWS, its signature) into a bucket, then compares
//! the whole token with the stored copy in constant time, so a hit costs a few dozen
//! nanoseconds and never confuses two tokens. Entries are created only for tokens the inner
//! validator accepted, so an attacker cannot fill buckets with chosen collisions.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use super::{Authorization, ValidationError, Validator, Verdict};

/// Most shards; each has its own lock so connections on different cores rarely contend.
const MAX_SHARDS: usize = 16;
/// Fewest entries per shard, so that an uneven spread of tokens over shards does not evict
/// entries long before the cache as a whole is full.
const MIN_PER_SHARD: usize = 64;

/// Remembers verified tokens of an inner validator until they expire.
pub struct CachingValidator<V> {
    inner: V,
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    max_age: Option<Duration>,
}

impl<V> std::fmt::Debug for CachingValidator<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingValidator")
            .field("capacity", &(self.per_shard * self.shards.len()))
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Shard {
    map: HashMap<u64, Entry, BuildHasherDefault<PassThrough>>,
    /// Insertion order, for eviction; holds exactly the keys of `map`.
    order: VecDeque<u64>,
}

struct Entry {
    token: Box<[u8]>,
    authorization: Arc<Authorization>,
    until: SystemTime,
}

/// The keys are already mixed by [`bucket_key`]; hashing them again would only cost time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Mixes the length and the last 32 bytes of a token into a bucket key.
fn bucket_key(token: &[u8]) -> u64 {
    let tail = token
        .get(token.len().saturating_sub(32)..)
        .unwrap_or_default();
    let mut h = (token.len() as u64) ^ 0x243f_6a88_85a3_08d3;
    for chunk in tail.chunks(8) {
        let mut word = [0u8; 8];
        for (w, b) in word.iter_mut().zip(chunk) {
            *w = *b;
        }
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31);
    }
    // The 64-bit finaliser of MurmurHash3, so every input bit reaches every output bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Compares without an early exit, so timing does not reveal how much of a cached token a
/// guess got right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default());
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa
        .remainder()
        .iter()
        .zip(wb.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let diff = wa
        .zip(wb)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    std::hint::black_box(diff) == 0
}

impl<V: Validator> CachingValidator<V> {
    /// Caches up to `capacity` verified tokens of `inner` (0 disables caching).
    pub fn new(inner: V, capacity: usize) -> Self {
        let shards = (capacity / MIN_PER_SHARD).clamp(1, MAX_SHARDS);
        Self {
            inner,
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity / shards,
            max_age: None,
        }
    }

    /// Also drops entries `max_age` after they were cached, even if the token lives longer
    /// (bounds how long a revoked key or token keeps working). Tokens without `exp` are
    /// cached only when a maximum age is set.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The validator behind the cache.
    pub fn inner(&self) -> &V {
        &self.inner
    }

    /// How many tokens are cached (expired ones included until they are evicted).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every cached token, e.g. after a key was withdrawn.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut s = lock(shard);
            s.map.clear();
            s.order.clear();
        }
    }

    fn shard(&self, key: u64) -> Option<&Mutex<Shard>> {
        let n = self.shards.len() as u64;
        self.shards
            .get(usize::try_from(key % n.max(1)).unwrap_or_default())
    }

    fn cache_until(&self, auth: &Authorization, now: SystemTime) -> Option<SystemTime> {
        let by_age = self.max_age.and_then(|age| now.checked_add(age));
        match (auth.expires_at, by_age) {
            (Some(exp), Some(age)) => Some(exp.min(age)),
            (exp, age) => exp.or(age),
        }
    }

    fn insert(&self, shard: &Mutex<Shard>, key: u64, entry: Entry, now: SystemTime) {
        let mut s = lock(shard);
        let Shard { map, order } = &mut *s;
        if map.len() >= self.per_shard && !map.contains_key(&key) {
            map.retain(|_, e| now < e.until);
            order.retain(|k| map.contains_key(k));
            while map.len() >= self.per_shard {
                match order.pop_front() {
                    Some(oldest) => {
                        map.remove(&oldest);
                    }
                    None => break,
                }
            }
        }
        if map.insert(key, entry).is_none() {
            order.push_back(key);
        }
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic elsewhere while holding the lock cannot leave an entry half-written (each
    // mutation is a single map operation), so the data stays usable.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<V: Validator> CachingValidator<V> {
    /// The remembered grant for `token`, or the key to remember it under.
    fn cached(&self, token: &str, now: SystemTime) -> Result<Arc<Authorization>, Option<u64>> {
        if self.per_shard == 0 {
            return Err(None);
        }
        let key = bucket_key(token.as_bytes());
        let Some(shard) = self.shard(key) else {
            return Err(None);
        };
        if let Some(e) = lock(shard).map.get(&key) {
            if now < e.until && constant_time_eq(&e.token, token.as_bytes()) {
                return Ok(Arc::clone(&e.authorization));
            }
        }
        Err(Some(key))
    }

    /// Remembers a verified grant until it (or the cache's own limit) expires.
    fn remember(
        &self,
        key: Option<u64>,
        token: &str,
        authorization: &Arc<Authorization>,
        now: SystemTime,
    ) {
        let Some(key) = key else {
            return;
        };
        let Some(shard) = self.shard(key) else {
            return;
        };
        if let Some(until) = self.cache_until(authorization, now).filter(|u| now < *u) {
            let entry = Entry {
                token: token.as_bytes().into(),
                authorization: Arc::clone(authorization),
                until,
            };
            self.insert(shard, key, entry, now);
        }
    }
}

impl<V: Validator> Validator for CachingValidator<V> {
    fn validate(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<Arc<Authorization>, ValidationError> {
        match self.cached(token, now) {
            Ok(hit) => Ok(hit),
            Err(key) => {
                let authorization = self.inner.validate(token, now)?;
                self.remember(key, token, &authorization, now);
                Ok(authorization)
            }
        }
    }

    /// A cache hit answers now; otherwise the inner validator's verdict, remembered when
    /// it is an answer given now (a verdict given later reaches the host, not the cache).
    fn verdict(&self, token: &str, now: SystemTime) -> Verdict {
        match self.cached(token, now) {
            Ok(hit) => Verdict::Now(Ok(hit)),
            Err(key) => match self.inner.verdict(token, now) {
                Verdict::Now(Ok(authorization)) => {
                    self.remember(key, token, &authorization, now);
                    Verdict::Now(Ok(authorization))
                }
                other => other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        let long: Vec<u8> = (0..=255).collect();
        for i in 0..long.len() {
            let mut other = long.clone();
            other[i] ^= 0x80;
            assert!(!constant_time_eq(&long, &other), "difference at {i}");
        }
        assert!(constant_time_eq(&long, &long.clone()));
    }

    #[test]
    fn bucket_key_depends_on_tail_and_length() {
        assert_ne!(bucket_key(b"a.b.c1"), bucket_key(b"a.b.c2"));
        assert_ne!(bucket_key(b"x"), bucket_key(b"xx"));
        assert_eq!(bucket_key(b""), bucket_key(b""));
    }
}
