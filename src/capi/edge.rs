//! The edge handle and its entry points: create, handle a client request, handle a core
//! response, rotate the JWT keys, free.

use std::ffi::{c_char, c_int};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::decision::SipOauthDecision;
use super::error::{CapiError, guard, quiet};
use super::ffi;
use crate::edge::{Edge, FlowId, Inbound, Transport};
use crate::spec::{EdgeSpec, JwtSpec};
use crate::validate::{JwtValidator, Validator};

/// The opaque edge handle (`sip_oauth_edge` in C): an [`Edge`] checking tokens with a
/// [`JwtValidator`] whose keys can be replaced while the edge runs.
pub struct SipOauthEdge {
    edge: Edge,
    jwt: Arc<JwtValidator>,
}

fn transport(value: c_int) -> Result<Transport, CapiError> {
    Ok(match value {
        super::SIP_OAUTH_TRANSPORT_UDP => Transport::Udp,
        super::SIP_OAUTH_TRANSPORT_TCP => Transport::Tcp,
        super::SIP_OAUTH_TRANSPORT_TLS => Transport::Tls,
        super::SIP_OAUTH_TRANSPORT_WS => Transport::Ws,
        super::SIP_OAUTH_TRANSPORT_WSS => Transport::Wss,
        _ => {
            return Err(CapiError::Argument {
                what: "transport",
                why: "not one of the SIP_OAUTH_TRANSPORT_* values",
            });
        }
    })
}

fn peer(addr: &str, port: u16) -> Result<SocketAddr, CapiError> {
    // IPv6 literals are accepted with or without the brackets of a SIP URI host.
    let bare = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let ip: IpAddr = bare.parse().map_err(|_| CapiError::Argument {
        what: "peer_addr",
        why: "not an IPv4 or IPv6 address",
    })?;
    Ok(SocketAddr::new(ip, port))
}

fn unix_time(secs: i64) -> Result<SystemTime, CapiError> {
    let t = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    t.ok_or(CapiError::Argument {
        what: "now",
        why: "not representable as a system time",
    })
}

/// Creates an edge from its configuration and its validator configuration, both JSON
/// documents (see `include/sip_oauth.h` for the fields). On success `*out_edge` holds the
/// new handle, to be freed with [`sip_oauth_edge_free`]; on failure it is NULL and
/// `*out_error` (when `out_error` is not NULL) holds a message to free with
/// `sip_oauth_string_free`.
///
/// # Safety
/// `edge_json` and `validator_json` are NULL or NUL-terminated strings; `out_edge` and
/// `out_error` are NULL or valid for one pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_new(
    edge_json: *const c_char,
    validator_json: *const c_char,
    out_edge: *mut *mut SipOauthEdge,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract covers every pointer used below.
    unsafe {
        ffi::write_opt(out_edge, std::ptr::null_mut());
        guard("sip_oauth_edge_new", out_error, || {
            if out_edge.is_null() {
                return Err(CapiError::Null("out_edge"));
            }
            let edge_spec = EdgeSpec::from_json(ffi::str_arg(edge_json, "edge_json")?);
            let config = edge_spec
                .and_then(|s| s.build())
                .map_err(CapiError::spec("edge configuration"))?;
            let jwt_spec = JwtSpec::from_json(ffi::str_arg(validator_json, "validator_json")?)
                .map_err(CapiError::spec("validator configuration"))?;
            let jwt = Arc::new(
                jwt_spec
                    .build()
                    .map_err(CapiError::spec("validator configuration"))?,
            );
            let validator: Arc<dyn Validator> = jwt_spec.confined(jwt.clone());
            let edge = Edge::from_shared(Arc::new(config), validator);
            ffi::write_opt(out_edge, ffi::into_handle(SipOauthEdge { edge, jwt }));
            Ok(())
        })
    }
}

/// Frees an edge. NULL is a no-op. No other call on the same handle may run concurrently
/// or follow.
///
/// # Safety
/// `edge` is NULL or a handle from [`sip_oauth_edge_new`] not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_free(edge: *mut SipOauthEdge) {
    // SAFETY: forwarded contract.
    quiet((), || unsafe { ffi::free_handle(edge) });
}

