//! Where the Annex U header is written: the `Authorization` the edge, as the trusted
//! node of TS 33.203 Annex U (and TS 24.229 5.2.2.1 for the P-CSCF), puts on the
//! REGISTER it forwards, naming the IMPI the token proved and telling the S-CSCF that
//! authentication is done (`integrity-protected="auth-done"`).

use crate::identity::Impi;
use crate::message::WriteError;
use crate::message::header::{is_token, push_escaped_str};

/// The Annex U `Authorization` value: `Digest username="<IMPI>", realm="<realm>",
/// uri="sip:<home domain>", nonce="", response="", integrity-protected="auth-done"`,
/// with an optional extra auth-param (`name="value"`) appended.
///
/// Every value is written as a quoted-string; CR, LF and NUL are refused even though
/// the identity types already exclude them.
///
/// ```
/// use sip_oauth::edge::annex_u_authorization;
/// use sip_oauth::identity::Impi;
///
/// let impi = Impi::try_from("bob@home.example")?;
/// let v = annex_u_authorization(&impi, "home.example", "home.example", None)?;
/// assert_eq!(v, "Digest username=\"bob@home.example\", realm=\"home.example\", \
///     uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn annex_u_authorization(
    impi: &Impi,
    realm: &str,
    home_domain: &str,
    extra: Option<(&str, &str)>,
) -> Result<String, WriteError> {
    // The fixed text is under 128 bytes: sized once, the value is never reallocated
    // unless a part needs escapes.
    let extra_len = extra.map_or(0, |(n, v)| n.len() + v.len() + 6);
    let mut out = String::with_capacity(
        128 + impi.as_str().len() + realm.len() + home_domain.len() + extra_len,
    );
    out.push_str("Digest username=\"");
    push_escaped_str(&mut out, "username", impi.as_str())?;
    out.push_str("\", realm=\"");
    push_escaped_str(&mut out, "realm", realm)?;
    // The domain is checked on configuration; quoting it with the prefix keeps one string.
    out.push_str("\", uri=\"sip:");
    push_escaped_str(&mut out, "uri", home_domain)?;
    out.push_str("\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
    if let Some((name, value)) = extra {
        if !is_token(name) {
            return Err(WriteError::Invalid {
                what: "auth-param name",
                expected: "token",
            });
        }
        out.push_str(", ");
        out.push_str(name);
        out.push_str("=\"");
        push_escaped_str(&mut out, "auth-param", value)?;
        out.push('"');
    }
    Ok(out)
}
