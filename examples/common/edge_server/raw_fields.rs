//! Header fields read straight from a message's bytes, line by line: for the server's
//! bookkeeping and log lines, which run for every message and want one or two fields
//! of a message the edge has already checked, where a second parse would cost more
//! than it tells. Folded values and repeated fields are not looked for.

/// The header lines of `bytes`, without their line ends: from the line after the start
/// line to the first empty line.
pub(super) fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
    std::iter::from_fn(move || {
        let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        at += len + 1;
        let line = &rest[..len];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        (!line.is_empty()).then_some(line)
    })
}

/// A header line's name and value, both trimmed; `None` without a colon.
pub(super) fn name_value(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', line)?;
    Some((line[..colon].trim_ascii(), line[colon + 1..].trim_ascii()))
}

/// A CSeq value's sequence number and method (RFC 3261 20.16: `1 INVITE`).
pub(super) fn cseq_parts(value: &[u8]) -> Option<(u32, &[u8])> {
    let mut parts = value
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty());
    let seq = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    Some((seq, parts.next()?))
}
