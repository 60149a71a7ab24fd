//! sip-oauth: admit WebRTC clients that log in with web credentials (OAuth 2.0) into an
//! IMS core, as the trusted edge proxy of 3GPP TS 33.203 Annex U.
// `unsafe` is forbidden, except in the C ABI (feature `capi`): exporting unmangled
// functions and reading raw pointers from C cannot be done without it. With that feature
// `unsafe` stays denied everywhere but in the `capi` module, which allows it explicitly.
#![cfg_attr(not(feature = "capi"), forbid(unsafe_code))]
#![cfg_attr(feature = "capi", deny(unsafe_code))]
#![warn(missing_docs)]

#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod capi;
pub mod edge;
pub mod identity;
pub mod message;
pub mod token;
pub mod validate;
