//! Building an [`Edge`] and its addresses from [`Settings`] (flags or TOML).
//!
//! The edge and validator settings are those of [`sip_oauth::spec::Spec`]: the file gives
//! them in its `[edge]` and `[jwt]` tables, and each flag below sets one of their keys
//! (a flag wins over the file); `[introspection]` is the spec's too. The listen addresses,
//! the core address, the token cache and the key-fetch rate limit belong to this program
//! and sit at the top of the file.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sip_oauth::edge::Edge;
use sip_oauth::spec::{self, Spec, SpecError};
use sip_oauth::validate::jwt::KeySource;
use sip_oauth::validate::{CachingValidator, JwtValidator, Validator};
use toml::Value;

use super::args::Settings;
use super::edge_server::{EdgeAddrs, SecureAddrs, ServerTls, TlsFiles};
use super::jwks_fetch::{self, JwksFetcher, KeyRefreshing};
use super::verdicts::{Introspector, JwtOrOpaque, Resolver};

/// How a flag's text becomes the value of its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A setting of this program, not of the specification.
    Program,
    /// A file table, not a flag.
    Table,
    Text,
    /// A comma list.
    List,
    Int,
    Bool,
}

/// One flag: its name, its argument, the key it sets, how, and its help.
struct Flag {
    name: &'static str,
    arg: &'static str,
    key: &'static str,
    kind: Kind,
    /// A key holding one of several alternatives, cleared before this flag sets its own.
    replaces: Option<&'static str>,
    help: &'static str,
}

const fn flag(name: &'static str, arg: &'static str, key: &'static str, kind: Kind) -> Flag {
    Flag {
        name,
        arg,
        key,
        kind,
        replaces: None,
        help: "",
    }
}

impl Flag {
    const fn help(mut self, help: &'static str) -> Flag {
        self.help = help;
        self
    }

    const fn replaces(mut self, key: &'static str) -> Flag {
        self.replaces = Some(key);
        self
    }
}

use Kind::{Bool, Int, List, Program, Table, Text};

