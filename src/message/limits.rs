//! Resource limits applied while parsing, so that no input makes the parser do
//! unbounded work or hold unbounded memory.

/// Limits on what the parser accepts. The defaults suit an edge proxy facing the
/// internet; raise them for trusted peers that send larger messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message (start line, headers and body) in bytes.
    pub max_message_bytes: usize,
    /// Most header fields in one message.
    pub max_headers: usize,
    /// Longest start line or header field (folded lines included) in bytes.
    pub max_line_bytes: usize,
}

impl Limits {
    /// 64 KiB per message, 256 header fields, 8 KiB per line.
    pub const DEFAULT: Limits = Limits {
        max_message_bytes: 64 * 1024,
        max_headers: 256,
        max_line_bytes: 8 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
