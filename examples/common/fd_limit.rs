//! The open-files limit: one connection is one file descriptor, and the default soft
//! limit (often 1024) would cap an edge far below the users it can hold in memory. The
//! soft limit is raised to the hard limit at start, which needs no privilege.

/// Descriptors kept for what is not a client connection: listeners, the core link,
/// the standard streams, files being read, the runtime's own.
pub const RESERVED: u64 = 64;

/// The soft limit on open files before and after raising it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    /// The soft limit found at start.
    pub was: u64,
    /// The soft limit now (the hard limit, unless the system caps it lower).
    pub now: u64,
}

impl Raised {
    /// How many client connections fit under the limit.
    pub fn connections(&self) -> u64 {
        self.now.saturating_sub(RESERVED)
    }
}

/// Raises the soft open-files limit to the hard limit.
pub fn raise() -> std::io::Result<Raised> {
    let (was, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let now = rlimit::increase_nofile_limit(u64::MAX)?;
    Ok(Raised { was, now })
}
