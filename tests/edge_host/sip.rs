//! SIP as text, as much as the test peers need: a message split into its start line,
//! header fields (in order, compact names expanded) and body, the comma-separated
//! entries of a field, the URI of a name-addr, and writing a message back with its
//! Content-Length set.

use bytes::Bytes;

/// A parsed message.
#[derive(Clone, Debug)]
pub struct Msg {
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn full_name(name: &str) -> String {
    let full = match name.to_ascii_lowercase().as_str() {
        "v" => "Via",
        "f" => "From",
        "t" => "To",
        "i" => "Call-ID",
        "m" => "Contact",
        "l" => "Content-Length",
        "c" => "Content-Type",
        "k" => "Supported",
        "s" => "Subject",
        _ => return name.to_owned(),
    };
    full.to_owned()
}

impl Msg {
    /// Parses one whole message (header folding is not used by the peers here).
    pub fn parse(bytes: &[u8]) -> Option<Msg> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        let mut lines = head.split("\r\n");
        let start = lines.next()?.to_owned();
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line.split_once(':')?;
            headers.push((full_name(name.trim()), value.trim().to_owned()));
        }
        Some(Msg {
            start,
            headers,
            body: body.as_bytes().to_vec(),
        })
    }

    pub fn is_response(&self) -> bool {
        self.start.starts_with("SIP/")
    }

    /// The status of a response.
    pub fn status(&self) -> Option<u16> {
        self.start.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        if self.is_response() {
            return None;
        }
        self.start.split(' ').next()
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<&str> {
        if self.is_response() {
            return None;
        }
        self.start.split(' ').nth(1)
    }

    /// The method named in CSeq.
    pub fn cseq_method(&self) -> Option<&str> {
        self.get("CSeq")?.split_whitespace().nth(1)
    }

    /// The first field named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every field named `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every entry of the fields named `name`, comma lists split, in order.
    pub fn entries(&self, name: &str) -> Vec<String> {
        self.all(name).into_iter().flat_map(split_list).collect()
    }

    /// Whether some field is named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Removes every field named `name`.
    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Inserts a field above all others of the message (after the start line).
    pub fn push_top(&mut self, name: &str, value: &str) {
        self.headers.insert(0, (name.to_owned(), value.to_owned()));
    }

    /// Appends a field.
    pub fn push(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// Replaces the fields named `name` by one entry per value, where the first was (or
    /// at the top).
    pub fn set_all(&mut self, name: &str, values: &[String]) {
        let at = self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or(0);
        self.remove(name);
        for (i, v) in values.iter().enumerate() {
            self.headers.insert(at + i, (name.to_owned(), v.clone()));
        }
    }

    /// The message as bytes, with Content-Length written for the body.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = String::with_capacity(512 + self.body.len());
        out.push_str(&self.start);
        out.push_str("\r\n");
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case("Content-Length") {
                continue;
            }
            out.push_str(n);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        Bytes::from(bytes)
    }

    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The whole message as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.to_bytes()).into_owned()
    }
}

/// Splits a comma list, leaving commas inside `<...>` and quotes alone.
pub fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut cur) = (0i32, false, String::new());
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => depth += 1,
            '>' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_owned());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// The URI of a name-addr (`"x" <sip:a@b;lr>;p=1` gives `sip:a@b;lr`), or the value up
/// to its first `;` when it has no angle brackets.
pub fn uri_of(value: &str) -> String {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => value[a + 1..b].to_owned(),
        _ => value.split(';').next().unwrap_or("").trim().to_owned(),
    }
}

/// The `host:port` a SIP URI names (default port 5060).
pub fn host_port(uri: &str) -> Option<std::net::SocketAddr> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))?;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hp = rest.split([';', '?', '>']).next()?;
    let hp = if hp.contains(':') {
        hp.to_owned()
    } else {
        format!("{hp}:5060")
    };
    hp.parse().ok()
}

/// The value of parameter `name` in a header value or URI (`;name=value`).
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_end_matches('>'))
    })
}

/// A response to `req`: its Via, From, To (with `to_tag` added when it has none),
/// Call-ID and CSeq; the Record-Route too when `record_route` (a dialog-creating
/// response, RFC 3261 12.1.1).
pub fn response_to(req: &Msg, status: u16, reason: &str, to_tag: &str, record_route: bool) -> Msg {
    let mut headers = Vec::new();
    for (n, v) in &req.headers {
        let keep = matches!(
            n.to_ascii_lowercase().as_str(),
            "via" | "from" | "call-id" | "cseq"
        ) || (record_route && n.eq_ignore_ascii_case("Record-Route"));
        if keep {
            headers.push((n.clone(), v.clone()));
        } else if n.eq_ignore_ascii_case("To") {
            let v = if param(v, "tag").is_some() || to_tag.is_empty() {
                v.clone()
            } else {
                format!("{v};tag={to_tag}")
            };
            headers.push((n.clone(), v));
        }
    }
    Msg {
        start: format!("SIP/2.0 {status} {reason}"),
        headers,
        body: Vec::new(),
    }
}