const FLAGS: [Flag; 70] = [
    flag("[edge]", "", "edge", Table),
    flag("[jwt]", "", "jwt", Table),
    flag("[introspection]", "", "introspection", Table),
    flag("ws-listen", "ADDR", "", Program)
        .help("SIP over WebSocket listener, subprotocol sip (default 127.0.0.1:8080; 'off')"),
    flag("udp-listen", "ADDR", "", Program)
        .help("SIP over UDP listener (default 127.0.0.1:5060; 'off')"),
    flag("tcp-listen", "ADDR", "", Program)
        .help("SIP over TCP listener (default 127.0.0.1:5060; 'off')"),
    flag("wss-listen", "ADDR", "", Program)
        .help("SIP over secure WebSocket listener, wss:// (default off; needs --tls-cert)"),
    flag("tls-listen", "ADDR", "", Program)
        .help("SIP over TLS listener (default off; needs --tls-cert)"),
    flag("tls-cert", "FILE", "", Program).help(
        "certificate chain (PEM, leaf first) of the TLS and WSS listeners; reloaded on \
         SIGHUP and when it or the key file changes",
    ),
    flag("tls-key", "FILE", "", Program).help("private key (PEM) of --tls-cert"),
    flag("core", "ADDR", "", Program).help("the S-CSCF (default 127.0.0.1:5070)"),
    flag("core-bind", "ADDR", "", Program)
        .help("local address of the core-facing UDP socket (default 127.0.0.1:0)"),
    flag("cache", "N", "", Program).help("remember up to N verified tokens (default 0: off)"),
    flag("jwks-min-interval", "SECS", "", Program).help(
        "fewest seconds between two --jwks-url fetches for unknown kids, and before retrying \
         a failed one (default 10)",
    ),
    flag("home-domain", "D", "edge.home_domain", Text)
        .help("home network domain (default ims.mnc001.mcc001.3gppnetwork.org)"),
    flag("edge-host", "H[:P]", "edge.edge_host", Text)
        .help("this edge's address in Via and Path (default: the core-facing socket)"),
    flag("flow-key", "K", "edge.flow_key.text", Text)
        .replaces("edge.flow_key")
        .help("secret (>= 16 bytes) protecting flow tokens (default: random per run)"),
    flag("flow-key-file", "F", "edge.flow_key.file", Text)
        .replaces("edge.flow_key")
        .help("the same, read from a file"),
    flag(
        "previous-flow-key",
        "K",
        "edge.previous_flow_key.text",
        Text,
    )
    .replaces("edge.previous_flow_key")
    .help("the flow key before a rotation, still accepted (>= 16 bytes)"),
    flag(
        "previous-flow-key-file",
        "F",
        "edge.previous_flow_key.file",
        Text,
    )
    .replaces("edge.previous_flow_key")
    .help("the same, read from a file"),
    flag("epoch", "N", "edge.epoch", Int)
        .help("instance epoch in flow tokens (default: drawn from the clock and pid at start)"),
    flag("realm", "R", "edge.realm", Text).help("Digest realm (default: the home domain)"),
    flag("core-transport", "T", "edge.core_transport", Text)
        .help("udp or tcp toward the core (default udp)"),
    flag("token-location", "L", "edge.token_location", Text).help(
        "where the token is: authorization, proxy-authorization, transport (WebSocket \
         handshake), any (the default: authorization,transport), header:NAME, \
         auth-param:NAME, proxy-auth-param:NAME, uri-param:NAME, contact-uri-param:NAME, \
         or a comma list of them",
    ),
    flag("visited-network-id", "V", "edge.visited_network_id", Text)
        .help("adds P-Visited-Network-ID"),
    flag("orig-ioi", "I", "edge.orig_ioi", Text).help("adds orig-ioi to P-Charging-Vector"),
    flag("auth-entity", "P", "edge.auth_entity", Text)
        .help("where a third-party WAF is named: omit (default), auth-param:NAME, header:NAME"),
    flag("challenge-scope", "S", "edge.challenge_scope", Text)
        .help("scope=\"S\" in Bearer challenges"),
    flag("authz-server", "URL", "edge.authz_server", Text)
        .help("authz_server=\"URL\" in Bearer challenges"),
    flag("expiry-policy", "P", "edge.expiry_policy", Text)
        .help("registration outliving its token: cap (default), reject, ignore"),
    flag("reply-to-tag", "T", "edge.reply_to_tag", Text)
        .help("To tag of the edge's own error responses (default ep)"),
    flag(
        "allow-insecure-transport",
        "BOOL",
        "edge.allow_insecure_transport",
        Bool,
    )
    .help("also accept tokens over UDP, TCP and WS (default false; lab use only)"),
    flag("also-home-domains", "D,..", "edge.also_home_domains", List)
        .help("further home domains (a REGISTER for any other is refused)"),
    flag(
        "min-token-lifetime",
        "SECS",
        "edge.min_token_lifetime_seconds",
        Int,
    )
    .help("refuse registrations whose token expires sooner (default 60)"),
    flag("max-registrations", "N", "edge.max_registrations", Int)
        .help("most registrations held; more get 503 (default 100000)"),
    flag(
        "max-message-bytes",
        "N",
        "edge.limits.max_message_bytes",
        Int,
    )
    .help("largest SIP message (default 65536)"),
    flag("max-headers", "N", "edge.limits.max_headers", Int)
        .help("most header fields in a message (default 256)"),
    flag("max-line-bytes", "N", "edge.limits.max_line_bytes", Int)
        .help("longest header line (default 8192)"),
    flag("hmac-secret", "S", "jwt.key.hmac_secret.text", Text)
        .replaces("jwt.key")
        .help("HS256/384/512 secret, as text (one key source only)"),
    flag("hmac-secret-file", "F", "jwt.key.hmac_secret.file", Text)
        .replaces("jwt.key")
        .help("HS256/384/512 secret, from a file"),
    flag("public-key", "F", "jwt.key.pem_file", Text)
        .replaces("jwt.key")
        .help("RS/ES/EdDSA public key, PEM file"),
    flag("public-key-der", "F", "jwt.key.der_file", Text)
        .replaces("jwt.key")
        .help("RS/ES/EdDSA public key, DER file"),
    flag("jwks", "F", "jwt.key.jwks_file", Text)
        .replaces("jwt.key")
        .help("JSON Web Key Set file"),
    flag("jwks-url", "URL", "jwt.key.jwks_url", Text)
        .replaces("jwt.key")
        .help(
            "JSON Web Key Set fetched from the WAF (http), refreshed on its Cache-Control \
             max-age and on an unknown kid; a failed fetch keeps the last good set",
        ),
    flag("algorithms", "LIST", "jwt.algorithms", List)
        .help("accepted algorithms, e.g. HS256,RS256 (default: all that fit the key)"),
    flag("issuer", "LIST", "jwt.issuer", List).help("accepted token issuers (iss)"),
    flag("audience", "LIST", "jwt.audience", List)
        .help("accepted audiences (aud); required unless --allow-any-audience true"),
    flag("allow-any-audience", "BOOL", "jwt.allow_any_audience", Bool)
        .help("run without an audience: tokens naming none are accepted (default false)"),
    flag("max-keys-without-kid", "N", "jwt.max_keys_without_kid", Int)
        .help("keys tried for a token whose kid selects none (default 1)"),
    flag(
        "confine-impi-realms",
        "R,..",
        "jwt.confine.impi_realms",
        List,
    )
    .help("IMPI realms this issuer may vouch for (default: any)"),
    flag(
        "confine-impu-domains",
        "D,..",
        "jwt.confine.impu_domains",
        List,
    )
    .help("IMPU domains this issuer may vouch for (default: any)"),
    flag(
        "confine-tel-prefixes",
        "P,..",
        "jwt.confine.tel_prefixes",
        List,
    )
    .help("tel number prefixes this issuer may vouch for (default: any)"),
    flag("scope", "LIST", "jwt.required_scopes", List).help("scopes the token must grant"),
    flag("leeway", "SECONDS", "jwt.leeway_seconds", Int)
        .help("clock-skew leeway (default 30, at most 3600)"),
    flag("require-exp", "BOOL", "jwt.require_exp", Bool)
        .help("refuse tokens without exp (default true)"),
    flag("require-at-jwt", "BOOL", "jwt.require_at_jwt", Bool)
        .help("require typ at+jwt (default false)"),
    flag("max-token-bytes", "N", "jwt.max_token_bytes", Int).help("longest token (default 8192)"),
    flag("backend", "B", "jwt.backend", Text).help("aws_lc or rust_crypto (those compiled in)"),
    flag("impi-claim", "LIST", "jwt.claims.impi", List)
        .help("claims tried for the IMPI (default impi,sub)"),
    flag("impus-claim", "NAME", "jwt.claims.impus", Text)
        .help("claim with the IMPUs (default impus; '' to not read)"),
    flag("require-impus", "BOOL", "jwt.claims.require_impus", Bool)
        .help("refuse tokens without IMPUs (default false)"),
    flag("wwsf-claim", "NAME", "jwt.claims.wwsf", Text)
        .help("claim with the WWSF identity (default wwsf; '' to not read)"),
    flag("auth-entity-source", "S", "jwt.claims.auth_entity", Text)
        .help("the WAF's identity: none (default), issuer, claim:NAME, fixed:VALUE"),
    flag("introspection-url", "URL", "introspection.url", Text).help(
        "RFC 7662 endpoint (http) judging opaque tokens; JWS-shaped ones stay with the JWT keys",
    ),
    flag(
        "introspection-client-id",
        "ID",
        "introspection.client_id",
        Text,
    )
    .help("client id this edge authenticates to the endpoint with (HTTP Basic)"),
    flag(
        "introspection-client-secret",
        "S",
        "introspection.client_secret.text",
        Text,
    )
    .replaces("introspection.client_secret")
    .help("its secret, as text"),
    flag(
        "introspection-client-secret-file",
        "F",
        "introspection.client_secret.file",
        Text,
    )
    .replaces("introspection.client_secret")
    .help("its secret, from a file"),
    flag(
        "introspection-timeout-ms",
        "MS",
        "introspection.timeout_ms",
        Int,
    )
    .help("wait for an answer at most this long, then 503 (default 2000)"),
    flag(
        "introspection-retry-after",
        "SECS",
        "introspection.retry_after_seconds",
        Int,
    )
    .help("Retry-After of that 503 (default 30)"),
    flag("introspection-cache", "N", "introspection.cache", Int)
        .help("active answers cached until their exp (default 10000)"),
];

