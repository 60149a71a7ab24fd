//! A bounded cache of verified tokens, so a re-registration with the same token skips the
//! signature check.
//!
//! A WIC refreshes its registration (RFC 3261 section 10.2.4) well before the token expires and
//! often with the same token; verifying an RS256 signature again costs far more than a lookup.
//! Entries never outlive the token's `exp` (RFC 7519 section 4.1.4), nor an optional maximum
//! age, and the cache holds at most its capacity. Only successes are cached.
//!
//! A full shard makes room by evicting its oldest insertion, in constant time (the entries
//! are chained in insertion order); an expired entry is dropped when a lookup meets it.
//!
//! Lookup hashes the tail of the token (for a JWS, its signature) into a bucket, then compares
//! the whole token with the stored copy in constant time, so a hit costs a few dozen
//! nanoseconds and never confuses two tokens. Entries are created only for tokens the inner
//! validator accepted, so an attacker cannot fill buckets with chosen collisions.

use std::collections::HashMap;
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

/// One lock's worth of entries: a map from bucket key to slot, and the slots chained in
/// insertion order (oldest first) so that eviction, insertion and removal are all O(1).
#[derive(Default)]
struct Shard {
    map: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    /// Storage of the entries; never longer than the shard's capacity.
    slots: Vec<Slot>,
    /// Slots whose entry was removed, reused before `slots` grows.
    free: Vec<usize>,
    /// Oldest insertion.
    head: Option<usize>,
    /// Newest insertion.
    tail: Option<usize>,
}

struct Entry {
    token: Box<[u8]>,
    authorization: Arc<Authorization>,
    until: SystemTime,
}

struct Slot {
    key: u64,
    entry: Option<Entry>,
    older: Option<usize>,
    newer: Option<usize>,
}

impl Shard {
    fn get(&self, key: u64) -> Option<&Entry> {
        let i = *self.map.get(&key)?;
        self.slots.get(i)?.entry.as_ref()
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn clear(&mut self) {
        *self = Shard::default();
    }

    fn unlink(&mut self, i: usize) {
        let (older, newer) = match self.slots.get(i) {
            Some(s) => (s.older, s.newer),
            None => return,
        };
        match older.and_then(|o| self.slots.get_mut(o)) {
            Some(o) => o.newer = newer,
            None => self.head = newer,
        }
        match newer.and_then(|n| self.slots.get_mut(n)) {
            Some(n) => n.older = older,
            None => self.tail = older,
        }
    }

    fn link_newest(&mut self, i: usize) {
        let tail = self.tail;
        if let Some(s) = self.slots.get_mut(i) {
            s.older = tail;
            s.newer = None;
        }
        match tail.and_then(|t| self.slots.get_mut(t)) {
            Some(t) => t.newer = Some(i),
            None => self.head = Some(i),
        }
        self.tail = Some(i);
    }

    /// Drops the entry under `key`, if any.
    fn remove(&mut self, key: u64) {
        if let Some(i) = self.map.remove(&key) {
            self.unlink(i);
            if let Some(s) = self.slots.get_mut(i) {
                s.entry = None;
            }
            self.free.push(i);
        }
    }

    /// Stores `entry` under `key` as the newest insertion, first evicting the oldest one
    /// when the shard already holds `capacity` other entries. O(1): no scan.
    fn insert(&mut self, key: u64, entry: Entry, capacity: usize) {
        if let Some(&i) = self.map.get(&key) {
            if let Some(s) = self.slots.get_mut(i) {
                s.entry = Some(entry);
            }
            self.unlink(i);
            self.link_newest(i);
            return;
        }
        if self.map.len() >= capacity {
            let oldest = self.head.and_then(|h| self.slots.get(h)).map(|s| s.key);
            match oldest {
                Some(k) => self.remove(k),
                None => return,
            }
        }
        let slot = Slot {
            key,
            entry: Some(entry),
            older: None,
            newer: None,
        };
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = slot;
                }
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.link_newest(i);
    }

