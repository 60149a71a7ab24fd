//! The WebSocket listener for browsers (SIP over WebSocket, RFC 7118): the handshake
//! (which may carry the bearer token), then one flow per connection whose messages go
//! to the edge and whose queue feeds a writer task. Secure WebSocket connections are
//! served by the same code once their TLS handshake is done (`tls_listener`).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_oauth::edge::Transport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::super::ws;
use super::Shared;
use super::accept::accept_loop;
use super::dispatch::{ClientSide, on_client_message};
use super::log_lines;

/// Serves WebSocket clients on `listener`.
pub(super) async fn ws_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    accept_loop(shared, listener, |shared, stream, peer| {
        ws_connection(shared, stream, peer, Transport::Ws)
    })
    .await;
}

/// Serves one SIP WebSocket connection (WS, or WSS once its TLS handshake is done).
pub(super) async fn ws_connection<S>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    transport: Transport,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let label = super::tls_listener::label(transport, peer);
    let (ws, token) = match ws::accept(stream).await {
        Ok(x) => x,
        Err(e) => {
            log_lines::handshake_refused(&label, e);
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    let (flow, _, mut rx) = shared.flows.open_stream(&label);
    let writer = tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            // RFC 7118 section 5.1: UTF-8 messages go in text frames.
            let m = match String::from_utf8(b.to_vec()) {
                Ok(t) => WsMessage::text(t),
                Err(e) => WsMessage::binary(e.into_bytes()),
            };
            if sink.send(m).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(m)) = source.next().await {
        let bytes = match m {
            WsMessage::Text(t) => Bytes::copy_from_slice(t.as_bytes()),
            WsMessage::Binary(b) => b,
            WsMessage::Close(_) => break,
            _ => continue,
        };
        let from = ClientSide {
            flow,
            peer,
            transport,
            token: token.as_deref(),
            label: &label,
        };
        on_client_message(&shared, bytes, &from).await;
    }
    shared.close_flow(flow, &label);
    writer.abort();
}
