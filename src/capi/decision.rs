//! The decision handle: what the caller must do with one message, and its accessors.

use std::ffi::{CString, c_char, c_int};
use std::sync::OnceLock;

use serde_json::json;

use super::error::quiet;
use super::ffi;
use crate::edge::{Decision, DropReason, Outcome, RejectCause, Rejection};

/// The opaque decision handle (`sip_oauth_decision` in C). Its strings and bytes live as
/// long as the handle. The reason and the JSON details are written on first request only,
/// so a caller that never reads them does not pay for them.
pub struct SipOauthDecision {
    decision: Decision,
    reason: OnceLock<CString>,
    detail: OnceLock<CString>,
}

impl SipOauthDecision {
    pub(crate) fn new(decision: Decision) -> SipOauthDecision {
        SipOauthDecision {
            decision,
            reason: OnceLock::new(),
            detail: OnceLock::new(),
        }
    }

    fn action(&self) -> c_int {
        match &self.decision {
            Decision::Forward { .. } => super::SIP_OAUTH_ACTION_FORWARD,
            Decision::Reply { .. } => super::SIP_OAUTH_ACTION_REPLY,
            Decision::NotRegister => super::SIP_OAUTH_ACTION_NOT_REGISTER,
            Decision::Drop(_) => super::SIP_OAUTH_ACTION_DROP,
        }
    }

    fn flow(&self) -> u64 {
        match &self.decision {
            Decision::Reply { flow, .. } => flow.0,
            _ => 0,
        }
    }

    fn status(&self) -> c_int {
        match &self.decision {
            Decision::Reply {
                outcome: Outcome::Rejected(r),
                ..
            } => c_int::from(r.status),
            Decision::Reply {
                outcome: Outcome::Relayed { status, .. },
                ..
            } => c_int::from(*status),
            _ => 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.decision {
            Decision::Forward { bytes, .. } | Decision::Reply { bytes, .. } => bytes,
            Decision::NotRegister | Decision::Drop(_) => &[],
        }
    }

    fn reason(&self) -> String {
        match &self.decision {
            Decision::Forward { .. } => {
                "forward: token accepted, Annex U REGISTER built".to_owned()
            }
            Decision::Reply {
                outcome: Outcome::Rejected(r),
                ..
            } => rejection_text(r),
            Decision::Reply {
                outcome: Outcome::Relayed { status, .. },
                ..
            } => format!("relay: {status} from the core"),
            Decision::NotRegister => {
                "not a REGISTER: handled by the host's own proxy logic".to_owned()
            }
            Decision::Drop(reason) => format!("drop: {}", drop_text(reason)),
        }
    }

    fn detail(&self) -> serde_json::Value {
        match &self.decision {
            Decision::Forward { admitted, .. } => json!({
                "impi": admitted.impi,
                "aor": admitted.aor,
                "expires": admitted.expires,
            }),
            Decision::Reply {
                outcome: Outcome::Rejected(r),
                ..
            } => json!({
                "rejected": true,
                "bearer_error": r.bearer_error.map(|e| e.as_str()),
            }),
            Decision::Reply {
                outcome: Outcome::Relayed { registered, .. },
                ..
            } => json!({
                "rejected": false,
                "registered": registered.as_ref().map(|r| json!({
                    "aor": r.aor,
                    "service_route": r.service_route,
                    "associated_uris": r.associated_uris,
                    "contacts": r.contacts.iter()
                        .map(|(uri, expires)| json!({"uri": uri, "expires": expires}))
                        .collect::<Vec<_>>(),
                })),
            }),
            Decision::NotRegister | Decision::Drop(_) => json!({}),
        }
    }
}

fn cause_text(cause: &RejectCause) -> String {
    match cause {
        RejectCause::NoToken => "no bearer token".to_owned(),
        RejectCause::BadToken(e) => e.to_string(),
        RejectCause::Invalid(e) => format!("token refused: {e}"),
        RejectCause::IdentityMismatch => "registered AOR is not granted by the token".to_owned(),
        RejectCause::OutlivesToken => "registration would outlive the token".to_owned(),
        RejectCause::TooManyHops => "Max-Forwards exhausted".to_owned(),
        RejectCause::UnsupportedUriScheme => "Request-URI scheme is not sip or sips".to_owned(),
        RejectCause::BadExtension => "required extension not supported".to_owned(),
        RejectCause::Malformed(e) => format!("malformed request: {e}"),
    }
}

fn rejection_text(r: &Rejection) -> String {
    format!(
        "{} {}: {}",
        r.status,
        r.reason_phrase(),
        cause_text(&r.cause)
    )
}

fn drop_text(reason: &DropReason) -> String {
    match reason {
        DropReason::Unparseable(e) => format!("unparseable: {e}"),
        DropReason::WrongDirection => {
            "a response where a request was expected, or the reverse".to_owned()
        }
        DropReason::Ack => "ACK to the edge's own final response".to_owned(),
        DropReason::NotOurs => "top Via is not this edge's".to_owned(),
        DropReason::Tampered(e) => format!("top Via branch does not verify: {e}"),
        DropReason::HopByHop => "100 Trying stays on its hop".to_owned(),
        DropReason::TokenLeak => {
            "the built request would have carried the client's token".to_owned()
        }
        DropReason::Write(e) => format!("output could not be written: {e}"),
    }
}

/// Reads a field of a decision, with `fallback` for a NULL handle.
///
/// # Safety
/// `d` is NULL or a live decision handle.
unsafe fn field<T>(
    d: *const SipOauthDecision,
    fallback: T,
    f: impl FnOnce(&SipOauthDecision) -> T,
) -> T {
    // SAFETY: forwarded contract.
    match unsafe { ffi::handle_ref(d) } {
        Some(d) => quiet(fallback, || f(d)),
        None => fallback,
    }
}

/// The action, a `SIP_OAUTH_ACTION_*` value (`SIP_OAUTH_ACTION_NONE` for NULL).
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_action(d: *const SipOauthDecision) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { field(d, super::SIP_OAUTH_ACTION_NONE, SipOauthDecision::action) }
}

