//! The token issuer stand-in (WAF): mints access tokens for WebRTC IMS clients and writes
//! the key material an edge verifies them with.
//!
//! ```text
//! # HS256 with a secret (written to --secret-file when generated):
//! cargo run --example waf -- --alg HS256 --secret-file /tmp/waf.secret --user bob
//! # RS256 / ES256 with the test keys under examples/keys/, writing the JWKS:
//! cargo run --example waf -- --alg RS256 --jwks-out /tmp/waf.jwks.json --user bob
//! ```
//! The token goes to standard output (one line per `--count`), so scripts can capture it.
//!
//! With `--serve ADDR` the WAF stays up and serves its JWK Set at `/jwks` (with a
//! Cache-Control max-age) and token introspection at `/introspect` (RFC 7662, the client
//! authenticated with HTTP Basic when `--client-id` and `--client-secret` are given). Its
//! signing key rotates every `--rotate-every` seconds and on SIGHUP; after each rotation a
//! token signed with the new key is printed.
//! ```text
//! cargo run --example waf -- --alg ES256 --serve 127.0.0.1:8081 --max-age 60 \
//!     --client-id epcscf --client-secret s3cret --opaque true
//! cargo run --example epcscf -- --jwks-url http://127.0.0.1:8081/jwks --audience epcscf.visited.example \
//!     --introspection-url http://127.0.0.1:8081/introspect \
//!     --introspection-client-id epcscf --introspection-client-secret s3cret
//! ```

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::args::Settings;
use common::tokens::{self, Claims, Signer};
use common::waf_server::{WafOptions, WafServer};
use common::wic_client::random_id;

