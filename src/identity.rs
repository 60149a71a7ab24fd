//! Validated identities.
