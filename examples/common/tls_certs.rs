//! Certificates for the examples and tests: a self-signed one made at start (`rcgen`)
//! for the edge to present on its TLS and WSS listeners, and the client configuration
//! that trusts exactly that certificate, so `wss://127.0.0.1` works with no CA at all.

use std::sync::Arc;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::edge_server::tls_provider;

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct SelfSigned {
    /// The certificate (`CERTIFICATE`).
    pub cert_pem: String,
    /// Its private key (`PRIVATE KEY`, PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("SelfSigned").finish_non_exhaustive()
    }
}

impl SelfSigned {
    /// A new self-signed certificate (ECDSA P-256) for `names`: IP addresses become IP
    /// subject alternative names, anything else DNS names.
    pub fn new(names: &[&str]) -> Result<SelfSigned, String> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let made = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
        Ok(SelfSigned {
            cert_pem: made.cert.pem(),
            key_pem: made.signing_key.serialize_pem(),
        })
    }

    /// One for `127.0.0.1` and `localhost`, the lab's addresses.
    pub fn loopback() -> Result<SelfSigned, String> {
        SelfSigned::new(&["127.0.0.1", "localhost"])
    }

    /// Writes `cert.pem` and `key.pem` into `dir`; returns their paths.
    pub fn write_to(
        &self,
        dir: &std::path::Path,
    ) -> std::io::Result<(std::path::PathBuf, std::path::PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((cert, key))
    }
}

/// A client configuration (aws-lc-rs provider) trusting the certificates of `pem` as
/// roots, and nothing else.
pub fn trusting(pem: &[u8]) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("trusted certificate: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("trusted certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err("no CERTIFICATE to trust".into());
    }
    let config = ClientConfig::builder_with_provider(tls_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