/// Hands a client request to the edge. `bytes`/`len` is one whole SIP message (NULL only
/// with `len` 0); `flow` is the caller's id of the client connection, handed back with
/// replies; `peer_addr` is the client's IP address as text (IPv4, or IPv6 with or without
/// brackets) and `peer_port` its port; `transport` a `SIP_OAUTH_TRANSPORT_*` value; `now`
/// the current time in seconds since the Unix epoch; `transport_token` a token taken from
/// the WebSocket handshake, or NULL. On success `*out_decision` holds the decision, to be
/// freed with `sip_oauth_decision_free`; on failure it is NULL.
///
/// # Safety
/// `edge` is NULL or a live handle; `bytes` is NULL or points to `len` readable bytes;
/// `peer_addr` and `transport_token` are NULL or NUL-terminated strings; `out_decision` and
/// `out_error` are NULL or valid for one pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_on_request(
    edge: *const SipOauthEdge,
    bytes: *const u8,
    len: usize,
    flow: u64,
    peer_addr: *const c_char,
    peer_port: u16,
    transport: c_int,
    now: i64,
    transport_token: *const c_char,
    out_decision: *mut *mut SipOauthDecision,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract covers every pointer used below.
    unsafe {
        ffi::write_opt(out_decision, std::ptr::null_mut());
        guard("sip_oauth_edge_on_request", out_error, || {
            let handle = ffi::handle_ref(edge).ok_or(CapiError::Null("edge"))?;
            if out_decision.is_null() {
                return Err(CapiError::Null("out_decision"));
            }
            let message = ffi::bytes_arg(bytes, len, "bytes")?;
            let inbound = Inbound {
                flow: FlowId(flow),
                peer: peer(ffi::str_arg(peer_addr, "peer_addr")?, peer_port)?,
                transport: self::transport(transport)?,
                now: unix_time(now)?,
                // The C API names transports only; TLS and WSS are the secure ones.
                secure_flow: false,
                transport_token: ffi::opt_str_arg(transport_token, "transport_token")?,
            };
            let decision = handle.edge.on_request(message.to_vec(), &inbound);
            ffi::write_opt(
                out_decision,
                ffi::into_handle(SipOauthDecision::request(decision)),
            );
            Ok(())
        })
    }
}

/// Hands a response from the core to the edge at `now` (seconds since the Unix epoch),
/// filtered as [`crate::edge::Edge::on_response`] filters it (TS 24.229 5.2.2). On
/// success `*out_decision` holds the decision (a reply to the client's flow, or a drop).
///
/// # Safety
/// As [`sip_oauth_edge_on_request`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_on_response(
    edge: *const SipOauthEdge,
    bytes: *const u8,
    len: usize,
    now: i64,
    out_decision: *mut *mut SipOauthDecision,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract is the one `from_core` relies on.
    unsafe {
        let call = Call("sip_oauth_edge_on_response", out_decision, out_error);
        from_core(edge, bytes, len, now, call, |edge, message, now| {
            SipOauthDecision::response(edge.on_response(message, now))
        })
    }
}

/// Hands a request from the core to the edge at `now` (seconds since the Unix epoch):
/// a request for a registered client along the edge's Path or Record-Route, as
/// [`crate::edge::Edge::on_core_request`] handles it. On success `*out_decision` holds
/// the decision: `SIP_OAUTH_ACTION_REPLY` sends the request down the client flow it
/// names, `SIP_OAUTH_ACTION_FORWARD` sends the edge's answer (such as 430 Flow Failed)
/// back to the core, `SIP_OAUTH_ACTION_DROP` sends nothing.
///
/// # Safety
/// As [`sip_oauth_edge_on_request`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_on_core_request(
    edge: *const SipOauthEdge,
    bytes: *const u8,
    len: usize,
    now: i64,
    out_decision: *mut *mut SipOauthDecision,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract is the one `from_core` relies on.
    unsafe {
        let call = Call("sip_oauth_edge_on_core_request", out_decision, out_error);
        from_core(edge, bytes, len, now, call, |edge, message, now| {
            SipOauthDecision::core(edge.on_core_request(message, now))
        })
    }
}

/// Hands a client's response (to a request the core sent it) to the edge, with the same
/// context as [`sip_oauth_edge_on_request`] (without a transport token). On success
/// `*out_decision` holds the decision: `SIP_OAUTH_ACTION_FORWARD` sends it to the core,
/// `SIP_OAUTH_ACTION_DROP` sends nothing.
///
/// # Safety
/// As [`sip_oauth_edge_on_request`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sip_oauth_edge_on_client_response(
    edge: *const SipOauthEdge,
    bytes: *const u8,
    len: usize,
    flow: u64,
    peer_addr: *const c_char,
    peer_port: u16,
    transport: c_int,
    now: i64,
    out_decision: *mut *mut SipOauthDecision,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract covers every pointer used below.
    unsafe {
        ffi::write_opt(out_decision, std::ptr::null_mut());
        guard("sip_oauth_edge_on_client_response", out_error, || {
            let handle = ffi::handle_ref(edge).ok_or(CapiError::Null("edge"))?;
            if out_decision.is_null() {
                return Err(CapiError::Null("out_decision"));
            }
            let message = ffi::bytes_arg(bytes, len, "bytes")?;
            let inbound = Inbound {
                flow: FlowId(flow),
                peer: peer(ffi::str_arg(peer_addr, "peer_addr")?, peer_port)?,
                transport: self::transport(transport)?,
                now: unix_time(now)?,
                secure_flow: false,
                transport_token: None,
            };
            let decision = handle.edge.on_client_response(message.to_vec(), &inbound);
            ffi::write_opt(
                out_decision,
                ffi::into_handle(SipOauthDecision::response(decision)),
            );
            Ok(())
        })
    }
}

