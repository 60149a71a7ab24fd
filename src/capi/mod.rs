//! A C ABI over the edge, for SIP stacks written in C (Kamailio, OpenSIPS, PJSIP,
//! FreeSWITCH/Sofia) that link the library as `libsip_oauth.so` or `libsip_oauth.a`.
//! Compiled only with the `capi` feature; the header is `include/sip_oauth.h`.
//!
//! The surface is small and stable: an opaque edge handle built from two JSON documents
//! (the edge configuration and the token validator configuration), two entry points that
//! take message bytes plus the context of [`crate::edge::Inbound`] and return an opaque
//! decision handle, a key rotation call, and `*_free` functions for everything handed out.
//! No Rust type crosses the boundary: integers, byte pointers with lengths, NUL-terminated
//! UTF-8 strings and opaque pointers only.
//!
//! Every entry point checks its pointers and lengths, and runs its body under
//! [`std::panic::catch_unwind`]: unwinding into C is undefined behaviour, so a panic (a bug)
//! becomes [`SIP_OAUTH_ERR_PANIC`] instead.
//!
//! # Thread safety
//! The edge handle is `Send + Sync`: any number of threads may call
//! `sip_oauth_edge_on_request`, `sip_oauth_edge_on_response` and
//! `sip_oauth_edge_replace_jwks` on the same handle at once. Only `sip_oauth_edge_free` must
//! not race with other calls on that handle. A decision belongs to the caller that received
//! it; it may be moved to another thread but not freed while another thread reads it.
//!
//! # Why `unsafe` is allowed here
//! The crate forbids `unsafe` everywhere else. A C ABI cannot avoid it: reading C strings and
//! byte buffers, writing through out-pointers, turning boxed handles into raw pointers and
//! back, and exporting unmangled symbols are all `unsafe` operations. They are confined to
//! `ffi`'s helpers (plus the `no_mangle` attributes), each with the caller's contract written
//! beside it.

mod decision;
mod edge;
mod error;
mod ffi;

use std::ffi::{CStr, c_char, c_int};

pub use decision::{
    SipOauthDecision, sip_oauth_decision_action, sip_oauth_decision_bytes,
    sip_oauth_decision_detail_json, sip_oauth_decision_flow, sip_oauth_decision_free,
    sip_oauth_decision_len, sip_oauth_decision_reason, sip_oauth_decision_status,
};
pub use edge::{
    SipOauthEdge, sip_oauth_edge_flow_closed, sip_oauth_edge_free, sip_oauth_edge_new,
    sip_oauth_edge_next_expiry, sip_oauth_edge_on_client_response, sip_oauth_edge_on_core_request,
    sip_oauth_edge_on_request, sip_oauth_edge_on_response, sip_oauth_edge_registrations,
    sip_oauth_edge_replace_jwks, sip_oauth_edge_sweep,
};
pub use error::CapiError;

/// Success.
pub const SIP_OAUTH_OK: c_int = 0;
/// A required pointer argument was NULL.
pub const SIP_OAUTH_ERR_NULL: c_int = 1;
/// A string argument is not valid UTF-8.
pub const SIP_OAUTH_ERR_UTF8: c_int = 2;
/// A JSON argument does not parse or has unknown or mistyped fields.
pub const SIP_OAUTH_ERR_JSON: c_int = 3;
/// A configuration value is refused (bad host, short flow key, bad claim names, ...).
pub const SIP_OAUTH_ERR_CONFIG: c_int = 4;
/// The verification keys are unusable (weak secret, bad PEM, no usable JWK, ...).
pub const SIP_OAUTH_ERR_KEYS: c_int = 5;
/// Another argument is out of range (transport, peer address, length, time).
pub const SIP_OAUTH_ERR_ARGUMENT: c_int = 6;
/// The library panicked (a bug); the call had no effect on the edge.
pub const SIP_OAUTH_ERR_PANIC: c_int = 7;

/// Transport value: UDP.
pub const SIP_OAUTH_TRANSPORT_UDP: c_int = 0;
/// Transport value: TCP.
pub const SIP_OAUTH_TRANSPORT_TCP: c_int = 1;
/// Transport value: TLS over TCP.
pub const SIP_OAUTH_TRANSPORT_TLS: c_int = 2;
/// Transport value: WebSocket (RFC 7118).
pub const SIP_OAUTH_TRANSPORT_WS: c_int = 3;
/// Transport value: secure WebSocket (RFC 7118).
pub const SIP_OAUTH_TRANSPORT_WSS: c_int = 4;

/// Action value of a NULL decision.
pub const SIP_OAUTH_ACTION_NONE: c_int = 0;
/// Action: send the decision's bytes to the core (the Annex U REGISTER, an originating
/// request, a client's response, or the edge's answer to a core request such as 430).
pub const SIP_OAUTH_ACTION_FORWARD: c_int = 1;
/// Action: send the decision's bytes down the client flow it names (the edge's answer,
/// a relayed response, or a terminating request).
pub const SIP_OAUTH_ACTION_REPLY: c_int = 2;
/// Action: send nothing (the reason says why). (Value 3 is not used.)
pub const SIP_OAUTH_ACTION_DROP: c_int = 4;

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library version as a static NUL-terminated string (never freed).
#[unsafe(no_mangle)]
pub extern "C" fn sip_oauth_version() -> *const c_char {
    VERSION.as_ptr()
}

/// Frees a string the library returned through an `out_error` argument. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_string_free(s: *mut c_char) {
    // SAFETY: forwarded contract.
    let _ = std::panic::catch_unwind(|| unsafe { ffi::free_string(s) });
}

// The edge handle is shared by every thread of the host stack.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SipOauthEdge>();
    send_sync::<SipOauthDecision>();
};
