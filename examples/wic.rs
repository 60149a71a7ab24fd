//! A WebRTC IMS client: connects over WebSocket or secure WebSocket (subprotocol `sip`;
//! `--ca FILE` trusts a lab certificate for `wss://`), registers with a
//! bearer token, then as asked sends a MESSAGE, places a call (INVITE with an SDP offer,
//! ACK, BYE after a pause) and stays registered answering what arrives (MESSAGE 200,
//! INVITE 180 then 200), printing each final response and each request received; then
//! de-registers.
//!
//! ```text
//! TOKEN=$(cargo run -q --example waf -- --user bob)
//! cargo run --example wic -- --url ws://127.0.0.1:8080/ --user bob --token "$TOKEN" --wait 60
//! TOKEN=$(cargo run -q --example waf -- --user alice)
//! cargo run --example wic -- --user alice --token "$TOKEN" \
//!     --message sip:bob@ims.mnc001.mcc001.3gppnetwork.org --call sip:bob@ims.mnc001.mcc001.3gppnetwork.org
//! ```

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::args::Settings;
use common::wic_client::{Final, Wic};

const USAGE: &str = "\
usage: wic [--config FILE] [flags]
  --url URL           eP-CSCF WebSocket URL, ws:// or wss:// (default ws://127.0.0.1:8080/)
  --ca FILE           for wss://, trust the certificates of FILE (PEM) instead of the
                      web's public roots (a self-signed lab certificate)
  --user U            user name (default bob)
  --home-domain D     home domain (default ims.mnc001.mcc001.3gppnetwork.org)
  --token T           access token (or --token-file F)
  --token-file F      file holding the access token
  --token-in W        header (Authorization: Bearer in the REGISTER, default), handshake
                      (Authorization: Bearer on the WebSocket upgrade) or query (?access_token=)
  --expires SECS      registration lifetime asked for (default 600)
  --message AOR       send a MESSAGE to AOR once registered (text: --text, default \"hello\")
  --text T            the MESSAGE body
  --call AOR          call AOR once registered, hang up after --talk MS (default 500)
  --talk MS           how long a call lasts before BYE
  --wait SECS         stay registered for SECS answering incoming requests (default 0)";

const HEADERS: [&str; 4] = [
    "contact:",
    "service-route:",
    "p-associated-uri:",
    "www-authenticate:",
];

fn show(what: &str, f: &Final, headers: &[&str]) {
    let prov: Vec<String> = f.provisional.iter().map(u16::to_string).collect();
    let prov = if prov.is_empty() {
        String::new()
    } else {
        format!(" (after {})", prov.join(", "))
    };
    println!("{what}: {}{prov}", f.first_line());
    for line in f.text.lines().filter(|l| {
        let l = l.to_ascii_lowercase();
        headers.iter().any(|p| l.starts_with(p))
    }) {
        println!("    {line}");
    }
}

async fn run() -> Result<bool, String> {
    let s = Settings::from_args(
        &[
            "url",
            "ca",
            "user",
            "home-domain",
            "token",
            "token-file",
            "token-in",
            "expires",
            "message",
            "text",
            "call",
            "talk",
            "wait",
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
    let talk: u64 = s.parsed("talk")?.unwrap_or(500);
    let wait: u64 = s.parsed("wait")?.unwrap_or(0);
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
    let tls = match s.get("ca") {
        Some(f) => {
            let pem = std::fs::read(f).map_err(|e| format!("--ca {f}: {e}"))?;
            Some(common::tls_certs::trusting(&pem)?)
        }
        None => None,
    };
    let mut wic = Wic::connect_with(&url, s.get_or("user", "bob"), home, handshake, tls).await?;
    let in_msg = in_header.then_some(token.as_str());

    let reg = wic.register(in_msg, expires).await?;
    show("register", &reg, &HEADERS);
    if reg.status != 200 {
        wic.close().await;
        return Ok(false);
    }
    let mut all_ok = true;
    if let Some(to) = s.get("message") {
        let f = wic.message(to, s.get_or("text", "hello")).await?;
        show("message", &f, &[]);
        all_ok &= (200..300).contains(&f.status);
    }
    if let Some(to) = s.get("call") {
        let call = wic.call(to).await?;
        show("call", &call.answer, &["contact:", "record-route:"]);
        match call.dialog {
            Some(mut d) => {
                tokio::time::sleep(Duration::from_millis(talk)).await;
                let bye = wic.hang_up(&mut d).await?;
                show("hang up", &bye, &[]);
                all_ok &= bye.status == 200;
            }
            None => all_ok = false,
        }
    }
    let until = Instant::now() + Duration::from_secs(wait);
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if let Some(e) = wic.next_event(left).await {
            println!("received: {e:?}");
        }
    }
    let gone = wic.register(in_msg, 0).await?;
    show("de-register", &gone, &HEADERS);
    all_ok &= gone.status == 200;
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
