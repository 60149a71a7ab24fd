//! The TCP listener for SIP clients other than browsers: one flow per connection,
//! messages cut out of the stream by the library's framer, CRLF keep-alive pings
//! answered with a pong (RFC 5626 section 4.4.1).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sip_oauth::edge::Transport;
use tokio::net::{TcpListener, TcpStream};

use super::super::stream::{Item, SipReader, write_all_from};
use super::Shared;
use super::accept::accept_loop;
use super::dispatch::{ClientSide, on_client_message};
use super::log_lines::{self, Who};
use super::shutdown::{Phase, reached};

/// Serves TCP clients on `listener`.
pub(super) async fn tcp_accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    accept_loop(shared, listener, tcp_connection).await;
}

async fn tcp_connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let label = format!("tcp:{peer}");
    let (rd, wr) = stream.into_split();
    let (flow, pong, rx) = shared.flows.open_stream(&label);
    let writer = tokio::spawn(write_all_from(wr, rx));
    let mut reader = SipReader::new(rd);
    let from = ClientSide {
        flow,
        peer,
        transport: Transport::Tcp,
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
