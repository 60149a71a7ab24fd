//! The accept loop the stream listeners share (WebSocket rides on TCP too): every
//! accepted connection is served on its own task; a failed accept is retried shortly.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use super::Shared;

/// Accepts connections on `listener` for ever, running `serve` for each.
pub(super) async fn accept_loop<F, Fut>(shared: Arc<Shared>, listener: TcpListener, serve: F)
where
    F: Fn(Arc<Shared>, TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        tokio::spawn(serve(shared.clone(), stream, peer));
    }
}
