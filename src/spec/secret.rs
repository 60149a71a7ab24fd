//! [`Secret`]: secret bytes written as hex, base64 or text, or read from a file.

use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use base64::alphabet::{STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;

/// Secret bytes (a flow key or an HMAC secret): `{"hex": "0011..."}`, `{"base64": "..."}`
/// (standard or URL-safe alphabet, padded or not), `{"text": "..."}` (the UTF-8 bytes) or
/// `{"file": "/path"}` (the file's bytes, without a trailing newline).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Secret {
    /// Hexadecimal digits, two per byte, either case.
    Hex(String),
    /// Base64, standard (`+/`) or URL-safe (`-_`) alphabet, with or without padding.
    Base64(String),
    /// The text's UTF-8 bytes.
    Text(String),
    /// The bytes of a file; a trailing `\n` or `\r\n` (as `echo` writes) is not part of it.
    File(PathBuf),
}

// Secrets must not reach logs through a `{:?}` of a specification.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Hex(_) => f.write_str("Hex([redacted])"),
            Secret::Base64(_) => f.write_str("Base64([redacted])"),
            Secret::Text(_) => f.write_str("Text([redacted])"),
            Secret::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

const INDIFFERENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);

impl Secret {
    /// The secret bytes. The error never quotes the secret.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        match self {
            Secret::Hex(h) => hex(h).ok_or_else(|| "bad hex (two digits per byte)".to_owned()),
            Secret::Base64(b) => GeneralPurpose::new(&URL_SAFE, INDIFFERENT)
                .decode(b)
                .or_else(|_| GeneralPurpose::new(&STANDARD, INDIFFERENT).decode(b))
                .map_err(|_| "bad base64".to_owned()),
            Secret::Text(t) => Ok(t.as_bytes().to_vec()),
            Secret::File(path) => {
                let mut bytes = super::read_file(path)?;
                while bytes.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                    bytes.pop();
                }
                Ok(bytes)
            }
        }
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_both_cases_and_refuses_junk() {
        assert_eq!(hex("00ffAB"), Some(vec![0, 255, 171]));
        assert_eq!(hex("0"), None);
        assert_eq!(hex("zz"), None);
        assert_eq!(hex("é1"), None);
    }

    #[test]
    fn base64_accepts_both_alphabets_with_or_without_padding() {
        let std = Secret::Base64("+/8=".to_owned()).bytes().unwrap();
        assert_eq!(std, vec![0xfb, 0xff]);
        assert_eq!(Secret::Base64("-_8".to_owned()).bytes().unwrap(), std);
        assert_eq!(Secret::Base64("+/8".to_owned()).bytes().unwrap(), std);
        assert!(Secret::Base64("*".to_owned()).bytes().is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", Secret::Text("hunter2".to_owned()));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
