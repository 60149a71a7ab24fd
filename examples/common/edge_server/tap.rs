//! The tracing hook: a caller-supplied callback that sees every message the edge
//! receives or sends, with the hop it took (the demo prints the exchange with it).

use std::sync::Arc;

/// Which way a message went, for tracing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// From a client to the edge.
    FromClient,
    /// From the edge to the core.
    ToCore,
    /// From the core to the edge.
    FromCore,
    /// From the edge to a client.
    ToClient,
}

/// A callback seeing every message the edge receives or sends.
pub type Tap = Arc<dyn Fn(Hop, &[u8]) + Send + Sync>;
