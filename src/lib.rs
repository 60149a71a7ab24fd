//! sip-oauth: admit WebRTC clients that log in with web credentials (OAuth 2.0) into an
//! IMS core, as the trusted edge proxy of 3GPP TS 33.203 Annex U.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod edge;
pub mod identity;
pub mod message;
pub mod token;
pub mod validate;
