//! The Via header (RFC 3261 sections 18.2.1 and 20.42 and the `via-parm` grammar of
//! section 25.1), with the `rport` parameter of RFC 3581 and the WebSocket transports
//! `WS` / `WSS` of RFC 7118 section 5.
//!
//! White space may surround every `/` of the sent-protocol and the `:` before the port
//! (`SLASH` and `COLON` are `SWS "/" SWS` and `SWS ":" SWS`; RFC 4475 section 3.1.1.1).

use std::fmt;
use std::net::IpAddr;

use super::host::{Host, parse_host_at, parse_port};
use super::lex::{skip_lws, skip_token, sub, trim};
use super::params::{Param, Params, Style};
use crate::message::{ParseError, ParseErrorKind};

/// The transport of a Via sent-protocol (compared case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViaTransport<'a> {
    /// `UDP`.
    Udp,
    /// `TCP`.
    Tcp,
    /// `TLS`.
    Tls,
    /// `SCTP`.
    Sctp,
    /// `WS` (RFC 7118).
    Ws,
    /// `WSS` (RFC 7118).
    Wss,
    /// Any other transport token, as written (RFC 4475 section 3.1.1.12).
    Other(&'a str),
}

impl<'a> ViaTransport<'a> {
    /// Classifies a transport token, ignoring case.
    pub fn from_token(t: &'a str) -> Self {
        const KNOWN: [(&str, ViaTransport<'static>); 6] = [
            ("UDP", ViaTransport::Udp),
            ("TCP", ViaTransport::Tcp),
            ("TLS", ViaTransport::Tls),
            ("SCTP", ViaTransport::Sctp),
            ("WS", ViaTransport::Ws),
            ("WSS", ViaTransport::Wss),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(t))
            .map_or(ViaTransport::Other(t), |&(_, k)| k)
    }

    /// The canonical upper-case token (or the text of [`ViaTransport::Other`]).
    pub fn as_str(&self) -> &'a str {
        match self {
            ViaTransport::Udp => "UDP",
            ViaTransport::Tcp => "TCP",
            ViaTransport::Tls => "TLS",
            ViaTransport::Sctp => "SCTP",
            ViaTransport::Ws => "WS",
            ViaTransport::Wss => "WSS",
            ViaTransport::Other(t) => t,
        }
    }
}

impl fmt::Display for ViaTransport<'_> {
    /// Writes the transport token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `via-parm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    protocol_name: &'a str,
    protocol_version: &'a str,
    transport: ViaTransport<'a>,
    host: Host<'a>,
    host_str: &'a str,
    port: Option<u16>,
    params: Params<'a>,
    branch: Option<&'a str>,
    received: Option<&'a str>,
    rport: Option<Option<u16>>,
}

impl<'a> Via<'a> {
    /// Parses one `via-parm` (a header line may hold several: see [`Via::parse_list`]).
    pub fn parse(value: &'a str) -> Result<Self, ParseError> {
        Self::parse_visiting(value, |_| {})
    }

    /// Like [`Via::parse`], also handing every parameter (ranges relative to `value`)
    /// to `visit` during the validating pass, so a caller looking for parameters the
    /// type does not keep need not walk them a second time.
    pub(crate) fn parse_visiting(
        value: &'a str,
        visit: impl FnMut(&Param<'a>),
    ) -> Result<Self, ParseError> {
        let (base, v) = trim(value);
        Self::parse_at(v, base, visit).map_err(|e| e.shifted(base))
    }

    /// Parses every `via-parm` of a comma-separated Via value, with element offsets.
    pub fn parse_list(
        value: &'a str,
    ) -> impl Iterator<Item = Result<(usize, Self), ParseError>> + 'a {
        super::list::parse_list(value, Self::parse)
    }

    /// Parses the first `via-parm` of a Via value that may hold several: the topmost
    /// Via of the header line, the one a proxy matches its own branch against.
    pub fn parse_first(value: &'a str) -> Result<Self, ParseError> {
        match super::list::split_list(value).next() {
            Some((off, first)) => Self::parse(first).map_err(|e| e.shifted(off)),
            None => Err(ParseError::expected("via-parm", value.len())),
        }
    }

