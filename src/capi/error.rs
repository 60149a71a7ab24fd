//! Failures of C ABI calls, each mapped to one of the `SIP_OAUTH_ERR_*` codes, and the guard
//! every entry point runs its body in.

use std::ffi::{c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::ffi;
use crate::spec::{SpecError, SpecErrorKind};

/// Why a C ABI call failed. The text (from `Display`) is what `out_error` receives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapiError {
    /// A required pointer argument was NULL.
    #[error("{0} is NULL")]
    Null(&'static str),
    /// A string argument is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    Utf8(&'static str),
    /// A JSON argument does not parse, or has unknown or mistyped fields.
    #[error("{what}: {why}")]
    Json {
        /// Which argument.
        what: &'static str,
        /// The parser's message (line and column, never secret values).
        why: String,
    },
    /// A configuration value is refused.
    #[error("{0}")]
    Config(String),
    /// The verification keys are unusable.
    #[error("keys: {0}")]
    Keys(String),
    /// Another argument is out of range.
    #[error("{what}: {why}")]
    Argument {
        /// Which argument.
        what: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The library panicked.
    #[error("internal error (panic) in {0}")]
    Panic(&'static str),
}

impl CapiError {
    /// The `SIP_OAUTH_ERR_*` code.
    pub fn code(&self) -> c_int {
        match self {
            Self::Null(_) => super::SIP_OAUTH_ERR_NULL,
            Self::Utf8(_) => super::SIP_OAUTH_ERR_UTF8,
            Self::Json { .. } => super::SIP_OAUTH_ERR_JSON,
            Self::Config(_) => super::SIP_OAUTH_ERR_CONFIG,
            Self::Keys(_) => super::SIP_OAUTH_ERR_KEYS,
            Self::Argument { .. } => super::SIP_OAUTH_ERR_ARGUMENT,
            Self::Panic(_) => super::SIP_OAUTH_ERR_PANIC,
        }
    }

    /// Maps a specification error of the document `what` onto the C API's codes.
    pub(crate) fn spec(what: &'static str) -> impl Fn(SpecError) -> CapiError {
        move |e| match e.kind {
            SpecErrorKind::Document => CapiError::Json {
                what,
                why: e.to_string(),
            },
            SpecErrorKind::Keys => CapiError::Keys(e.to_string()),
            _ => CapiError::Config(e.to_string()),
        }
    }
}

/// Runs `body` so that no panic unwinds into C; returns `SIP_OAUTH_OK` or the error's code,
/// and hands the error text to the caller through `out_error` when that is not NULL.
///
/// # Safety
/// `out_error` is NULL or valid for one pointer write.
pub(crate) unsafe fn guard(
    entry: &'static str,
    out_error: *mut *mut c_char,
    body: impl FnOnce() -> Result<(), CapiError>,
) -> c_int {
    // SAFETY: forwarded contract; cleared first so the caller never sees a stale pointer.
    unsafe { ffi::write_opt(out_error, std::ptr::null_mut()) };
    // The body only touches its own locals and the Sync edge, whose state stays consistent
    // if it stops half-way (key swaps are atomic), so observing it after a panic is sound.
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(CapiError::Panic(entry)));
    match result {
        Ok(()) => super::SIP_OAUTH_OK,
        Err(e) => {
            if !out_error.is_null() {
                // SAFETY: as above. Allocated only when the caller takes ownership of it.
                unsafe { ffi::write_opt(out_error, ffi::new_string(&e.to_string())) };
            }
            e.code()
        }
    }
}

/// Runs an accessor or destructor so that no panic unwinds into C, with `fallback` as its
/// value if one happens.
pub(crate) fn quiet<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_code_and_message() {
        let mut message: *mut c_char = std::ptr::null_mut();
        // SAFETY: `message` is a valid out-pointer.
        let rc = unsafe { guard("test_entry", &mut message, || panic!("boom")) };
        assert_eq!(rc, crate::capi::SIP_OAUTH_ERR_PANIC);
        assert!(!message.is_null());
        // SAFETY: the guard handed out a string made by `new_string`.
        let text = unsafe { std::ffi::CString::from_raw(message) };
        assert_eq!(text.to_str(), Ok("internal error (panic) in test_entry"));
        assert_eq!(quiet(0, || -> i32 { panic!("boom") }), 0);
    }

    #[test]
    fn success_clears_the_error_pointer() {
        let mut message: *mut c_char = std::ptr::NonNull::dangling().as_ptr();
        // SAFETY: `message` is a valid out-pointer; the stale value is never read.
        let rc = unsafe { guard("test_entry", &mut message, || Ok(())) };
        assert_eq!(rc, crate::capi::SIP_OAUTH_OK);
        assert!(message.is_null());
    }
}
