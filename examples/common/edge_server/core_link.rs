//! The one link to the S-CSCF: a UDP socket, or a TCP connection kept open and made
//! again after a failure, with exponential backoff between attempts. Everything for the
//! core (client requests, client responses, the edge's own answers) goes out through
//! [`CoreLink::send`]; everything that comes back (responses, and requests for clients:
//! the core sends those over the link the REGISTER came in on, RFC 5626 5.3) is handed
//! to [`on_core_message`].
//!
//! A client request the core cannot take is answered by the edge with 503 (see
//! `unavailable`): when the link is down (between attempts), when its bounded queue is
//! full, and when the connection is lost with the request written but not answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::super::stream::{Item, SipReader};
use super::Shared;
use super::dispatch::on_core_message;
use super::log_lines;
use super::shutdown::{Phase, reached};
use super::unavailable::{self, Awaiting};

/// Messages queued toward the core at most; a full queue answers 503 (a slow core must
/// not grow the edge's memory).
pub(super) const CORE_QUEUE: usize = 1024;
/// First wait after a failed connection attempt; doubled after each further failure.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest wait between attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// One message for the core, with what the edge needs to answer its client itself.
pub(super) struct Outbound {
    /// The bytes to send.
    pub(super) bytes: Bytes,
    /// The client request to answer with 503 if the core does not take it; `None` for
    /// responses and ACKs, which get no answer.
    pub(super) awaiting: Option<Awaiting>,
}

/// Why a message did not go to the core; it is handed back so the caller can answer.
pub(super) struct Unsent {
    /// Why, for the log.
    pub(super) why: &'static str,
    /// The message.
    pub(super) out: Outbound,
}

/// How requests reach the core.
pub(super) enum CoreLink {
    /// Datagrams from the core-facing socket.
    Udp {
        sock: Arc<UdpSocket>,
        to: SocketAddr,
    },
    /// The queue of [`core_tcp_loop`], which owns the connection.
    Tcp {
        tx: mpsc::Sender<Outbound>,
        /// False between a failed attempt and the next success: sending is refused at
        /// once rather than queued behind a backoff.
        up: Arc<AtomicBool>,
    },
}

impl CoreLink {
    /// Over UDP from `sock` when the core-facing socket is bound, else over TCP: then
    /// also the receiving end that [`core_tcp_loop`] must be run with.
    pub(super) fn new(
        sock: Option<Arc<UdpSocket>>,
        to: SocketAddr,
    ) -> (CoreLink, Option<mpsc::Receiver<Outbound>>) {
        match sock {
            Some(sock) => (CoreLink::Udp { sock, to }, None),
            None => {
                let (tx, rx) = mpsc::channel(CORE_QUEUE);
                let up = Arc::new(AtomicBool::new(true));
                (CoreLink::Tcp { tx, up }, Some(rx))
            }
        }
    }

    /// Sends one message to the core (over TCP: queues it).
    pub(super) async fn send(&self, out: Outbound) -> Result<(), Unsent> {
        match self {
            CoreLink::Udp { sock, to } => match sock.send_to(&out.bytes, to).await {
                Ok(_) => Ok(()),
                Err(_) => Err(Unsent {
                    why: "core unreachable",
                    out,
                }),
            },
            CoreLink::Tcp { tx, up } => {
                if !up.load(Ordering::Relaxed) {
                    return Err(Unsent {
                        why: "core link down",
                        out,
                    });
                }
                tx.try_send(out).map_err(|e| match e {
                    mpsc::error::TrySendError::Full(out) => Unsent {
                        why: "core queue full",
                        out,
                    },
                    mpsc::error::TrySendError::Closed(out) => Unsent {
                        why: "core link closed",
                        out,
                    },
                })
            }
        }
    }

    /// Whether nothing waits in the queue toward the core.
    pub(super) fn is_idle(&self) -> bool {
        match self {
            CoreLink::Udp { .. } => true,
            CoreLink::Tcp { tx, .. } => tx.capacity() == tx.max_capacity(),
        }
    }

    fn set_up(&self, value: bool) {
        if let CoreLink::Tcp { up, .. } = self {
            up.store(value, Ordering::Relaxed);
        }
    }
}

/// Messages from the core over UDP.
pub(super) async fn core_udp_loop(shared: Arc<Shared>, sock: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, _)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        on_core_message(&shared, Bytes::copy_from_slice(&buf[..n])).await;
    }
}

/// The TCP link to the core: connects at start, and after a failure again with
/// exponential backoff; while it is down, whatever is queued is answered with 503.
/// Responses come back on the same connection (RFC 3261 18.2.2), and so do requests for
/// clients.
pub(super) async fn core_tcp_loop(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Outbound>,
    to: SocketAddr,
) {
    let mut backoff = BACKOFF_MIN;
    let mut phase = shared.phase.subscribe();
    loop {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(to)).await {
            Ok(Ok(stream)) => {
                backoff = BACKOFF_MIN;
                shared.core.set_up(true);
                log_lines::core_connected(to);
                let ended = serve_connection(&shared, &mut rx, stream).await;
                // Until the next connection, requests are refused at once.
                shared.core.set_up(false);
                for a in shared.in_flight.take_all() {
                    unavailable::answer(&shared, a, "core connection lost").await;
                }
                match ended {
                    Ended::QueueClosed => return,
                    Ended::Lost => log_lines::core_lost(to),
                }
            }
            _ => {
                shared.core.set_up(false);
                log_lines::core_unreachable(to, backoff);
            }
        }
        // Wait out the backoff, answering what was queued before the link went down.
        let wait = tokio::time::sleep(backoff);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                () = reached(&mut phase, Phase::Closing) => return,
                out = rx.recv() => match out {
                    Some(Outbound { awaiting: Some(a), .. }) => {
                        unavailable::answer(&shared, a, "core link down").await;
                    }
                    Some(_) => {}
                    None => return,
                },
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// How a connection to the core ended.
enum Ended {
    /// The connection failed or the core closed it.
    Lost,
    /// The server stopped.
    QueueClosed,
}

/// Writes the queue to `stream` and hands what the core sends to the edge, until the
/// connection fails.
async fn serve_connection(
    shared: &Arc<Shared>,
    rx: &mut mpsc::Receiver<Outbound>,
    stream: TcpStream,
) -> Ended {
    let (rd, mut wr) = stream.into_split();
    let s = shared.clone();
    // The reader runs on its own task so that a slow edge decision does not hold up
    // writes, and the end of the core's stream ends the connection.
    let mut reader = tokio::spawn(async move {
        let mut r = SipReader::new(rd);
        while let Ok(Some(item)) = r.next().await {
            if let Item::Message(b) = item {
                on_core_message(&s, b).await;
            }
        }
    });
    let ended = loop {
        tokio::select! {
            _ = &mut reader => break Ended::Lost,
            out = rx.recv() => {
                let Some(out) = out else { break Ended::QueueClosed };
                // Remembered before writing: the answer may come back before the write
                // returns.
                if let Some(a) = &out.awaiting {
                    shared.in_flight.insert(a.clone());
                }
                if wr.write_all(&out.bytes).await.is_err() {
                    break Ended::Lost;
                }
            }
        }
    };
    reader.abort();
    ended
}