    fn parse_at(
        v: &'a str,
        base: usize,
        mut visit: impl FnMut(&Param<'a>),
    ) -> Result<Self, ParseError> {
        let b = v.as_bytes();
        let token = |i: usize, what: &'static str| {
            let e = skip_token(b, i);
            if e == i {
                Err(ParseError::expected(what, i))
            } else {
                Ok((sub(v, i, e), e))
            }
        };
        let slash = |i: usize| {
            let k = skip_lws(b, i);
            if b.get(k) == Some(&b'/') {
                Ok(skip_lws(b, k + 1))
            } else {
                Err(ParseError::expected("'/' in sent-protocol", k))
            }
        };
        let (protocol_name, i) = token(0, "protocol name")?;
        let (protocol_version, i) = token(slash(i)?, "protocol version")?;
        let (transport, i) = token(slash(i)?, "transport")?;
        let k = skip_lws(b, i);
        if k == i {
            return Err(ParseError::expected("white space before sent-by", i));
        }
        let (host, e) = parse_host_at(v, k)?;
        let host_str = sub(v, k, e);
        let mut i = e;
        let mut port = None;
        let c = skip_lws(b, i);
        if b.get(c) == Some(&b':') {
            let d0 = skip_lws(b, c + 1);
            let mut d1 = d0;
            while b.get(d1).is_some_and(u8::is_ascii_digit) {
                d1 += 1;
            }
            port = Some(parse_port(sub(v, d0, d1), d0)?);
            i = d1;
        }
        // The parameters a proxy reads on every message are remembered in the
        // validating pass (first occurrence wins, as for lookups).
        let mut branch = None;
        let mut received = None;
        let mut rport = None;
        // Errors raised here carry offsets of the caller's input, like the ranges; the
        // shift back below makes them relative to `v` as the other errors are.
        let params = Params::parse_with(sub(v, i, v.len()), base + i, Style::Header, |p| {
            visit(&p);
            let at = p.range.start;
            if p.is("branch") {
                if p.value.is_none_or(|b| b.starts_with('"')) {
                    return Err(ParseError::expected("branch token", at));
                }
                branch = branch.or(p.value);
            } else if p.is("received") {
                received = received.or(p.value);
            } else if p.is("rport") {
                let port = match p.value {
                    Some(val) => Some(parse_port(val, at)?),
                    None => None,
                };
                rport = rport.or(Some(port));
            } else if p.is("ttl") {
                let n = p.value.and_then(|t| t.parse::<u16>().ok());
                if n.is_none_or(|n| n > 255) {
                    return Err(ParseError::new(ParseErrorKind::NumberOutOfRange("ttl"), at));
                }
            }
            Ok(())
        })
        .map_err(|e| ParseError::new(e.kind, e.offset.saturating_sub(base)))?;
        Ok(Self {
            protocol_name,
            protocol_version,
            transport: ViaTransport::from_token(transport),
            host,
            host_str,
            port,
            params,
            branch,
            received,
            rport,
        })
    }