// `Settings` takes a plain list of names; derived here so the table stays the one list.
const fn names<const N: usize>(flags: &[Flag; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = flags[i].name;
        i += 1;
    }
    out
}

const KNOWN_NAMES: [&str; FLAGS.len()] = names(&FLAGS);

/// The settings the eP-CSCF understands (flags, top-level file keys and file tables).
pub const KNOWN: &[&str] = &KNOWN_NAMES;

fn all_flags() -> impl Iterator<Item = &'static Flag> {
    FLAGS.iter()
}

/// How a flag's text is read, for [`spec_flags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// Text.
    Text,
    /// A comma list.
    List,
    /// An integer.
    Int,
    /// `true` or `false`.
    Bool,
}

/// The flags that set a key of the specification: name, dotted key and kind.
pub fn spec_flags() -> impl Iterator<Item = (&'static str, &'static str, FlagKind)> {
    all_flags().filter_map(|f| {
        let kind = match f.kind {
            Text => FlagKind::Text,
            List => FlagKind::List,
            Int => FlagKind::Int,
            Bool => FlagKind::Bool,
            Program | Table => return None,
        };
        Some((f.name, f.key, kind))
    })
}

/// The value at a dotted key of a document [`table`] made.
pub fn value_at<'a>(table: &'a toml::Table, key: &str) -> Option<&'a Value> {
    lookup(table, key)
}

