//! HTTP/1.1 for the examples over `hyper`: the few client calls the edge makes to the WAF
//! (GET of a JWK Set, POST of an introspection request) and a small server loop for the
//! WAF's endpoints. Every call has a deadline and a body limit, so a slow or hostile peer
//! costs a bounded wait and bounded memory.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Largest response or request body read (a JWK Set of 64 keys fits many times over).
pub const MAX_BODY: usize = 256 * 1024;

/// A response as read: status, headers and the whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An `http://host:port/path` URL split for a request.
#[derive(Debug, Clone)]
pub struct Target {
    authority: String,
    path: String,
}

impl Target {
    /// Parses `url`; only `http` is supported (put a TLS proxy in front for https).
    pub fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => return Err(format!("{url:?}: scheme {other} is not supported (http)")),
            None => return Err(format!("{url:?}: not an absolute http URL")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("{url:?}: no host"))?
            .to_string();
        let authority = if authority.contains(':') {
            authority
        } else {
            format!("{authority}:80")
        };
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ok(Target { authority, path })
    }
}

/// Sends one request and reads the whole answer, all within `timeout`.
pub async fn request(
    target: &Target,
    method: Method,
    headers: &[(&str, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<Answer, String> {
    tokio::time::timeout(timeout, exchange(target, method, headers, body))
        .await
        .map_err(|_| format!("no answer from {} within {timeout:?}", target.authority))?
}

async fn exchange(
    target: &Target,
    method: Method,
    headers: &[(&str, String)],
    body: Bytes,
) -> Result<Answer, String> {
    let stream = TcpStream::connect(&target.authority)
        .await
        .map_err(|e| format!("connecting to {}: {e}", target.authority))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    // The connection task ends with the exchange (one request per connection).
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(target.path.as_str())
        .header("host", target.authority.as_str());
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let req = req
        .body(Full::new(body))
        .map_err(|e| format!("building the request: {e}"))?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("HTTP request: {e}"))?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = Limited::new(res.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// The `max-age` of a Cache-Control header (RFC 9111 section 5.2.2.1), if any.
pub fn max_age(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all("cache-control")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            let (name, value) = d.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| value.trim().trim_matches('"').parse().ok())?
        })
        .map(Duration::from_secs)
}

/// A request to a server of [`serve`]: method, path, headers and the whole body.
pub struct Asked {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A response from a handler of [`serve`].
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// Serves HTTP/1.1 on `listener` with `handler` until the returned task is aborted.
pub fn serve<H, F>(listener: TcpListener, handler: H) -> JoinHandle<()>
where
    H: Fn(Asked) -> F + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors, most likely: wait rather than spin on the error.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let handler = Arc::clone(&handler);
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let handler = Arc::clone(&handler);
                async move { Ok::<_, Infallible>(answer(&*handler, req).await) }
            });
            tokio::spawn(async move {
                // A client that breaks the connection only ends its own exchange.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn answer<H, F>(handler: &H, req: Request<Incoming>) -> Response<Full<Bytes>>
where
    H: Fn(Asked) -> F,
    F: Future<Output = Reply>,
{
    let (parts, body) = req.into_parts();
    let reply = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => {
            handler(Asked {
                method: parts.method,
                path: parts.uri.path().to_owned(),
                headers: parts.headers,
                body: body.to_bytes(),
            })
            .await
        }
        Err(_) => Reply::json(413, r#"{"error":"invalid_request"}"#),
    };
    let mut res = Response::new(Full::new(reply.body));
    *res.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, v);
        }
    }
    res
}

/// Binds `addr` for [`serve`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("binding {addr}: {e}"))
}

/// Percent-decodes an `application/x-www-form-urlencoded` value (`+` is a space).
pub fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes a value for an `application/x-www-form-urlencoded` body.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of `name` in a form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (form_decode(k)? == name).then(|| form_decode(v))?
    })
}