/// For a reply, the client flow to send it on (the `flow` given to
/// `sip_oauth_edge_on_request`, or recovered from the edge's Via for a relayed response);
/// 0 otherwise.
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_flow(d: *const SipOauthDecision) -> u64 {
    // SAFETY: forwarded contract.
    unsafe { field(d, 0, SipOauthDecision::flow) }
}

/// For a reply, its SIP status code; 0 otherwise.
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_status(d: *const SipOauthDecision) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { field(d, 0, SipOauthDecision::status) }
}

/// The bytes to send (forward or reply), valid until the decision is freed; NULL when there
/// is nothing to send.
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_bytes(d: *const SipOauthDecision) -> *const u8 {
    // SAFETY: forwarded contract.
    unsafe {
        field(d, std::ptr::null(), |d| {
            let bytes = d.bytes();
            if bytes.is_empty() {
                std::ptr::null()
            } else {
                bytes.as_ptr()
            }
        })
    }
}

/// The length of [`sip_oauth_decision_bytes`].
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_len(d: *const SipOauthDecision) -> usize {
    // SAFETY: forwarded contract.
    unsafe { field(d, 0, |d| d.bytes().len()) }
}

/// A one-line reason for logs (never containing the token), valid until the decision is
/// freed; NULL only for a NULL decision.
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_reason(d: *const SipOauthDecision) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        field(d, std::ptr::null(), |d| {
            d.reason.get_or_init(|| ffi::c_string(&d.reason())).as_ptr()
        })
    }
}

/// Details as a JSON object, valid until the decision is freed: for a forward `impi`, `aor`
/// and `expires`; for a reply `rejected`, and `bearer_error` or `registered` (AOR,
/// Service-Route, P-Associated-URI and contacts to store after a 2xx to REGISTER); `{}`
/// otherwise. NULL only for a NULL decision.
///
/// # Safety
/// `d` is NULL or a live decision handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_detail_json(
    d: *const SipOauthDecision,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        field(d, std::ptr::null(), |d| {
            d.detail
                .get_or_init(|| ffi::c_string(&d.detail().to_string()))
                .as_ptr()
        })
    }
}

/// Frees a decision. NULL is a no-op.
///
/// # Safety
/// `d` is NULL or a decision handle not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sip_oauth_decision_free(d: *mut SipOauthDecision) {
    // SAFETY: forwarded contract.
    quiet((), || unsafe { ffi::free_handle(d) });
}
