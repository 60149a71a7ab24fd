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

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, SystemTime};

use common::args::Settings;
use common::tokens::{self, Claims, Signer};
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
  --count N           mint N tokens, users U1..UN when N > 1 (default 1)";

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
        ],
        USAGE,
    )?;
    let signer = signer(&s)?;
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
        println!("{}", signer.mint(&claims)?);
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("waf: {e}");
        std::process::exit(2);
    }
}
