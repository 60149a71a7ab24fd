//! Header field names: case-insensitive, with every compact form (RFC 3261 7.3.3 and
//! the IANA registry of compact forms).

use std::fmt;

/// The ASCII lower-case form of `s` as an array, computed at compile time.
const fn lower_const<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i].to_ascii_lowercase();
        i += 1;
    }
    out
}

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $canonical:literal $(, $compact:literal)? ;)*) => {
        /// A header field name. Known names are variants; the rest is [`HeaderName::Other`]
        /// (its text is in the message, at the field's name span).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HeaderName {
            $( $(#[$doc])* $variant, )*
            /// Any other (extension or unknown) header; kept verbatim.
            Other,
        }

        impl HeaderName {
            /// The canonical (long-form, conventional case) spelling, or `None` for `Other`.
            pub const fn canonical(self) -> Option<&'static str> {
                match self {
                    $( HeaderName::$variant => Some($canonical), )*
                    HeaderName::Other => None,
                }
            }

            /// The compact form (RFC 3261 7.3.3), where the name has one.
            pub const fn compact(self) -> Option<char> {
                match self {
                    $( $( HeaderName::$variant => Some($compact), )? )*
                    _ => None,
                }
            }

            /// Classifies a name as received, ignoring case and accepting compact forms.
            pub fn from_bytes(name: &[u8]) -> HeaderName {
                if name.len() == 1 {
                    let c = name[0].to_ascii_lowercase() as char;
                    $( $( if c == $compact { return HeaderName::$variant; } )? )*
                    return HeaderName::Other;
                }
                // Lower-case once into a stack buffer: each candidate is then a length
                // check and a plain comparison, not a case-folding one.
                let mut buf = [0u8; 24];
                let Some(dst) = buf.get_mut(..name.len()) else {
                    return HeaderName::Other;
                };
                for (d, s) in dst.iter_mut().zip(name) {
                    *d = s.to_ascii_lowercase();
                }
                lookup_lower(dst)
            }
        }

        /// Classifies an already lower-cased long name.
        fn lookup_lower(lower: &[u8]) -> HeaderName {
            $( if lower == const { lower_const::<{ $canonical.len() }>($canonical) }.as_slice() { return HeaderName::$variant; } )*
            HeaderName::Other
        }
    };
}

header_names! {
    /// `Via` (`v`).
    Via => "Via", 'v';
    /// `From` (`f`).
    From => "From", 'f';
    /// `To` (`t`).
    To => "To", 't';
    /// `Call-ID` (`i`).
    CallId => "Call-ID", 'i';
    /// `CSeq`.
    CSeq => "CSeq";
    /// `Contact` (`m`).
    Contact => "Contact", 'm';
    /// `Max-Forwards`.
    MaxForwards => "Max-Forwards";
    /// `Expires`.
    Expires => "Expires";
    /// `Content-Length` (`l`).
    ContentLength => "Content-Length", 'l';
    /// `Content-Type` (`c`).
    ContentType => "Content-Type", 'c';
    /// `Content-Encoding` (`e`).
    ContentEncoding => "Content-Encoding", 'e';
    /// `Subject` (`s`).
    Subject => "Subject", 's';
    /// `Supported` (`k`).
    Supported => "Supported", 'k';
    /// `Require`.
    Require => "Require";
    /// `Proxy-Require`.
    ProxyRequire => "Proxy-Require";
    /// `Unsupported`.
    Unsupported => "Unsupported";
    /// `Allow`.
    Allow => "Allow";
    /// `Route`.
    Route => "Route";
    /// `Record-Route`.
    RecordRoute => "Record-Route";
    /// `Path` (RFC 3327).
    Path => "Path";
    /// `Service-Route` (RFC 3608).
    ServiceRoute => "Service-Route";
    /// `Authorization`.
    Authorization => "Authorization";
    /// `Proxy-Authorization`.
    ProxyAuthorization => "Proxy-Authorization";
    /// `WWW-Authenticate`.
    WwwAuthenticate => "WWW-Authenticate";
    /// `Proxy-Authenticate`.
    ProxyAuthenticate => "Proxy-Authenticate";
    /// `P-Associated-URI` (RFC 7315).
    PAssociatedUri => "P-Associated-URI";
    /// `P-Asserted-Identity` (RFC 3325).
    PAssertedIdentity => "P-Asserted-Identity";
    /// `P-Preferred-Identity` (RFC 3325).
    PPreferredIdentity => "P-Preferred-Identity";
    /// `P-Visited-Network-ID` (RFC 7315).
    PVisitedNetworkId => "P-Visited-Network-ID";
    /// `P-Charging-Vector` (RFC 7315).
    PChargingVector => "P-Charging-Vector";
    /// `User-Agent`.
    UserAgent => "User-Agent";
    /// `Server`.
    Server => "Server";
    /// `Accept-Contact` (`a`, RFC 3841).
    AcceptContact => "Accept-Contact", 'a';
    /// `Referred-By` (`b`, RFC 3892).
    ReferredBy => "Referred-By", 'b';
    /// `Request-Disposition` (`d`, RFC 3841).
    RequestDisposition => "Request-Disposition", 'd';
    /// `Reject-Contact` (`j`, RFC 3841).
    RejectContact => "Reject-Contact", 'j';
    /// `Identity-Info` (`n`, RFC 4474).
    IdentityInfo => "Identity-Info", 'n';
    /// `Event` (`o`, RFC 6665).
    Event => "Event", 'o';
    /// `Refer-To` (`r`, RFC 3515).
    ReferTo => "Refer-To", 'r';
    /// `Allow-Events` (`u`, RFC 6665).
    AllowEvents => "Allow-Events", 'u';
    /// `Session-Expires` (`x`, RFC 4028).
    SessionExpires => "Session-Expires", 'x';
    /// `Identity` (`y`, RFC 8224).
    Identity => "Identity", 'y';
}

impl HeaderName {
    /// Whether this name matches `name` as received (case-insensitive, compact forms
    /// included). For [`HeaderName::Other`] compare the text instead.
    pub fn matches(self, name: &[u8]) -> bool {
        self != HeaderName::Other && HeaderName::from_bytes(name) == self
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical().unwrap_or("(extension header)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_long_forms_agree() {
        for (short, long) in [
            ("v", "VIA"),
            ("f", "from"),
            ("t", "To"),
            ("i", "call-id"),
            ("m", "CONTACT"),
            ("l", "content-length"),
            ("c", "Content-Type"),
            ("k", "supported"),
            ("e", "content-encoding"),
            ("s", "subject"),
        ] {
            assert_eq!(
                HeaderName::from_bytes(short.as_bytes()),
                HeaderName::from_bytes(long.as_bytes()),
                "{short} vs {long}"
            );
            assert_ne!(HeaderName::from_bytes(short.as_bytes()), HeaderName::Other);
        }
    }

    #[test]
    fn unknown_names_are_other() {
        assert_eq!(HeaderName::from_bytes(b"X-Custom"), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(b"q"), HeaderName::Other);
        assert_eq!(HeaderName::from_bytes(b""), HeaderName::Other);
        assert!(HeaderName::Path.matches(b"path"));
        assert!(!HeaderName::Other.matches(b"x"));
    }

    #[test]
    fn canonical_round_trips() {
        for name in [
            HeaderName::PAssociatedUri,
            HeaderName::WwwAuthenticate,
            HeaderName::CSeq,
        ] {
            let text = name.canonical().unwrap_or_default();
            assert_eq!(HeaderName::from_bytes(text.as_bytes()), name);
        }
    }
}
