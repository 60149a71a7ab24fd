//! The session descriptions the example client offers and answers with (RFC 4566,
//! offer/answer as in RFC 3264). The examples signal calls only: no media is sent, so
//! the bodies are fixed text shaped like a WebRTC audio offer (RFC 8829 5.2).

use super::wic_client::random_id;

/// The Content-Type of an SDP body.
pub const CONTENT_TYPE: &str = "application/sdp";

/// An audio offer (or answer) from `user`, session id `session`.
pub fn audio(user: &str, session: u64) -> String {
    format!(
        "v=0\r\n\
         o={user} {session} 1 IN IP4 127.0.0.1\r\n\
         s=-\r\n\
         c=IN IP4 127.0.0.1\r\n\
         t=0 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=setup:actpass\r\n\
         a=rtcp-mux\r\n\
         a=sendrecv\r\n"
    )
}

/// A fresh session id for the `o=` line (RFC 4566 5.2; not for secrets).
pub fn session_id() -> u64 {
    random_id(12)
        .bytes()
        .fold(0u64, |a, c| a.wrapping_mul(37).wrapping_add(u64::from(c)))
}
