//! Finding the client's bearer token in a REGISTER (RFC 8898 section 2, RFC 6750
//! section 2.1), wherever the deployment puts it.
//!
//! *Where* is a [`TokenLocation`] strategy; [`extract`] returns the token, checked
//! against the `b64token` grammar, and the exact [`Place`] it was found so the edge
//! can remove it before forwarding. Absent, malformed and ambiguous (two different
//! tokens) are distinct errors, because RFC 6750 answers them differently.
mod bearer;
mod copies;
mod extract;
mod location;

pub use bearer::{BearerToken, is_b64token};
pub use copies::copies;
pub use extract::{ExtractError, Found, Place, extract};
pub use location::{CredentialsHeader, TokenLocation};
