//! The accept loop the stream listeners share (WebSocket rides on TCP too): every
//! accepted connection is served on its own task; a failed accept is retried shortly.
//! When the server starts draining, the loop stops accepting and waits for its
//! connections to close, so that the server knows when they are done.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::Shared;
use super::shutdown::{Phase, reached};

/// Accepts connections on `listener` until the server drains, running `serve` for each;
/// returns once every connection has ended. Dropping the loop aborts them.
pub(super) async fn accept_loop<F, Fut>(shared: Arc<Shared>, listener: TcpListener, serve: F)
where
    F: Fn(Arc<Shared>, TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut phase = shared.phase.subscribe();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = reached(&mut phase, Phase::Draining) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    conns.spawn(serve(shared.clone(), stream, peer));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            // Reaps ended connections so the set does not grow.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    // No new connections from here on (RFC 6455 7.1.1 leaves closing to each one).
    drop(listener);
    while conns.join_next().await.is_some() {}
}
