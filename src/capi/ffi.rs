//! The raw-pointer helpers of the C ABI: the only place that dereferences what C passes in
//! or turns handles into pointers and back. Each function states the contract its caller
//! (ultimately the C code, as documented in `include/sip_oauth.h`) must keep.

use std::ffi::{CStr, CString, c_char};

use super::error::CapiError;

/// Reads a required NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid and unmodified for `'a`.
pub(crate) unsafe fn str_arg<'a>(
    p: *const c_char,
    what: &'static str,
) -> Result<&'a str, CapiError> {
    // SAFETY: forwarded contract.
    unsafe { opt_str_arg(p, what) }?.ok_or(CapiError::Null(what))
}

/// Reads an optional NUL-terminated UTF-8 string (NULL gives `None`).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const c_char,
    what: &'static str,
) -> Result<Option<&'a str>, CapiError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| CapiError::Utf8(what))
}

/// Reads a byte buffer; NULL is accepted only with a zero length.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that stay valid and unmodified for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    p: *const u8,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], CapiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(CapiError::Null(what));
    }
    // `slice::from_raw_parts` requires the length to fit an isize.
    if isize::try_from(len).is_err() {
        return Err(CapiError::Argument {
            what,
            why: "length exceeds the address space",
        });
    }
    // SAFETY: non-NULL, `len` readable bytes by contract, length checked above.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Writes `value` through `out` unless `out` is NULL.
///
/// # Safety
/// `out` is NULL or valid and aligned for one write of `T`.
pub(crate) unsafe fn write_opt<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-NULL, valid by contract; `write` does not drop the old (uninitialised)
        // content.
        unsafe { out.write(value) };
    }
}

/// Moves `value` to the heap and hands it out as an opaque pointer.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Borrows a handle (NULL gives `None`).
///
/// # Safety
/// `p` is NULL or came from [`into_handle`] for this `T` and is not freed during `'a`.
pub(crate) unsafe fn handle_ref<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: forwarded contract.
    unsafe { p.as_ref() }
}

/// Drops a handle (NULL is a no-op).
///
/// # Safety
/// `p` is NULL or came from [`into_handle`] for this `T`, and is freed only once.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: forwarded contract: the box is ours and still live.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A NUL-terminated copy of `text` for C, freed with [`free_string`]. Interior NULs, which
/// no message of this library contains, are replaced so the text is never cut short.
pub(crate) fn new_string(text: &str) -> *mut c_char {
    c_string(text).into_raw()
}

/// `text` as a `CString`, with interior NULs replaced.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

/// Frees a string made by [`new_string`] (NULL is a no-op).
///
/// # Safety
/// `p` is NULL or came from [`new_string`] and is freed only once.
pub(crate) unsafe fn free_string(p: *mut c_char) {
    if !p.is_null() {
        // SAFETY: forwarded contract.
        drop(unsafe { CString::from_raw(p) });
    }
}
