//! A WebRTC IMS client reduced to registration: connects over WebSocket (subprotocol
//! `sip`), registers with a bearer token, re-registers, de-registers, and prints each
//! final response.
//!
//! ```text
//! TOKEN=$(cargo run -q --example waf -- --user bob)
//! cargo run --example wic -- --url ws://127.0.0.1:8080/ --user bob --token "$TOKEN"
//! ```

#[path = "common/mod.rs"]
mod common;

use common::args::Settings;
use common::wic_client::Wic;

const USAGE: &str = "\
usage: wic [--config FILE] [flags]
  --url URL           eP-CSCF WebSocket URL (default ws://127.0.0.1:8080/)
  --user U            user name (default bob)
  --home-domain D     home domain (default ims.mnc001.mcc001.3gppnetwork.org)
  --token T           access token (or --token-file F)
  --token-file F      file holding the access token
  --token-in W        header (Authorization: Bearer in the REGISTER, default), handshake
                      (Authorization: Bearer on the WebSocket upgrade) or query (?access_token=)
  --expires SECS      registration lifetime asked for (default 600)";

async fn run() -> Result<bool, String> {
    let s = Settings::from_args(
        &[
            "url",
            "user",
            "home-domain",
            "token",
            "token-file",
            "token-in",
            "expires",
        ],
        USAGE,
    )?;
    let token = match (s.get("token"), s.get("token-file")) {
        (Some(t), _) => t.trim().to_owned(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| format!("reading {f}: {e}"))?
            .trim()
            .to_owned(),
        (None, None) => return Err(format!("a token is needed\n\n{USAGE}")),
    };
    let expires: u32 = s.parsed("expires")?.unwrap_or(600);
    let mut url = s.get_or("url", "ws://127.0.0.1:8080/").to_owned();
    let (in_header, handshake) = match s.get_or("token-in", "header") {
        "header" => (true, None),
        "handshake" => (false, Some(token.as_str())),
        "query" => {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("access_token=");
            url.push_str(&token);
            (false, None)
        }
        other => return Err(format!("--token-in {other:?}: header, handshake or query")),
    };
    let home = s.get_or("home-domain", "ims.mnc001.mcc001.3gppnetwork.org");
    let mut wic = Wic::connect(&url, s.get_or("user", "bob"), home, handshake).await?;
    let in_msg = in_header.then_some(token.as_str());
    let mut all_ok = true;
    for (what, exp) in [
        ("register", expires),
        ("re-register", expires),
        ("de-register", 0),
    ] {
        let f = wic.register(in_msg, exp).await?;
        println!("{what}: {}", f.first_line());
        for line in f.text.lines().filter(|l| {
            let l = l.to_ascii_lowercase();
            [
                "contact:",
                "service-route:",
                "p-associated-uri:",
                "www-authenticate:",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        }) {
            println!("    {line}");
        }
        if f.status != 200 {
            all_ok = false;
            break;
        }
    }
    wic.close().await;
    Ok(all_ok)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("wic: {e}");
            std::process::exit(2);
        }
    }
}
