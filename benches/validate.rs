//! Token validation cost: HS256, RS256 and ES256 through `JwtValidator`, a cache hit, and a
//! full cache under churn (every lookup misses, every insert evicts), each next to its floor
//! (a bare HMAC over the signing input, a bare aws-lc signature check with the key parsed
//! once, plain `jsonwebtoken::decode` of the same token, a bare map lookup, the inner
//! validator alone).
//!
//! Instruction counts, which do not depend on machine load, come from the same operations run
//! under callgrind: `VALIDATE_COUNT=<group>/<name>` runs that one operation
//! `VALIDATE_COUNT_ITERS` times (default 1000) inside `count_loop` and exits, e.g.
//!
//! ```text
//! VALIDATE_COUNT=validate_hs256/jwt_validator valgrind --tool=callgrind \
//!     --toggle-collect='*count_loop*' target/release/deps/validate-<hash>
//! ```
//!
//! and the `Collected` total divided by the iterations is the count per operation.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde_json::json;
use sha2::Sha256;
use sip_oauth::identity::Impi;
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{
    Authorization, CachingValidator, CryptoBackend, FixedValidator, JwtConfig, JwtValidator,
    Validator,
};

const ISSUER: &str = "https://waf.home.example";
const AUDIENCE: &str = "epcscf.home.example";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const NOW: u64 = 1_800_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn data(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/data/jwt/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A typical access token for a WebRTC client: about 500 bytes of claims.
fn token(alg: Algorithm, key: &EncodingKey) -> String {
    let header = json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": "k1"});
    let claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "8d7f1c2e-5b7a-4c1e-9a51-7c0f3e2d9b10",
        "exp": NOW + 3600,
        "nbf": NOW - 60,
        "iat": NOW - 60,
        "jti": "f5a4c0de-2b31-4a4e-8f16-8f0f7d1c2b3a",
        "client_id": "webrtc-client",
        "impi": "alice_private@home.example",
        "impus": ["sip:alice@home.example", "tel:+15551234567"],
        "wwsf": "wwsf.web.example",
        "scope": "openid sip ims",
    });
    let b64 = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!("{}.{}", b64(&header), b64(&claims));
    let signer = (CryptoBackend::default().provider().signer_factory)(&alg, key).unwrap();
    let sig = signer.try_sign(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn validator(source: KeySource, backend: CryptoBackend) -> JwtValidator {
    JwtValidator::new(
        JwtConfig::new(source)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .required_scope("sip")
            .backend(backend),
    )
    .unwrap()
}

fn floor_validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    // `jsonwebtoken` reads the system clock; the bench token must stay valid for it too.
    v.validate_exp = false;
    v
}

fn bench_asymmetric(
    name: &str,
    alg: Algorithm,
    private: &str,
    public: &str,
    decoding: fn(&[u8]) -> jsonwebtoken::errors::Result<DecodingKey>,
    encoding: fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>,
    ops: &mut Vec<Op>,
) {
    let token = token(alg, &encoding(&data(private)).unwrap());
    let key = decoding(&data(public)).unwrap();
    let validation = floor_validation(alg);
    #[cfg(feature = "aws-lc-rs")]
    {
        let raw = raw_verifier(alg, &key);
        let (input, sig) = token.rsplit_once('.').unwrap();
        let (input, sig) = (input.to_owned(), URL_SAFE_NO_PAD.decode(sig).unwrap());
        assert!(raw.verify_sig(input.as_bytes(), &sig).is_ok());
        ops.push(op(name, "floor_raw_verify_parsed_key", move || {
            raw.verify_sig(black_box(input.as_bytes()), black_box(&sig))
                .unwrap()
        }));
    }
    let t = token.clone();
    ops.push(op(name, "floor_jsonwebtoken_decode", move || {
        jsonwebtoken::decode::<serde_json::Value>(black_box(&t), &key, &validation).unwrap();
    }));
    for &backend in CryptoBackend::available() {
        let v = validator(KeySource::Pem(data(public)), backend);
        assert!(v.validate(&token, now()).is_ok());
        let t = token.clone();
        ops.push(op(name, &format!("jwt_validator_{backend:?}"), move || {
            v.validate(black_box(&t), now()).unwrap();
        }));
    }
}

/// aws-lc's own check with the public key parsed once: the cost of the signature alone.
#[cfg(feature = "aws-lc-rs")]
fn raw_verifier(alg: Algorithm, key: &DecodingKey) -> aws_lc_rs::signature::ParsedPublicKey {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    };
    let bytes = match key.kind() {
        jsonwebtoken::DecodingKeyKind::SecretOrDer(bytes) => bytes,
        jsonwebtoken::DecodingKeyKind::RsaModulusExponent { .. } => unreachable!(),
    };
    match alg {
        Algorithm::RS256 => ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, bytes).unwrap(),
        Algorithm::ES256 => ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, bytes).unwrap(),
        _ => unreachable!(),
    }
}

/// One measured operation: its criterion group, its name, and the work of one iteration.
struct Op {
    group: String,
    name: String,
    run: Box<dyn FnMut()>,
}

fn op(group: &str, name: &str, run: impl FnMut() + 'static) -> Op {
    Op {
        group: group.to_owned(),
        name: name.to_owned(),
        run: Box::new(run),
    }
}