    /// The keys from the oldest insertion to the newest.
    #[cfg(test)]
    fn order(&self) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = self.head;
        while let Some(i) = at {
            out.push(self.slots[i].key);
            at = self.slots[i].newer;
        }
        out
    }
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
    let mix = |h: u64, word: u64| {
        (h ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31)
    };
    let words = tail.chunks_exact(8);
    let rest = words.remainder();
    for chunk in words {
        h = mix(h, u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
    }
    // A short tail (a token under 32 bytes) is zero-padded to a last word.
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(word));
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

    /// How many tokens are cached (expired ones included until they are looked up or
    /// evicted).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every cached token, e.g. after a key was withdrawn.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            lock(shard).clear();
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

    fn insert(&self, shard: &Mutex<Shard>, key: u64, entry: Entry) {
        lock(shard).insert(key, entry, self.per_shard);
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // Nothing run under the lock panics (no indexing, no caller code), so a poisoned lock
    // still guards a consistent shard and the data stays usable.
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
        let mut s = lock(shard);
        match s.get(key) {
            Some(e) if now >= e.until => s.remove(key),
            Some(e) if constant_time_eq(&e.token, token.as_bytes()) => {
                return Ok(Arc::clone(&e.authorization));
            }
            _ => {}
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
            self.insert(shard, key, entry);
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
    fn the_bucket_key_reads_the_tail_word_by_word_as_a_byte_copy_would() {
        fn bytewise(token: &[u8]) -> u64 {
            let tail = &token[token.len().saturating_sub(32)..];
            let mut h = (token.len() as u64) ^ 0x243f_6a88_85a3_08d3;
            for chunk in tail.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                h = (h ^ u64::from_le_bytes(word))
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .rotate_left(31);
            }
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            h ^ (h >> 33)
        }
        let long: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(37)).collect();
        for n in 0..long.len() {
            assert_eq!(bucket_key(&long[..n]), bytewise(&long[..n]), "{n}");
        }
    }

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

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::UNIX_EPOCH;

    use crate::identity::Impi;

    /// Accepts every token until `exp`, counting the calls.
    struct Counting {
        calls: AtomicUsize,
        exp: SystemTime,
    }

    impl Validator for Counting {
        fn validate(
            &self,
            _token: &str,
            _now: SystemTime,
        ) -> Result<Arc<Authorization>, ValidationError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let mut auth = Authorization::new(Impi::try_from("alice@home.example").unwrap());
            auth.expires_at = Some(self.exp);
            Ok(Arc::new(auth))
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn cache(capacity: usize) -> CachingValidator<Counting> {
        let inner = Counting {
            calls: AtomicUsize::new(0),
            exp: at(1_000),
        };
        CachingValidator::new(inner, capacity)
    }

    fn calls(c: &CachingValidator<Counting>) -> usize {
        c.inner().calls.load(Ordering::Relaxed)
    }

    fn order(c: &CachingValidator<Counting>) -> Vec<u64> {
        c.shards.iter().flat_map(|s| lock(s).order()).collect()
    }

    fn keys(tokens: &[&str]) -> Vec<u64> {
        tokens.iter().map(|t| bucket_key(t.as_bytes())).collect()
    }

    #[test]
    fn a_full_shard_evicts_its_oldest_insertion() {
        let c = cache(3);
        assert_eq!(c.shards.len(), 1);
        for t in ["t1", "t2", "t3"] {
            c.validate(t, at(1)).unwrap();
        }
        assert_eq!(order(&c), keys(&["t1", "t2", "t3"]));
        // A hit does not change the order; a fourth token evicts the first.
        c.validate("t1", at(1)).unwrap();
        assert_eq!(calls(&c), 3);
        c.validate("t4", at(1)).unwrap();
        assert_eq!(order(&c), keys(&["t2", "t3", "t4"]));
        c.validate("t5", at(1)).unwrap();
        assert_eq!(order(&c), keys(&["t3", "t4", "t5"]));
        // t1 was evicted: verified again, and it evicts t3.
        c.validate("t1", at(1)).unwrap();
        assert_eq!(calls(&c), 6);
        assert_eq!(order(&c), keys(&["t4", "t5", "t1"]));
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn an_expired_entry_is_dropped_when_met_and_its_slot_reused() {
        let c = cache(3);
        for t in ["t1", "t2", "t3"] {
            c.validate(t, at(1)).unwrap();
        }
        // Past `exp`: the lookup drops t2 and verifies again, which caches nothing (the
        // answer is already expired).
        assert!(c.validate("t2", at(2_000)).is_ok());
        assert_eq!(order(&c), keys(&["t1", "t3"]));
        c.validate("t4", at(1)).unwrap();
        assert_eq!(order(&c), keys(&["t1", "t3", "t4"]));
        assert_eq!(
            c.shards.iter().map(|s| lock(s).slots.len()).sum::<usize>(),
            3
        );
        c.clear();
        assert!(c.is_empty());
        assert!(order(&c).is_empty());
    }

    #[test]
    fn capacity_is_never_exceeded_under_churn() {
        for capacity in [1, 2, 7, 64, 200, 1_000] {
            let c = cache(capacity);
            let per_shard = capacity / c.shards.len();
            for i in 0..(capacity * 5 + 50) {
                // Mostly new tokens, some repeats, some lookups past expiry.
                let t = format!("token-{}", i % (capacity * 3 + 1));
                let now = if i % 13 == 0 { at(2_000) } else { at(1) };
                c.validate(&t, now).unwrap();
                for shard in c.shards.iter() {
                    let s = lock(shard);
                    assert!(s.len() <= per_shard, "capacity {capacity}");
                    assert!(s.slots.len() <= per_shard, "capacity {capacity}");
                    assert_eq!(s.order().len(), s.len());
                }
                assert!(c.len() <= capacity);
            }
        }
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let c = cache(0);
        c.validate("t1", at(1)).unwrap();
        c.validate("t1", at(1)).unwrap();
        assert_eq!(calls(&c), 2);
        assert!(c.is_empty());
    }
}
