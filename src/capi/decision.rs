//! The decision handle: what the caller must do with one message, and its accessors.

use std::ffi::{CString, c_char, c_int};
use std::sync::OnceLock;

use serde_json::json;

use super::error::quiet;
use super::ffi;
use crate::edge::{CoreRequestDecision, RequestDecision, ResponseDecision};

/// What one entry point decided.
enum Either {
    Request(RequestDecision),
    Response(ResponseDecision),
    Core(CoreRequestDecision),
}

/// The opaque decision handle (`sip_oauth_decision` in C). Its strings and bytes live as
/// long as the handle. The reason and the JSON details are written on first request only,
/// so a caller that never reads them does not pay for them.
pub struct SipOauthDecision {
    decision: Either,
    reason: OnceLock<CString>,
    detail: OnceLock<CString>,
}

impl SipOauthDecision {
    fn with(decision: Either) -> SipOauthDecision {
        SipOauthDecision {
            decision,
            reason: OnceLock::new(),
            detail: OnceLock::new(),
        }
    }

    pub(crate) fn request(decision: RequestDecision) -> SipOauthDecision {
        Self::with(Either::Request(decision))
    }

    pub(crate) fn response(decision: ResponseDecision) -> SipOauthDecision {
        Self::with(Either::Response(decision))
    }

    pub(crate) fn core(decision: CoreRequestDecision) -> SipOauthDecision {
        Self::with(Either::Core(decision))
    }

    fn action(&self) -> c_int {
        match &self.decision {
            // The action says where the bytes go: to the core, or down a client flow.
            Either::Request(
                RequestDecision::Forward { .. } | RequestDecision::Originate { .. },
            )
            | Either::Response(ResponseDecision::ToCore { .. })
            | Either::Core(CoreRequestDecision::Reply { .. }) => super::SIP_OAUTH_ACTION_FORWARD,
            Either::Request(RequestDecision::Reply { .. })
            | Either::Response(ResponseDecision::Relay { .. })
            | Either::Core(CoreRequestDecision::Deliver { .. }) => super::SIP_OAUTH_ACTION_REPLY,
            // The C API's validators always answer at once; a pending verdict cannot
            // be completed through it, so nothing is sent.
            Either::Request(RequestDecision::Pending(_) | RequestDecision::Drop(_))
            | Either::Response(ResponseDecision::Drop(_))
            | Either::Core(CoreRequestDecision::Drop(_)) => super::SIP_OAUTH_ACTION_DROP,
        }
    }

    fn flow(&self) -> u64 {
        match &self.decision {
            Either::Request(RequestDecision::Reply { flow, .. })
            | Either::Response(ResponseDecision::Relay { flow, .. })
            | Either::Core(CoreRequestDecision::Deliver { flow, .. }) => flow.0,
            _ => 0,
        }
    }

    fn status(&self) -> c_int {
        match &self.decision {
            Either::Request(RequestDecision::Reply { rejection, .. }) => {
                c_int::from(rejection.status)
            }
            Either::Response(
                ResponseDecision::Relay { status, .. } | ResponseDecision::ToCore { status, .. },
            ) => c_int::from(*status),
            Either::Core(CoreRequestDecision::Reply { rejection, .. }) => {
                c_int::from(rejection.status)
            }
            _ => 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.decision {
            Either::Request(
                RequestDecision::Forward { bytes, .. }
                | RequestDecision::Reply { bytes, .. }
                | RequestDecision::Originate { bytes, .. },
            )
            | Either::Response(
                ResponseDecision::Relay { bytes, .. } | ResponseDecision::ToCore { bytes, .. },
            )
            | Either::Core(
                CoreRequestDecision::Deliver { bytes, .. }
                | CoreRequestDecision::Reply { bytes, .. },
            ) => bytes,
            _ => &[],
        }
    }

    fn reason(&self) -> String {
        match &self.decision {
            Either::Request(RequestDecision::Forward { .. }) => {
                "forward: token accepted, Annex U REGISTER built".to_owned()
            }
            Either::Request(RequestDecision::Reply { rejection, .. }) => rejection.to_string(),
            Either::Response(ResponseDecision::Relay { status, .. }) => {
                format!("relay: {status} from the core")
            }
            Either::Request(RequestDecision::Originate { asserted, .. }) => match asserted {
                Some(_) => "originate: registered client, identity asserted".to_owned(),
                None => "originate: in-dialog request of a registered client".to_owned(),
            },
            Either::Response(ResponseDecision::ToCore { status, .. }) => {
                format!("to core: {status} from the client")
            }
            Either::Core(CoreRequestDecision::Deliver { .. }) => {
                "deliver: request for a registered client's flow".to_owned()
            }
            Either::Core(CoreRequestDecision::Reply { rejection, .. }) => rejection.to_string(),
            Either::Request(RequestDecision::Pending(_)) => {
                "drop: the validator answers later, which the C API does not support".to_owned()
            }
            Either::Request(RequestDecision::Drop(reason))
            | Either::Response(ResponseDecision::Drop(reason))
            | Either::Core(CoreRequestDecision::Drop(reason)) => format!("drop: {reason}"),
        }
    }

    fn detail(&self) -> serde_json::Value {
        match &self.decision {
            Either::Request(RequestDecision::Forward { admitted, .. }) => json!({
                "impi": admitted.impi(),
                "aor": admitted.aor(),
                "expires": admitted.expires,
            }),
            Either::Request(RequestDecision::Reply { rejection, .. })
            | Either::Core(CoreRequestDecision::Reply { rejection, .. }) => json!({
                "rejected": true,
                "bearer_error": rejection.bearer_error.map(|e| e.as_str()),
            }),
            Either::Request(RequestDecision::Originate { asserted, .. }) => json!({
                "asserted": asserted,
            }),
            Either::Response(ResponseDecision::Relay { registered, .. }) => json!({
                "rejected": false,
                "registered": registered.as_ref().map(|r| json!({
                    "aor": r.aor(),
                    "service_route": r.service_route().collect::<Vec<_>>(),
                    "associated_uris": r.associated_uris().collect::<Vec<_>>(),
                    "contacts": r.contacts()
                        .map(|(uri, expires)| json!({"uri": uri, "expires": expires}))
                        .collect::<Vec<_>>(),
                })),
            }),
            _ => json!({}),
        }
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
