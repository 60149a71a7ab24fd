//! The programs' logs. The stand-in roles (S-CSCF, WAF, clients) write one line per
//! decision with a wall-clock stamp ([`line`]): on standard error, or on standard output
//! under a prefix when a program interleaves the lines with its own output. The edge
//! server logs through `tracing` instead, set up by [`init_tracing`] (or
//! [`tracing_to_stdout`] in the demo).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static STDOUT_PREFIX: OnceLock<&'static str> = OnceLock::new();
static QUIET: AtomicBool = AtomicBool::new(false);

/// Drops every line (for load measurements).
pub fn quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

/// Sends the lines to standard output, each after `prefix`.
pub fn to_stdout(prefix: &'static str) {
    let _ = STDOUT_PREFIX.set(prefix);
}

/// Writes `role: text`.
pub fn line(role: &str, text: std::fmt::Arguments<'_>) {
    if QUIET.load(Ordering::Relaxed) {
        return;
    }
    if let Some(prefix) = STDOUT_PREFIX.get() {
        println!("{prefix}{role}: {text}");
        return;
    }
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    eprintln!("{}.{:03} {role}: {text}", t.as_secs(), t.subsec_millis());
}

/// The log formats of the servers' `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One human-readable line per event (`key=value` fields).
    Text,
    /// One JSON object per line, the event's fields at its top level.
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!("{other:?}: text or json")),
        }
    }
}

/// Installs the `tracing` subscriber for a server: `format` on standard error through
/// a non-blocking writer (a background thread does the writing, so a slow terminal or
/// disk never stalls the I/O path; past its buffer, events are dropped, not waited for).
/// The filter is `level` when given (`info`, `epcscf=debug`, ...), else `RUST_LOG`, else
/// `info`. Keep the returned guard alive: dropping it flushes what is buffered.
pub fn init_tracing(
    format: Format,
    level: Option<&str>,
) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).map_err(|e| format!("--log-level {l:?}: {e}"))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        Format::Text => builder.with_ansi(false).try_init(),
        Format::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|e| format!("installing the log: {e}"))?;
    Ok(guard)
}

/// Writes a server's `tracing` events to standard output after `prefix`, as plain
/// `target: key=value ...` lines, so a program (the demo) can interleave them with its
/// own output in order. Does nothing if a subscriber is installed already.
pub fn tracing_to_stdout(prefix: &'static str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_ansi(false)
        .event_format(Prefixed(prefix))
        .with_writer(std::io::stdout)
        .try_init();
}

/// An event as `prefix` `target: fields`.
struct Prefixed(&'static str);

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Prefixed
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "{}{}: ", self.0, event.metadata().target())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
