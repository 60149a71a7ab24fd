//! Where the Annex U header is written: the `Authorization` the edge, as the trusted
//! node of TS 33.203 Annex U (and TS 24.229 5.2.2.1 for the P-CSCF), puts on the
//! REGISTER it forwards, naming the IMPI the token proved and telling the S-CSCF that
//! authentication is done (`integrity-protected="auth-done"`).

use crate::identity::Impi;
use crate::message::{HeaderValue, HostPort, QuotedText, Token, ValueBuilder};

/// The Annex U `Authorization` value: `Digest username="<IMPI>", realm="<realm>",
/// uri="sip:<home domain>", nonce="", response="", integrity-protected="auth-done"`,
/// with an optional extra auth-param (`name="value"`) appended.
///
/// Every part is a checked type, so the value needs no check of its own.
///
/// ```
/// use sip_oauth::edge::annex_u_authorization;
/// use sip_oauth::identity::Impi;
/// use sip_oauth::message::{HostPort, QuotedText};
///
/// let impi = Impi::try_from("bob@home.example")?;
/// let realm = QuotedText::try_from("home.example")?;
/// let home = HostPort::try_from("home.example")?;
/// let v = annex_u_authorization(&impi, &realm, &home, None);
/// assert_eq!(v.as_str(), "Digest username=\"bob@home.example\", realm=\"home.example\", \
///     uri=\"sip:home.example\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn annex_u_authorization(
    impi: &Impi,
    realm: &QuotedText,
    home_domain: &HostPort,
    extra: Option<(&Token, &QuotedText)>,
) -> HeaderValue {
    // The fixed text is under 128 bytes: sized once, the value is never reallocated
    // unless a part needs escapes.
    let extra_len = extra.map_or(0, |(n, v)| n.as_str().len() + v.as_str().len() + 6);
    let mut out = ValueBuilder::with_capacity(
        128 + impi.as_str().len() + realm.as_str().len() + home_domain.as_str().len() + extra_len,
    );
    push_annex_u(&mut out, impi, realm, home_domain, extra);
    out.finish()
}

/// Appends the value of [`annex_u_authorization`].
pub(crate) fn push_annex_u(
    out: &mut ValueBuilder,
    impi: &Impi,
    realm: &QuotedText,
    home_domain: &HostPort,
    extra: Option<(&Token, &QuotedText)>,
) {
    const USERNAME: HeaderValue = HeaderValue::from_static("Digest username=");
    const REALM: HeaderValue = HeaderValue::from_static(", realm=");
    const URI: HeaderValue = HeaderValue::from_static(", uri=\"sip:");
    const REST: HeaderValue = HeaderValue::from_static(
        "\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\"",
    );
    const COMMA: HeaderValue = HeaderValue::from_static(", ");
    const EQUALS: HeaderValue = HeaderValue::from_static("=");
    out.push(&USERNAME).push_quoted(impi.as_quoted());
    out.push(&REALM).push_quoted(realm);
    // A host holds no quote or backslash: it is written inside the quotes as it stands.
    out.push(&URI).push(home_domain).push(&REST);
    if let Some((name, value)) = extra {
        out.push(&COMMA).push(name).push(&EQUALS).push_quoted(value);
    }
}
