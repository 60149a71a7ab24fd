//! What the example client writes: its identity (the AOR, the `.invalid` host of
//! RFC 7118 5.2, its Contact), new requests built with the library's [`Builder`], and
//! the dialog a call creates (RFC 3261 12.1.2: the UAC's route set is the 2xx's
//! Record-Route reversed, its remote target the 2xx's Contact), with the in-dialog
//! requests it sends (12.2.1.1).

use bytes::Bytes;
use sip_oauth::message::{Builder, HeaderName, HeaderValue, Message, Token};

use super::route_set::{self, header_tag, name_addr_uri};
use super::wic_client::random_id;

/// Who the client is.
#[derive(Debug, Clone)]
pub struct Identity {
    /// User part of the AOR.
    pub user: String,
    /// Home domain.
    pub home: String,
    /// The random host of its Via and Contact (RFC 7118 5.2: it has no reachable address).
    pub host: String,
    /// The `+sip.instance` UUID (RFC 5626 4.1).
    pub instance: String,
    /// Whether it is connected over `wss://` (its Via then says `WSS`, RFC 7118 5.2).
    pub secure: bool,
}

impl Identity {
    /// `sip:user@home`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.user, self.home)
    }

    /// The Contact URI it registers and puts in dialog-creating requests and answers.
    pub fn contact_uri(&self) -> String {
        format!("sip:{}@{};transport=ws", self.user, self.host)
    }

    /// The Via transport token of its connection (RFC 7118 5.2).
    pub fn via_transport(&self) -> &'static str {
        if self.secure { "WSS" } else { "WS" }
    }

    /// A Via for a new client transaction.
    pub fn via(&self) -> String {
        format!(
            "SIP/2.0/{} {};branch=z9hG4bK{};rport",
            self.via_transport(),
            self.host,
            random_id(10)
        )
    }
}

/// A request to write: start line, header fields in order, optional body.
pub struct Request<'a> {
    /// The method.
    pub method: &'a str,
    /// The Request-URI.
    pub uri: &'a str,
    /// Header fields, in order (Content-Length and Content-Type are written from `body`).
    pub headers: Vec<(HeaderName, String)>,
    /// Content type and body.
    pub body: Option<(&'a str, &'a str)>,
}

impl Request<'_> {
    /// The request on the wire; `Err` names what could not be written.
    pub fn write(&self) -> Result<Bytes, String> {
        let method = Token::try_from(self.method).map_err(|e| format!("method: {e}"))?;
        let mut b = Builder::request(&method, self.uri).map_err(|e| format!("URI: {e}"))?;
        for (name, value) in &self.headers {
            let v = HeaderValue::try_from(value.as_str()).map_err(|e| format!("{name:?}: {e}"))?;
            b.push(*name, &v).map_err(|e| format!("{name:?}: {e}"))?;
        }
        if let Some((ct, body)) = self.body {
            let ct = HeaderValue::try_from(ct).map_err(|e| format!("Content-Type: {e}"))?;
            b = b.body(&ct, body.as_bytes());
        }
        Ok(b.finish())
    }
}

/// A dialog the client created with an INVITE (RFC 3261 12.1.2).
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Call-ID.
    pub call_id: String,
    /// The From value of the INVITE (with the local tag).
    pub local: String,
    /// The To value of the 2xx (with the remote tag).
    pub remote: String,
    /// The remote tag.
    pub remote_tag: String,
    /// Where in-dialog requests go: the 2xx's Contact URI.
    pub remote_target: String,
    /// The route set: the 2xx's Record-Route entries, reversed.
    pub route_set: Vec<String>,
    /// The CSeq of the INVITE; in-dialog requests count up from it (ACK reuses it).
    pub cseq: u32,
}

impl Dialog {
    /// The dialog a 2xx to the INVITE with From value `local` establishes; `Err` when
    /// the response lacks what a dialog needs.
    pub fn from_2xx(resp: &Message, local: &str, cseq: u32) -> Result<Dialog, String> {
        let call_id = resp
            .required_str(HeaderName::CallId)
            .map_err(|e| format!("Call-ID: {e}"))?
            .0
            .to_owned();
        let remote = resp
            .required_str(HeaderName::To)
            .map_err(|e| format!("To: {e}"))?
            .0
            .to_owned();
        let remote_tag = header_tag(resp, HeaderName::To).ok_or("2xx without a To tag")?;
        let contact = resp
            .first(HeaderName::Contact)
            .and_then(|f| resp.value_str(f).ok())
            .and_then(name_addr_uri)
            .ok_or("2xx without a Contact")?;
        let mut route_set: Vec<String> = route_set::entries(resp, HeaderName::RecordRoute)?
            .into_iter()
            .map(|e| e.text)
            .collect();
        route_set.reverse();
        Ok(Dialog {
            call_id,
            local: local.to_owned(),
            remote,
            remote_tag,
            remote_target: contact,
            route_set,
            cseq,
        })
    }

    /// An in-dialog request from `me` with sequence number `cseq` (12.2.1.1: Request-URI
    /// the remote target, Route the route set).
    pub fn request(&self, me: &Identity, method: &str, cseq: u32) -> Result<Bytes, String> {
        let mut headers = vec![
            (HeaderName::Via, me.via()),
            (HeaderName::MaxForwards, "70".to_owned()),
        ];
        for r in &self.route_set {
            headers.push((HeaderName::Route, r.clone()));
        }
        headers.extend([
            (HeaderName::From, self.local.clone()),
            (HeaderName::To, self.remote.clone()),
            (HeaderName::CallId, self.call_id.clone()),
            (HeaderName::CSeq, format!("{cseq} {method}")),
        ]);
        Request {
            method,
            uri: &self.remote_target,
            headers,
            body: None,
        }
        .write()
    }
}
