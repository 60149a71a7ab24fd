//! Typed header values, parsed lazily.
