//! Which crypto library checks signatures.
//!
//! `jsonwebtoken` 11 delegates signature checks to a `CryptoProvider`, chosen once per process
//! from its own Cargo features. When a host application ends up with both of its backends
//! enabled (Cargo unifies features across the dependency graph), that automatic choice is
//! impossible and the first `jsonwebtoken::decode` panics unless the host installed a provider.
//! This library never goes through the process default: each validator holds the provider it
//! was built with and calls its verifier factory directly, so no feature combination can make
//! validation panic. HMAC (RFC 7518 section 3.2) does not use the provider at all: its keyed
//! state is prepared once at construction with the `hmac` crate.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!("enable at least one crypto backend feature: `aws-lc-rs` or `rust-crypto`");

/// A crypto backend for RSA, ECDSA and EdDSA signature checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CryptoBackend {
    /// aws-lc (C, via `aws-lc-rs`): the fast one, and the default when its feature is on.
    #[cfg(feature = "aws-lc-rs")]
    #[default]
    AwsLc,
    /// RustCrypto (pure Rust).
    #[cfg(feature = "rust-crypto")]
    #[cfg_attr(not(feature = "aws-lc-rs"), default)]
    RustCrypto,
}

impl CryptoBackend {
    /// The backends compiled into this build, the default first.
    pub fn available() -> &'static [CryptoBackend] {
        &[
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc,
            #[cfg(feature = "rust-crypto")]
            Self::RustCrypto,
        ]
    }

    /// The `jsonwebtoken` provider of this backend.
    pub fn provider(self) -> &'static CryptoProvider {
        match self {
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc => &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            #[cfg(feature = "rust-crypto")]
            Self::RustCrypto => &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        }
    }

    /// Installs this backend as the process-wide `jsonwebtoken` provider, for host code that
    /// calls `jsonwebtoken` itself. Validators of this library do not need it. Returns `false`
    /// when a provider was already installed (the earlier one stays).
    pub fn install_as_process_default(self) -> bool {
        self.provider().install_default().is_ok()
    }
}
