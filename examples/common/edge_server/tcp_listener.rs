//! The TCP listener for SIP clients other than browsers: one flow per connection,
//! messages cut out of the stream by the library's framer, CRLF keep-alive pings
//! answered with a pong (RFC 5626 section 4.4.1). SIP over TLS is served by the same
//! code once the TLS handshake is done (`tls_listener`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sip_oauth::edge::Transport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use super::super::stream::{Item, SipReader, write_all_from};
use super::Shared;
use super::accept::accept_loop;
use super::dispatch::{ClientSide, on_client_message};
use super::log_lines::{self, Who};
use super::shutdown::{Phase, reached};

/// Serves TCP clients on `listener`.
pub(super) async fn tcp_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    accept_loop(shared, listener, |shared, stream, peer| {
        stream_connection(shared, stream, peer, Transport::Tcp)
    })
    .await;
}

/// Serves one SIP connection over a byte stream (TCP, or TLS once its handshake is done)
/// until it closes or cannot be framed.
pub(super) async fn stream_connection<S>(
    shared: Arc<Shared>,
    stream: S,
    peer: SocketAddr,
    transport: Transport,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let label = super::tls_listener::label(transport, peer);
    let (rd, wr) = tokio::io::split(stream);
    let (flow, pong, rx) = shared.flows.open_stream(&label);
    let writer = tokio::spawn(write_all_from(wr, rx));
    let mut reader = SipReader::new(rd);
    let from = ClientSide {
        flow,
        peer,
        transport,
        token: None,
        label: &label,
    };
    let mut phase = shared.phase.subscribe();
    loop {
        // Reading a frame is cancel-safe: bytes are kept in the reader only once read.
        let next = tokio::select! {
            n = reader.next() => n,
            () = reached(&mut phase, Phase::Closing) => break,
        };
        match next {
            Ok(Some(Item::Message(b))) => {
                on_client_message(&shared, b, &from).await;
            }
            Ok(Some(Item::Ping)) => {
                let _ = pong.try_send(Bytes::from_static(b"\r\n"));
            }
            Ok(None) => break,
            Err(e) => {
                log_lines::framing_closed(Who::new(Some(flow), &label), e);
                break;
            }
        }
    }
    shared.close_flow(flow, &label);
    drop(pong);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
}
