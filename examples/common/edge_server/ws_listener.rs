//! The WebSocket listener for browsers (SIP over WebSocket, RFC 7118): the handshake
//! (which may carry the bearer token), then one flow per connection whose messages go
//! to the edge and whose queue is written back on the same task.
//!
//! The connection ends the way RFC 6455 wants: a client's Close frame is answered with
//! a Close echoing its code (7.1.5, 1000 for a normal closure) before the TCP close; a
//! Ping gets a Pong (5.5.2); when the server stops it sends Close 1001 going away (7.4.1)
//! and waits for the client's. A text or binary message holding only a double CRLF is
//! the SIP keep-alive ping of RFC 5626 4.4.1 (SIP.js sends it with `keepAliveInterval`)
//! and is answered with a single CRLF pong, not handed to the edge as a message.
//! Secure WebSocket connections are served by the same code once their TLS handshake is
//! done (`tls_listener`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use sip_oauth::edge::Transport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::super::ws;
use super::Shared;
use super::accept::accept_loop;
use super::dispatch::{ClientSide, on_client_message};
use super::log_lines::{self, Who};
use super::shutdown::{Phase, reached};

/// How long the client gets to answer the server's Close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Serves WebSocket clients on `listener`.
pub(super) async fn ws_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    accept_loop(shared, listener, |shared, stream, peer| {
        ws_connection(shared, stream, peer, Transport::Ws)
    })
    .await;
}

/// What a message from the client holds.
enum Incoming {
    /// A SIP message for the edge.
    Sip(Bytes),
    /// The RFC 5626 keep-alive ping (CRLFCRLF).
    KeepAlive,
    /// Nothing to act on: a lone CRLF (a pong), control frames tungstenite answers.
    Nothing,
    /// The client sent Close: tungstenite queues the echo, sent on the next read.
    Close,
}

fn classify(m: WsMessage) -> Incoming {
    let bytes = match m {
        WsMessage::Text(t) => Bytes::from(t),
        WsMessage::Binary(b) => b,
        WsMessage::Close(_) => return Incoming::Close,
        // Ping: tungstenite has queued the Pong, flushed with the next read or write.
        _ => return Incoming::Nothing,
    };
    if !bytes.is_empty() && bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
        // RFC 5626 4.4.1: CRLFCRLF is a ping, CRLF a pong (a client answering ours).
        return if bytes.len() >= 4 {
            Incoming::KeepAlive
        } else {
            Incoming::Nothing
        };
    }
    Incoming::Sip(bytes)
}

/// The WebSocket frame for a SIP message (RFC 7118 5.1: UTF-8 in text frames).
fn frame(b: Bytes) -> WsMessage {
    match String::from_utf8(b.to_vec()) {
        Ok(t) => WsMessage::text(t),
        Err(e) => WsMessage::binary(e.into_bytes()),
    }
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
    let (mut ws, token) = match ws::accept(stream).await {
        Ok(x) => x,
        Err(e) => {
            log_lines::handshake_refused(Who::new(None, &label), e);
            return;
        }
    };
    let (flow, _, mut rx) = shared.flows.open_stream(&label);
    let mut phase = shared.phase.subscribe();
    let from = ClientSide {
        flow,
        peer,
        transport,
        token: token.as_deref(),
        label: &label,
    };
    // One task reads and writes, so a Close can be answered in order after what was
    // queued before it.
    loop {
        tokio::select! {
            m = ws.next() => match m {
                Some(Ok(m)) => match classify(m) {
                    Incoming::Sip(b) => on_client_message(&shared, b, &from).await,
                    Incoming::KeepAlive => {
                        if ws.send(WsMessage::text("\r\n")).await.is_err() {
                            break;
                        }
                    }
                    // Reading on sends tungstenite's echo of the Close; the stream then ends.
                    Incoming::Close | Incoming::Nothing => {}
                },
                // End of stream, or a protocol error: nothing more can be read.
                _ => break,
            },
            out = rx.recv() => {
                // The sender lives in the flow table until the flow closes.
                let Some(b) = out else { break };
                if ws.send(frame(b)).await.is_err() {
                    break;
                }
            }
            () = reached(&mut phase, Phase::Closing) => {
                close_going_away(&mut ws).await;
                break;
            }
        }
    }
    shared.close_flow(flow, &label);
}

/// Sends Close 1001 and reads until the client's Close comes back (RFC 6455 7.1.2), for
/// at most [`CLOSE_WAIT`].
async fn close_going_away<S>(ws: &mut WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: "server shutting down".into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
