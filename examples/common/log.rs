//! One line per decision, with a wall-clock stamp: on standard error, or on standard
//! output under a prefix when a program interleaves the lines with its own output.

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