/// The help text of the eP-CSCF settings.
pub fn usage() -> String {
    let mut out = String::from(
        "settings: flags, or a TOML file given with --config FILE whose top level holds the\n\
         program's own settings and whose [edge], [jwt] and [introspection] tables hold the\n\
         [keys] shown (see examples/epcscf.toml and sip_oauth::spec); a flag wins over the file.\n",
    );
    for f in all_flags().filter(|f| f.kind != Table) {
        let left = format!("  --{} {}", f.name, f.arg);
        out.push_str(&format!("{left:<26} {}", f.help));
        if f.kind != Program {
            out.push_str(&format!(" [{}]", f.key));
        }
        out.push('\n');
    }
    out
}

/// An epoch for this start of the program: the clock in nanoseconds mixed with the
/// process id (no two starts share both), kept to 63 bits as TOML integers are signed.
pub fn start_epoch() -> i64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mixed = nanos ^ (u64::from(std::process::id()) << 40) ^ u64::from(std::process::id());
    (mixed & (i64::MAX as u64)) as i64
}

fn addr(s: &Settings, name: &str, default: &str) -> Result<Option<SocketAddr>, String> {
    let v = s.get_or(name, default);
    if v == "off" {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|e| format!("--{name} {v:?}: {e}"))
}

/// The value at a dotted key of a table.
fn lookup<'a>(table: &'a toml::Table, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut value = table.get(parts.next()?)?;
    for p in parts {
        value = value.as_table()?.get(p)?;
    }
    Some(value)
}

/// The table at a dotted key, made if missing.
fn table_at<'a>(table: &'a mut toml::Table, key: &str) -> Result<&'a mut toml::Table, String> {
    let mut t = table;
    for p in key.split('.').filter(|p| !p.is_empty()) {
        t = t
            .entry(p)
            .or_insert_with(|| Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| format!("{key}: {p} is not a table"))?;
    }
    Ok(t)
}

fn set(table: &mut toml::Table, key: &str, value: Value) -> Result<(), String> {
    let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
    table_at(table, parent)?.insert(last.to_owned(), value);
    Ok(())
}

fn remove(table: &mut toml::Table, key: &str) -> Result<(), String> {
    let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
    table_at(table, parent)?.remove(last);
    Ok(())
}

fn value(f: &Flag, text: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("--{} {text:?}: {what}", f.name);
    Ok(match f.kind {
        Int => Value::Integer(text.trim().parse().map_err(|_| bad("not an integer"))?),
        Bool => Value::Boolean(text.trim().parse().map_err(|_| bad("true or false"))?),
        List => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        _ => Value::String(text.to_owned()),
    })
}

/// The specification: the file's tables, each flag given set at its key, then the defaults
/// of this program for what neither names. `edge_host` is used when neither names one.
pub fn spec(s: &Settings, edge_host: &str) -> Result<Spec, String> {
    let table = table(s, edge_host)?;
    spec::deserialize("", Value::Table(table)).map_err(|e| explain(s, &e))
}

