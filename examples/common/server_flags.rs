//! The eP-CSCF's operational flags, beside the edge settings of `edge_setup`: how it
//! logs and where it serves its metrics. Like every setting they may also be given at
//! the top level of the `--config` file (`log_format = "json"`).

use std::net::SocketAddr;

use super::args::Settings;
use super::log::Format;

/// The names of these flags.
pub const KNOWN: &[&str] = &["log-format", "log-level", "metrics-listen"];

/// Their help text.
pub fn usage() -> String {
    [
        (
            "--log-format F",
            "text (default) or json, on standard error",
        ),
        (
            "--log-level L",
            "event filter, e.g. info or epcscf=debug (default: RUST_LOG, else info)",
        ),
        (
            "--metrics-listen ADDR",
            "serve Prometheus metrics on http://ADDR/metrics (default off)",
        ),
    ]
    .iter()
    .map(|(flag, help)| format!("  {flag:<24} {help}\n"))
    .collect()
}

/// The operational settings of one run.
pub struct ServerFlags {
    /// The log format.
    pub log_format: Format,
    /// The log filter, when given.
    pub log_level: Option<String>,
    /// Where `/metrics` is served, when it is.
    pub metrics: Option<SocketAddr>,
}

impl ServerFlags {
    /// Reads them from `s`.
    pub fn from(s: &Settings) -> Result<ServerFlags, String> {
        let metrics = match s.get("metrics-listen") {
            None | Some("off") => None,
            Some(a) => Some(
                a.parse()
                    .map_err(|e| format!("--metrics-listen {a:?}: {e}"))?,
            ),
        };
        Ok(ServerFlags {
            log_format: s.parsed("log-format")?.unwrap_or(Format::Text),
            log_level: s.get("log-level").map(str::to_owned),
            metrics,
        })
    }
}
