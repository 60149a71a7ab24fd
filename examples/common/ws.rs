//! SIP over WebSocket (RFC 7118): the opening handshake on both sides.
//!
//! The server accepts an upgrade only when the client offers the `sip` subprotocol
//! (section 4.1) and echoes it; it also picks up a bearer token carried by the
//! handshake itself (an HTTP `Authorization: Bearer` header, or an `access_token` query
//! parameter as in RFC 6750 section 2.3) for the edge's transport token location.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// The subprotocol of RFC 7118.
pub const SUBPROTOCOL: &str = "sip";
/// Longest WebSocket message accepted (one SIP message; the library's default limit).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// How long a client may take to complete the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// What the read buffer of a connection starts at and reads at a time: a REGISTER with
/// its token fits, a larger frame grows it on demand (tungstenite reserves the frame's
/// length), so an idle connection holds this much rather than tungstenite's 128 KiB.
pub const READ_BUFFER: usize = 4 * 1024;

/// Why a handshake was refused or failed.
#[derive(Debug)]
pub enum HandshakeError {
    /// The client did not offer `Sec-WebSocket-Protocol: sip`.
    NoSipSubprotocol,
    /// Timed out.
    Timeout,
    /// Any other failure.
    Ws(String),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::NoSipSubprotocol => f.write_str("no 'sip' WebSocket subprotocol"),
            HandshakeError::Timeout => f.write_str("handshake timed out"),
            HandshakeError::Ws(e) => write!(f, "handshake failed: {e}"),
        }
    }
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
        .read_buffer_size(READ_BUFFER)
        // Every message is written (and flushed) as it is sent: no batching buffer, so
        // the write buffer is only ever as large as the largest message.
        .write_buffer_size(0)
}

/// Whether a `Sec-WebSocket-Protocol` header list offers `sip`.
fn offers_sip(req: &Request) -> bool {
    req.headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(SUBPROTOCOL))
}

/// The bearer token of the handshake, if any: the `Authorization: Bearer` header first,
/// then the `access_token` query parameter (percent-decoded).
fn handshake_token(req: &Request) -> Option<String> {
    if let Some(v) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim().to_owned());
        }
    }
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "access_token").then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs the server side of the handshake on `stream` (TCP, or TLS for `wss`); returns
/// the WebSocket and the transport token found in the handshake.
pub async fn accept<S>(stream: S) -> Result<(WebSocketStream<S>, Option<String>), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut token = None;
    let mut refused = false;
    // The callback's error type is fixed by tungstenite.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        if !offers_sip(req) {
            refused = true;
            let mut err = ErrorResponse::new(Some("WebSocket subprotocol 'sip' required".into()));
            *err.status_mut() = StatusCode::BAD_REQUEST;
            return Err(err);
        }
        token = handshake_token(req);
        resp.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        Ok(resp)
    };
    let fut = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(ws_config()));
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, fut).await {
        Err(_) => Err(HandshakeError::Timeout),
        Ok(Err(_)) if refused => Err(HandshakeError::NoSipSubprotocol),
        Ok(Err(e)) => Err(HandshakeError::Ws(e.to_string())),
        Ok(Ok(ws)) => Ok((ws, token)),
    }
}

/// A client WebSocket.
pub type ClientWs = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `url` (`ws://host:port/path[?access_token=...]`) offering the `sip`
/// subprotocol, optionally with `Authorization: Bearer <token>` on the upgrade request.
pub async fn connect(url: &str, bearer: Option<&str>) -> Result<ClientWs, HandshakeError> {
    connect_with(url, bearer, None).await
}

/// Like [`connect`]; a `wss://` URL is reached with `tls` (which says what server
/// certificates to trust) or, without it, with the web's public roots.
pub async fn connect_with(
    url: &str,
    bearer: Option<&str>,
    tls: Option<Arc<ClientConfig>>,
) -> Result<ClientWs, HandshakeError> {
    let mut req = url
        .into_client_request()
        .map_err(|e| HandshakeError::Ws(e.to_string()))?;
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    if let Some(t) = bearer {
        let v = HeaderValue::from_str(&format!("Bearer {t}"))
            .map_err(|e| HandshakeError::Ws(e.to_string()))?;
        req.headers_mut().insert("authorization", v);
    }
    let connector = tls.map(Connector::Rustls);
    let fut =
        tokio_tungstenite::connect_async_tls_with_config(req, Some(ws_config()), true, connector);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, fut).await {
        Err(_) => Err(HandshakeError::Timeout),
        Ok(Err(e)) => Err(HandshakeError::Ws(e.to_string())),
        Ok(Ok((ws, _))) => Ok(ws),
    }
}