const USAGE: &str = "\
usage: waf [--config FILE] [flags]
  --alg A             HS256 (default), RS256 or ES256
  --secret S          HS256 secret (text)
  --secret-file F     HS256 secret file: read if it exists, else a random secret is written there
  --private-key F     RS256/ES256 private key PEM (default: the test key in examples/keys/)
  --public-key F      its public key PEM (default: the test key's)
  --jwks-out F        write the JWK Set of the public key here (RS256/ES256)
  --public-key-out F  write the public key PEM here (RS256/ES256)
  --kid K             key id (default waf-1)
  --issuer URL        iss (default https://waf.example)
  --audience A        aud (default epcscf.visited.example)
  --home-domain D     home domain of the identities (default ims.mnc001.mcc001.3gppnetwork.org)
  --user U            user name: impi U@D, impus [sip:U@D] (default bob)
  --scope S           scope (default sip)
  --wwsf W            wwsf (default wwsf.example)
  --lifetime SECS     validity from now; negative for an already expired token (default 3600)
  --count N           mint N tokens, users U1..UN when N > 1 (default 1)
  --serve ADDR        stay up serving /jwks and /introspect over http at ADDR
  --max-age SECS      Cache-Control max-age of /jwks (default 300)
  --rotate-every SECS rotate the signing key this often (also on SIGHUP; default: never)
  --client-id ID      client id /introspect requires (HTTP Basic), with --client-secret
  --client-secret S   its secret
  --opaque BOOL       true: print opaque tokens, answered by /introspect, not JWTs";

fn signer(s: &Settings) -> Result<Signer, String> {
    let kid = s.get_or("kid", "waf-1");
    let read = |f: &str| std::fs::read(f).map_err(|e| format!("reading {f}: {e}"));
    match s.get_or("alg", "HS256") {
        "HS256" => {
            if let Some(secret) = s.get("secret") {
                return Ok(Signer::hs256(secret.as_bytes(), kid));
            }
            let Some(file) = s.get("secret-file") else {
                return Ok(Signer::hs256(tokens::DEMO_SECRET, kid));
            };
            let secret = match std::fs::read(file) {
                Ok(mut b) => {
                    while b.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                        b.pop();
                    }
                    b
                }
                Err(_) => {
                    let fresh = random_id(48).into_bytes();
                    std::fs::write(file, &fresh).map_err(|e| format!("writing {file}: {e}"))?;
                    eprintln!("waf: wrote a new HS256 secret to {file}");
                    fresh
                }
            };
            Ok(Signer::hs256(&secret, kid))
        }
        alg @ ("RS256" | "ES256") => {
            let (default_private, default_public) = if alg == "RS256" {
                (tokens::RS256_PRIVATE, tokens::RS256_PUBLIC)
            } else {
                (tokens::ES256_PRIVATE, tokens::ES256_PUBLIC)
            };
            let private = match s.get("private-key") {
                Some(f) => read(f)?,
                None => default_private.to_vec(),
            };
            let public = match s.get("public-key") {
                Some(f) => read(f)?,
                None => default_public.to_vec(),
            };
            let signer = if alg == "RS256" {
                Signer::rs256(&private, &public, kid)?
            } else {
                Signer::es256(&private, &public, kid)?
            };
            if let Some(f) = s.get("jwks-out") {
                let jwks =
                    serde_json::to_string_pretty(&signer.jwks()?).map_err(|e| e.to_string())?;
                std::fs::write(f, jwks).map_err(|e| format!("writing {f}: {e}"))?;
            }
            if let Some(f) = s.get("public-key-out") {
                std::fs::write(f, &public).map_err(|e| format!("writing {f}: {e}"))?;
            }
            Ok(signer)
        }
        other => Err(format!("--alg {other:?}: HS256, RS256 or ES256")),
    }
}

fn run() -> Result<(), String> {
    let s = Settings::from_args(
        &[
            "alg",
            "secret",
            "secret-file",
            "private-key",
            "public-key",
            "jwks-out",
            "public-key-out",
            "kid",
            "issuer",
            "audience",
            "home-domain",
            "user",
            "scope",
            "wwsf",
            "lifetime",
            "count",
            "serve",
            "max-age",
            "rotate-every",
            "client-id",
            "client-secret",
            "opaque",
        ],
        USAGE,
    )?;
    if s.get("serve").is_some() {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        return runtime.block_on(serve(&s));
    }
    let signer = signer(&s)?;
    for claims in claims(&s)? {
        println!("{}", signer.mint(&claims)?);
    }
    Ok(())
}

/// The claims of the tokens to mint: `--count` users, `--lifetime` from now.
fn claims(s: &Settings) -> Result<Vec<Claims>, String> {
    let lifetime: i64 = s.parsed("lifetime")?.unwrap_or(3600);
    let count: usize = s.parsed("count")?.unwrap_or(1);
    let user = s.get_or("user", "bob");
    let home = s.get_or("home-domain", "ims.mnc001.mcc001.3gppnetwork.org");
    let now = SystemTime::now();
    // An expired token is minted as if issued long enough ago.
    let (issued, life) = if lifetime >= 0 {
        (now, Duration::from_secs(lifetime.unsigned_abs()))
    } else {
        (
            now - Duration::from_secs(lifetime.unsigned_abs() + 60),
            Duration::from_secs(60),
        )
    };
    let mut out = Vec::new();
    for i in 1..=count {
        let name = if count > 1 {
            format!("{user}{i}")
        } else {
            user.to_owned()
        };
        let mut claims = Claims::for_user(
            &name,
            home,
            s.get_or("issuer", "https://waf.example"),
            s.get_or("audience", "epcscf.visited.example"),
            issued,
            life,
        );
        claims.scope = s.get_or("scope", "sip").to_owned();
        claims.wwsf = s.get_or("wwsf", "wwsf.example").to_owned();
        out.push(claims);
    }
    Ok(out)
}

/// Prints the tokens of `claims`: opaque ones registered with `waf`, or JWTs it signs.
fn print_tokens(s: &Settings, waf: &WafServer) -> Result<(), String> {
    for c in claims(s)? {
        if s.get("opaque").is_some_and(|v| v != "false") {
            println!("{}", waf.issue_opaque(c));
        } else {
            println!("{}", waf.mint(&c)?);
        }
    }
    Ok(())
}

/// Serves /jwks and /introspect until Ctrl-C, rotating the key on the timer and on SIGHUP.
async fn serve(s: &Settings) -> Result<(), String> {
    let addr: std::net::SocketAddr = s
        .get_or("serve", "127.0.0.1:8081")
        .parse()
        .map_err(|e| format!("--serve: {e}"))?;
    let client = match (s.get("client-id"), s.get("client-secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
        (None, None) => None,
        _ => return Err("--client-id and --client-secret go together".into()),
    };
    let options = WafOptions {
        signer: signer(s)?,
        max_age: Duration::from_secs(s.parsed("max-age")?.unwrap_or(300)),
        client,
    };
    let waf = Arc::new(WafServer::start(addr, options).await?);
    eprintln!(
        "waf: serving {} and {} (key {})",
        waf.jwks_url(),
        waf.introspection_url(),
        waf.kid()
    );
    print_tokens(s, &waf)?;
    let _timer = match s.parsed::<u64>("rotate-every")? {
        Some(secs) if secs > 0 => Some(waf.rotate_every(Duration::from_secs(secs))),
        _ => None,
    };
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("SIGHUP: {e}"))?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let kid = waf.rotate()?;
                eprintln!("waf: signing key rotated, now {kid}");
                print_tokens(s, &waf)?;
            }
            r = tokio::signal::ctrl_c() => {
                r.map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
                return Ok(());
            }
        }
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("waf: {e}");
        std::process::exit(2);
    }
}