/// The document [`spec`] reads, before it is read.
pub fn table(s: &Settings, edge_host: &str) -> Result<toml::Table, String> {
    let mut table = s.tables().clone();
    let mut replaced: Vec<&str> = Vec::new();
    for f in all_flags().filter(|f| !matches!(f.kind, Program | Table)) {
        if s.in_file(f.name) {
            return Err(format!(
                "{} belongs in the file's [{}] table, as {}",
                f.name,
                f.key.split('.').next().unwrap_or_default(),
                f.key
            ));
        }
        let Some(text) = s.flag(f.name) else { continue };
        if let Some(group) = f.replaces {
            if replaced.contains(&group) {
                let others: Vec<String> = all_flags()
                    .filter(|o| o.replaces == Some(group))
                    .map(|o| format!("--{}", o.name))
                    .collect();
                return Err(format!("give only one of {}", others.join(", ")));
            }
            replaced.push(group);
            remove(&mut table, group)?;
        }
        set(&mut table, f.key, value(f, text)?)?;
    }
    if lookup(&table, "jwt.key").is_none() {
        return Err(
            "a key is needed: --hmac-secret, --hmac-secret-file, --public-key, \
                    --public-key-der, --jwks or --jwks-url (or [jwt.key] in the file)"
                .into(),
        );
    }
    let flow_key = super::wic_client::random_id(32);
    let defaults = [
        ("edge.home_domain", "ims.mnc001.mcc001.3gppnetwork.org"),
        ("edge.edge_host", edge_host),
        ("edge.flow_key.text", flow_key.as_str()),
        ("edge.token_location", "any"),
    ];
    // A new epoch at every start: flow tokens minted before a restart name connection
    // ids the host may have given to someone else since.
    if lookup(&table, "edge.epoch").is_none() {
        set(&mut table, "edge.epoch", Value::Integer(start_epoch()))?;
    }
    for (key, default) in defaults {
        let present = match key.strip_suffix(".text") {
            Some(secret) => lookup(&table, secret).is_some(),
            None => lookup(&table, key).is_some(),
        };
        if !present {
            set(&mut table, key, Value::String(default.to_owned()))?;
        }
    }
    Ok(table)
}

/// The error's key, and the flag that set it if one did.
fn explain(s: &Settings, e: &SpecError) -> String {
    // The TOML value deserializer repeats the key on a line of its own.
    let why = e.why.lines().next().unwrap_or_default();
    let under = |k: &str| {
        e.key == k || e.key.starts_with(&format!("{k}.")) || e.key.starts_with(&format!("{k}["))
    };
    let flag = all_flags().find(|f| {
        s.flag(f.name).is_some() && !matches!(f.kind, Program | Table) && {
            under(f.key) || f.replaces.is_some_and(&under)
        }
    });
    match flag {
        Some(f) => format!("{}: {why} (--{})", e.key, f.name),
        None => format!("{}: {why}", e.key),
    }
}

/// The listen and core addresses.
pub fn addrs(s: &Settings) -> Result<EdgeAddrs, String> {
    let transport = match s.flag("core-transport") {
        Some(t) => Some(t.to_owned()),
        None => lookup(s.tables(), "edge.core_transport").map(|v| match v.as_str() {
            Some(t) => t.to_owned(),
            None => v.to_string(),
        }),
    };
    let core_tcp = match transport.as_deref().unwrap_or("udp") {
        "udp" => false,
        "tcp" => true,
        other => return Err(format!("core transport {other:?}: udp or tcp")),
    };
    Ok(EdgeAddrs {
        ws: addr(s, "ws-listen", "127.0.0.1:8080")?,
        udp: addr(s, "udp-listen", "127.0.0.1:5060")?,
        tcp: addr(s, "tcp-listen", "127.0.0.1:5060")?,
        core: addr(s, "core", "127.0.0.1:5070")?.ok_or("--core is required")?,
        core_tcp,
        core_bind: addr(s, "core-bind", "127.0.0.1:0")?.ok_or("--core-bind cannot be off")?,
    })
}

/// The edge: validator and configuration. `edge_host` is used when the settings name none.
/// Keys at a URL (`--jwks-url`) and introspection need [`edge_live`].
pub fn edge(s: &Settings, edge_host: &str) -> Result<Edge, String> {
    let spec = spec(s, edge_host)?;
    if spec.jwt.key.url().is_some() || spec.introspection.is_some() {
        return Err("--jwks-url and --introspection-url need the live set-up (edge_live)".into());
    }
    let validator = Arc::new(spec.jwt.build().map_err(|e| explain(s, &e))?);
    Ok(assemble(s, &spec, validator, None, None)?.edge)
}