    /// The protocol name, normally `SIP`.
    pub fn protocol_name(&self) -> &'a str {
        self.protocol_name
    }

    /// The protocol version, normally `2.0`.
    pub fn protocol_version(&self) -> &'a str {
        self.protocol_version
    }

    /// The transport.
    pub fn transport(&self) -> ViaTransport<'a> {
        self.transport
    }

    /// The sent-by host.
    pub fn host(&self) -> Host<'a> {
        self.host
    }

    /// The sent-by host as written (IPv6 with brackets).
    pub fn host_str(&self) -> &'a str {
        self.host_str
    }

    /// The sent-by port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = Param<'a>> + use<'a> {
        self.params.iter()
    }

    /// The parameter section, for lookups.
    pub fn param_section(&self) -> Params<'a> {
        self.params
    }

    /// The first parameter called `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<Param<'a>> {
        self.params.get(name)
    }

    /// The `branch` parameter (RFC 3261 section 8.1.1.7).
    pub fn branch(&self) -> Option<&'a str> {
        self.branch
    }

    /// `true` when the branch starts with the RFC 3261 magic cookie `z9hG4bK`.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }

    /// The `received` parameter as written (RFC 3261 section 18.2.1).
    pub fn received(&self) -> Option<&'a str> {
        self.received
    }

    /// The `received` parameter as an address (brackets around IPv6 accepted).
    pub fn received_addr(&self) -> Option<IpAddr> {
        let r = self.received()?;
        let r = r
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(r);
        r.parse().ok()
    }

    /// The `rport` parameter (RFC 3581): `None` when absent, `Some(None)` when sent
    /// without a value (a request for symmetric response routing), `Some(Some(port))`
    /// when filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.rport
    }

    /// The `maddr` parameter as written.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.value("maddr").flatten()
    }

    /// The `ttl` parameter.
    pub fn ttl(&self) -> Option<u8> {
        self.params
            .value("ttl")
            .flatten()
            .and_then(|t| t.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ok(s: &str) -> Via<'_> {
        Via::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn samples() {
        let v = ok("SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK7739204;rport");
        assert_eq!(v.transport(), ViaTransport::Wss);
        assert_eq!(v.host(), Host::Domain("8h2kqv9r1c4p.invalid"));
        assert_eq!(v.branch(), Some("z9hG4bK7739204"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.port(), None);
        let v = ok(
            "SIP/2.0/WSS 8h2kqv9r1c4p.invalid;received=198.51.100.7;rport=50312;branch=z9hG4bK7739204",
        );
        assert_eq!(v.rport(), Some(Some(50312)));
        assert_eq!(
            v.received_addr(),
            Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)))
        );
        let v = ok("SIP/2.0/TCP pcscf.visited.example:5060;branch=z9hG4bKedge.1");
        assert_eq!((v.transport(), v.port()), (ViaTransport::Tcp, Some(5060)));
        assert_eq!(v.rport(), None);
        let v = ok(
            "SIP/2.0/UDP [2001:db8::10]:5070;branch=z9hG4bK1;received=[2001:db8::1];maddr=[::1];ttl=16",
        );
        assert_eq!(v.host_str(), "[2001:db8::10]");
        assert_eq!(v.port(), Some(5070));
        assert!(v.received_addr().is_some_and(|a| a.is_ipv6()));
        assert_eq!(v.maddr(), Some("[::1]"));
        assert_eq!(v.ttl(), Some(16));
    }

    #[test]
    fn rfc4475_wsinv_folding() {
        let v = ok("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw");
        assert_eq!(v.protocol_name(), "SIP");
        assert_eq!(v.protocol_version(), "2.0");
        assert_eq!(v.transport(), ViaTransport::Udp);
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
        let list: Vec<_> = Via::parse_list("  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].1.branch(), Some("z9hG4bK9ikj8"));
        assert_eq!(list[1].1.branch(), Some("z9hG4bK30239"));
        assert_eq!(
            list[1].1.host(),
            Host::Ipv4(Ipv4Addr::new(192, 168, 255, 111))
        );
        assert_eq!(ok("SIP/2.0/UDP a.example : 5060").port(), Some(5060));
    }

    #[test]
    fn rfc4475_transports_and_branch() {
        let t: Vec<_> = ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP", "ws", "Wss"]
            .iter()
            .map(|t| ViaTransport::from_token(t))
            .collect();
        assert_eq!(
            t,
            [
                ViaTransport::Udp,
                ViaTransport::Sctp,
                ViaTransport::Tls,
                ViaTransport::Other("UNKNOWN"),
                ViaTransport::Tcp,
                ViaTransport::Ws,
                ViaTransport::Wss
            ]
        );
        assert_eq!(
            ok("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en")
                .transport()
                .as_str(),
            "UNKNOWN"
        );
        // badbranch parses; the bare cookie is a transaction-layer matter.
        assert_eq!(
            ok("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK").branch(),
            Some("z9hG4bK")
        );
        // intmeth
        assert_eq!(
            ok("SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~").branch(),
            Some("z9hG4bK-.!%66*_+`'~")
        );
    }

    #[test]
    fn param_edge_cases() {
        // Valueless rport with LWS around the separators, upper-case name.
        let v = ok("SIP/2.0/TCP h.example ; RPORT ;branch=z9hG4bKx");
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.branch(), Some("z9hG4bKx"));
        // First occurrence wins, as for every lookup.
        let v = ok("SIP/2.0/UDP h;rport=1;rport;branch=a;branch=b");
        assert_eq!((v.rport(), v.branch()), (Some(Some(1)), Some("a")));
        assert_eq!(v.param("branch").and_then(|p| p.value), Some("a"));
        // RFC 3261 writes `received` IPv6 addresses without brackets.
        let v = ok("SIP/2.0/UDP [2001:db8::10] : 5070;received=2001:db8::1;rport=5070");
        assert_eq!(v.port(), Some(5070));
        assert_eq!(v.received_addr(), "2001:db8::1".parse().ok());
        // Unknown parameters, quoted values with separators inside.
        let v = ok("SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK;x=\"a;b,c\";flag");
        assert_eq!(v.transport(), ViaTransport::Ws);
        assert_eq!(
            v.param("x").and_then(|p| p.unquoted()).as_deref(),
            Some("a;b,c")
        );
        assert_eq!(
            v.params().map(|p| p.name).collect::<Vec<_>>(),
            ["branch", "x", "flag"]
        );
        let two: Vec<_> = Via::parse_list("SIP/2.0/UDP a;x=\"1,2\", SIP/2.0/UDP b")
            .collect::<Result<_, _>>()
            .expect("valid");
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].0, 23);
        assert_eq!(
            Via::parse_first(" SIP/2.0/UDP a;x=\"1,2\", SIP/2.0/UDP b").map(|v| v.host()),
            Ok(Host::Domain("a"))
        );
        assert!(Via::parse("SIP/2.0/UDP a, SIP/2.0/UDP b").is_err());
        assert_eq!(
            Via::parse_first(" , "),
            Err(ParseError::expected("via-parm", 3))
        );
        assert_eq!(
            Via::parse_first(" x").map_err(|e| e.offset),
            Err(ParseError::expected("'/' in sent-protocol", 2).offset)
        );
    }

    #[test]
    fn rejects() {
        // badinv01
        assert!(Via::parse_list("SIP/2.0/UDP 192.0.2.15;;,;,,").any(|r| r.is_err()));
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP ",
            "SIP/2.0 UDP host",
            "SIP/2.0/UDPhost",
            "SIP/2.0/UDP host:",
            "SIP/2.0/UDP host:99999",
            "SIP/2.0/UDP host;rport=x",
            "SIP/2.0/UDP host;rport=70000",
            "SIP/2.0/UDP host;ttl=256",
            "SIP/2.0/UDP host;ttl",
            "SIP/2.0/UDP host;branch",
            "SIP/2.0/UDP host;branch=\"x\"",
            "SIP/2.0/UDP host extra",
            "SIP/2.0/UDP [::1",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad:?}");
        }
        let e = Via::parse("  SIP/2.0/UDP h;rport=x").expect_err("bad rport");
        assert_eq!(e.offset, 16);
    }
}