/// Tells the edge the client connection `flow` closed: its registrations end, and
/// requests from the core for it are answered 430 from now on. Returns how many
/// registrations ended (0 for a NULL edge).
///
/// # Safety
/// `edge` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_flow_closed(edge: *const SipOauthEdge, flow: u64) -> usize {
    // SAFETY: forwarded contract.
    quiet(0, || unsafe {
        ffi::handle_ref(edge).map_or(0, |h| h.edge.flow_closed(FlowId(flow)))
    })
}

/// Removes the registrations that ended at or before `now` (seconds since the Unix
/// epoch). Returns how many went (0 for a NULL edge or a time before 1970).
///
/// # Safety
/// `edge` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_sweep(edge: *const SipOauthEdge, now: i64) -> usize {
    // SAFETY: forwarded contract.
    quiet(0, || unsafe {
        match (ffi::handle_ref(edge), unix_time(now)) {
            (Some(h), Ok(now)) => h.edge.sweep(now),
            _ => 0,
        }
    })
}

/// When the next registration ends, in seconds since the Unix epoch; 0 when the edge
/// holds none (or for a NULL edge).
///
/// # Safety
/// `edge` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_next_expiry(edge: *const SipOauthEdge) -> i64 {
    // SAFETY: forwarded contract.
    quiet(0, || unsafe {
        ffi::handle_ref(edge)
            .and_then(|h| h.edge.next_expiry())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

/// How many registrations (and REGISTERs awaiting the core's answer) the edge holds
/// (0 for a NULL edge).
///
/// # Safety
/// `edge` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_registrations(edge: *const SipOauthEdge) -> usize {
    // SAFETY: forwarded contract.
    quiet(0, || unsafe {
        ffi::handle_ref(edge).map_or(0, |h| h.edge.registrations())
    })
}

/// The name of an exported function and where it writes its decision and error.
struct Call(&'static str, *mut *mut SipOauthDecision, *mut *mut c_char);

/// The body of the entry points for what the core sends (responses and requests).
///
/// # Safety
/// As [`sip_oauth_edge_on_request`].
unsafe fn from_core(
    edge: *const SipOauthEdge,
    bytes: *const u8,
    len: usize,
    now: i64,
    Call(name, out_decision, out_error): Call,
    decide: impl FnOnce(&crate::edge::Edge, Vec<u8>, std::time::SystemTime) -> SipOauthDecision,
) -> c_int {
    // SAFETY: the caller's contract covers every pointer used below.
    unsafe {
        ffi::write_opt(out_decision, std::ptr::null_mut());
        guard(name, out_error, || {
            let handle = ffi::handle_ref(edge).ok_or(CapiError::Null("edge"))?;
            if out_decision.is_null() {
                return Err(CapiError::Null("out_decision"));
            }
            let message = ffi::bytes_arg(bytes, len, "bytes")?.to_vec();
            let decision = decide(&handle.edge, message, unix_time(now)?);
            ffi::write_opt(out_decision, ffi::into_handle(decision));
            Ok(())
        })
    }
}

/// Replaces the validator's keys with the JWK Set `jwks_json` (RFC 7517 section 5), for key
/// rotation. Requests already being checked finish with the old keys; on error the old keys
/// stay.
///
/// # Safety
/// `edge` is NULL or a live handle; `jwks_json` is NULL or a NUL-terminated string;
/// `out_error` is NULL or valid for one pointer write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_edge_replace_jwks(
    edge: *const SipOauthEdge,
    jwks_json: *const c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller's contract covers every pointer used below.
    unsafe {
        guard("sip_oauth_edge_replace_jwks", out_error, || {
            let handle = ffi::handle_ref(edge).ok_or(CapiError::Null("edge"))?;
            let set = serde_json::from_str(ffi::str_arg(jwks_json, "jwks_json")?).map_err(|e| {
                CapiError::Json {
                    what: "JWK Set",
                    why: e.to_string(),
                }
            })?;
            handle
                .jwt
                .replace_jwks(set)
                .map_err(|e| CapiError::Keys(e.to_string()))
        })
    }
}
