//! Graceful shutdown in phases: the listeners stop accepting first, the requests already
//! sent to the core get their answers (or the edge's 503), and only then are the client
//! connections closed, WebSockets with a Close frame (RFC 6455 7.4.1: 1001 going away).

use std::time::Duration;

use tokio::sync::watch;

/// Where the server is in its life; the phases only move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    /// Accepting and serving.
    Running,
    /// No new connections; open ones are still served so that answers reach them.
    Draining,
    /// Every connection closes now.
    Closing,
}

/// How long in-flight requests get to be answered before the connections close.
pub(super) const DRAIN: Duration = Duration::from_secs(5);
/// How long connections get to close cleanly before their tasks are aborted.
pub(super) const CLOSE: Duration = Duration::from_secs(3);

/// Returns once the server has reached `phase`. A dropped sender counts as reached: the
/// server is gone.
pub(super) async fn reached(rx: &mut watch::Receiver<Phase>, phase: Phase) {
    let _ = rx.wait_for(|p| *p >= phase).await;
}
