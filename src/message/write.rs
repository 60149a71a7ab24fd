//! The check of a written Request-URI. Header names and values are checked by the
//! types of [`super::value`] when they are made.

use super::error::WriteError;

/// Checks that `uri` can be written as a Request-URI: no whitespace or control bytes.
pub fn check_request_uri(uri: &str) -> Result<(), WriteError> {
    if let Some(offset) = uri.bytes().position(|b| b <= b' ' || b == 0x7f) {
        return Err(WriteError::ForbiddenByte {
            what: "Request-URI",
            byte: uri.as_bytes()[offset],
            offset,
        });
    }
    if !uri.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) || !uri.contains(':') {
        return Err(WriteError::Invalid {
            what: "Request-URI",
            expected: "absolute URI",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uris() {
        assert!(check_request_uri("sip:a@b").is_ok());
        assert!(check_request_uri("sip:a@b SIP/2.0").is_err());
        assert!(check_request_uri("<sip:a@b>").is_err());
    }
}
