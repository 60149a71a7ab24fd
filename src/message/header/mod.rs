//! Typed header values, parsed lazily and without allocation (RFC 3261 section 25
//! grammar, with RFC 3327 Path, RFC 3608 Service-Route, RFC 7315 P-headers, RFC 5626
//! outbound parameters, RFC 8898 / RFC 6750 Bearer credentials and the TS 24.229
//! `integrity-protected` parameter).
//!
//! Every parser takes a header **value** (the text after the colon, surrounding white
//! space and line folds allowed) and returns a borrowed view or a
//! [`ParseError`](crate::message::ParseError) whose offset is relative to that value.
//! Parameter sections are validated once and walked lazily afterwards. List headers
//! are split with [`split_list`]; the element types offer `parse_list` helpers.
//!
//! ```
//! use sip_oauth::message::header::{NameAddr, Via, Credentials};
//!
//! let via = Via::parse("SIP/2.0/WSS 8h2kqv9r1c4p.invalid;branch=z9hG4bK776;rport")?;
//! assert_eq!(via.rport(), Some(None));
//! let to = NameAddr::parse("\"Bob\" <sip:bob@ims.example>;tag=8c1f5e")?;
//! assert_eq!(to.tag(), Some("8c1f5e"));
//! let auth = Credentials::parse("Bearer eyJhbGciOi.eyJzdWIi.c2ln")?;
//! assert_eq!(auth.bearer_token(), Some("eyJhbGciOi.eyJzdWIi.c2ln"));
//! # Ok::<(), sip_oauth::message::ParseError>(())
//! ```

pub mod allow;
pub mod auth;
pub mod charging_vector;
pub mod contact;
pub mod content_type;
pub mod cseq;
pub mod host;
pub(crate) mod lex;
pub mod list;
pub mod name_addr;
pub mod numeric;
pub mod option_tags;
pub mod params;
pub mod uri;
pub mod via;
pub mod visited_network;

pub use allow::Allow;
pub use auth::{AuthScheme, Challenge, Credentials, IntegrityProtected, is_b64token};
pub use charging_vector::ChargingVector;
pub use contact::Contact;
pub use content_type::ContentType;
pub use cseq::{CSeq, MAX_CSEQ};
pub use host::{Host, parse_hostport};
pub use lex::is_token;
pub use list::{SplitList, TokenList, parse_list, split_list};
pub use name_addr::NameAddr;
pub use numeric::{
    parse_call_id, parse_content_length, parse_expires, parse_max_forwards, parse_u32,
};
pub use option_tags::OptionTags;
pub use params::{Param, ParamIter, Params, unquote};
pub use uri::{Scheme, Uri, percent_decode};
pub use via::{Via, ViaTransport};
pub use visited_network::VisitedNetwork;