/// An edge with what keeps it going: the key fetcher of `--jwks-url` and the resolver of
/// verdicts that come later (introspection, key fetches).
pub struct Live {
    /// The edge.
    pub edge: Edge,
    /// Obtains pending verdicts; `None` when every verdict is given at once.
    pub resolver: Option<Arc<Resolver>>,
    /// Keeps the keys of `--jwks-url` fresh (start its refresher).
    pub fetcher: Option<Arc<JwksFetcher>>,
}

/// [`edge`], fetching the key set of `--jwks-url` first and setting up introspection.
pub async fn edge_live(s: &Settings, edge_host: &str) -> Result<Live, String> {
    let spec = spec(s, edge_host)?;
    let min_interval = Duration::from_secs(s.parsed("jwks-min-interval")?.unwrap_or(10));
    let (validator, fetcher) = match spec.jwt.key.url() {
        Some(url) => {
            let (set, max_age) = jwks_fetch::fetch_set(url, jwks_fetch::FETCH_TIMEOUT)
                .await
                .map_err(|e| format!("--jwks-url: first fetch: {e}"))?;
            let validator = Arc::new(
                spec.jwt
                    .build_with(KeySource::Jwks(set))
                    .map_err(|e| explain(s, &e))?,
            );
            let fetcher = JwksFetcher::new(url, Arc::clone(&validator), max_age, min_interval)?;
            (validator, Some(Arc::new(fetcher)))
        }
        None => (
            Arc::new(spec.jwt.build().map_err(|e| explain(s, &e))?),
            None,
        ),
    };
    let introspector = match &spec.introspection {
        Some(i) => {
            let v = Arc::new(i.build(&spec.jwt).map_err(|e| explain(s, &e))?);
            let client = i.client().map_err(|e| explain(s, &e))?;
            let client = match &client {
                Some((id, secret)) => Some((
                    id.as_str(),
                    std::str::from_utf8(secret)
                        .map_err(|_| "introspection.client_secret: not UTF-8".to_owned())?,
                )),
                None => None,
            };
            Some(Introspector::new(v, &i.url, client, i.timeout())?)
        }
        None => None,
    };
    assemble(s, &spec, validator, fetcher, introspector)
}

/// The validator stack: JWT keys (fetched ones answering later on an unknown `kid`),
/// opaque tokens to introspection, then the token cache and confinement.
fn assemble(
    s: &Settings,
    spec: &Spec,
    jwt: Arc<JwtValidator>,
    fetcher: Option<Arc<JwksFetcher>>,
    introspector: Option<Introspector>,
) -> Result<Live, String> {
    let config = spec.edge.build().map_err(|e| explain(s, &e))?;
    let mut validator: Arc<dyn Validator> = match &fetcher {
        Some(f) => Arc::new(KeyRefreshing::new(Arc::clone(f))),
        None => jwt,
    };
    if let Some(i) = &introspector {
        validator = Arc::new(JwtOrOpaque::new(Some(validator), Arc::clone(i.validator())));
    }
    let cache: usize = s.parsed("cache")?.unwrap_or(0);
    let top = if cache > 0 {
        spec.jwt.confined(CachingValidator::new(validator, cache))
    } else {
        spec.jwt.confined(validator)
    };
    let resolver = Resolver::new(Arc::clone(&top), fetcher.clone(), introspector);
    Ok(Live {
        edge: Edge::from_shared(Arc::new(config), top),
        resolver: resolver.is_needed().then(|| Arc::new(resolver)),
        fetcher,
    })
}

/// The TLS and WSS listen addresses and the certificate they present, when either
/// listener is on; `--tls-cert` and `--tls-key` are then required.
pub fn secure(s: &Settings) -> Result<Option<(SecureAddrs, ServerTls)>, String> {
    let addrs = SecureAddrs {
        tls: addr(s, "tls-listen", "off")?,
        wss: addr(s, "wss-listen", "off")?,
    };
    if addrs.tls.is_none() && addrs.wss.is_none() {
        return Ok(None);
    }
    let (Some(cert), Some(key)) = (s.get("tls-cert"), s.get("tls-key")) else {
        return Err("--tls-listen and --wss-listen need --tls-cert and --tls-key".into());
    };
    let files = TlsFiles {
        cert: cert.into(),
        key: key.into(),
    };
    let certs = ServerTls::from_files(files).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    Ok(Some((addrs, certs)))
}