/// The loop callgrind collects in (see the module docs).
#[inline(never)]
fn count_loop(iters: usize, run: &mut dyn FnMut()) {
    for _ in 0..iters {
        run();
    }
}

/// The signature-checking operations, floors first.
fn signature_ops() -> Vec<Op> {
    // Only the `jsonwebtoken::decode` floor needs a process-wide provider.
    CryptoBackend::default().install_as_process_default();
    let mut ops = Vec::new();

    // HS256.
    let hs = token(Algorithm::HS256, &EncodingKey::from_secret(SECRET));
    let v = validator(KeySource::Hmac(SECRET.to_vec()), CryptoBackend::default());
    assert!(v.validate(&hs, now()).is_ok());
    let key = DecodingKey::from_secret(SECRET);
    let validation = floor_validation(Algorithm::HS256);
    let group = "validate_hs256";
    let input = hs.rsplit_once('.').unwrap().0.to_owned();
    let mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
    ops.push(op(group, "floor_hmac_only", move || {
        let mut m = mac.clone();
        m.update(black_box(input.as_bytes()));
        black_box(m.finalize());
    }));
    let t = hs.clone();
    ops.push(op(group, "floor_jsonwebtoken_decode", move || {
        jsonwebtoken::decode::<serde_json::Value>(black_box(&t), &key, &validation).unwrap();
    }));
    ops.push(op(group, "jwt_validator", move || {
        v.validate(black_box(&hs), now()).unwrap();
    }));

    bench_asymmetric(
        "validate_rs256",
        Algorithm::RS256,
        "rsa_private.pem",
        "rsa_public.pem",
        DecodingKey::from_rsa_pem,
        EncodingKey::from_rsa_pem,
        &mut ops,
    );
    bench_asymmetric(
        "validate_es256",
        Algorithm::ES256,
        "ec256_private.pem",
        "ec256_public.pem",
        DecodingKey::from_ec_pem,
        EncodingKey::from_ec_pem,
        &mut ops,
    );
    ops
}

fn benches(c: &mut Criterion) {
    let mut ops = signature_ops();
    let mut i = 0;
    while i < ops.len() {
        let group = ops[i].group.clone();
        let mut g = c.benchmark_group(&group);
        while i < ops.len() && ops[i].group == group {
            let op = &mut ops[i];
            g.bench_function(&op.name, |b| b.iter(&mut op.run));
            i += 1;
        }
        g.finish();
    }

    // Cache hit on an RS256 token: the re-registration case.
    let rs = token(
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(&data("rsa_private.pem")).unwrap(),
    );
    let inner = validator(
        KeySource::Pem(data("rsa_public.pem")),
        CryptoBackend::default(),
    );
    let cache = CachingValidator::new(inner, 10_000);
    let auth = cache.validate(&rs, now()).unwrap();
    let mut map: HashMap<String, Arc<Authorization>> = HashMap::new();
    map.insert(rs.clone(), Arc::clone(&auth));
    let mut g = c.benchmark_group("validate_cache_hit");
    g.bench_function("floor_std_hashmap_get", |b| {
        b.iter(|| Arc::clone(map.get(black_box(rs.as_str())).unwrap()))
    });
    g.bench_function("caching_validator", |b| {
        b.iter(|| cache.validate(black_box(&rs), now()).unwrap())
    });
    g.finish();

    bench_cache_churn(c, &rs);
}

/// A full cache under churn: distinct tokens the size of the RS256 one, cycled through in an
/// order longer than the capacity, so every lookup misses and every insert evicts the oldest
/// entry of its shard. The inner validator answers from memory, so what is measured is the
/// cache's own miss path (lookup, copy of the token, eviction, insertion).
fn bench_cache_churn(c: &mut Criterion, like: &str) {
    const CAPACITY: usize = 1024;
    let mut auth = Authorization::new(Impi::try_from("alice@home.example").unwrap());
    auth.expires_at = Some(now() + Duration::from_secs(3600));
    let tokens: Vec<String> = (0..CAPACITY * 8)
        .map(|i| format!("{}{i:08}", &like[..like.len() - 8]))
        .collect();
    let inner = FixedValidator::any(auth.clone());
    let cache = CachingValidator::new(FixedValidator::any(auth), CAPACITY);
    for t in &tokens {
        cache.validate(t, now()).unwrap();
    }
    assert_eq!(cache.len(), CAPACITY);
    let mut g = c.benchmark_group("validate_cache_churn");
    let mut i = 0;
    g.bench_function("floor_inner_validator", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            inner.validate(black_box(&tokens[i]), now()).unwrap()
        })
    });
    let mut i = 0;
    g.bench_function("caching_validator_full_every_insert_evicts", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            cache.validate(black_box(&tokens[i]), now()).unwrap()
        })
    });
    g.finish();
    assert_eq!(cache.len(), CAPACITY);
}

criterion_group!(validate, benches);

fn main() {
    if let Ok(wanted) = std::env::var("VALIDATE_COUNT") {
        let iters = std::env::var("VALIDATE_COUNT_ITERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        let mut ops = signature_ops();
        let Some(op) = ops
            .iter_mut()
            .find(|o| format!("{}/{}", o.group, o.name) == wanted)
        else {
            panic!("no operation {wanted}");
        };
        count_loop(iters, &mut op.run);
        return;
    }
    validate();
    Criterion::default().configure_from_args().final_summary();
}
