//! The certificate the TLS and WSS listeners present: a chain and its private key from
//! PEM, turned into a rustls [`ServerConfig`] on the aws-lc-rs provider, and swapped in
//! place when the files change. SIP over TLS is RFC 3261 26.2 (and RFC 5630 for what
//! `sips:` means); SIP over secure WebSocket is RFC 7118 section 5 over RFC 6455 `wss`.
//!
//! Reloading never interrupts anything: each new handshake takes the configuration in
//! force at its start (an `Arc` read from an [`ArcSwap`]), connections already up keep
//! the one they were made with. A reload that fails (a file missing, half written or
//! not matching its key) keeps the last good certificate and says why in the log.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use super::super::log;

/// How often the certificate files are looked at for a change, unless told otherwise.
pub const POLL_EVERY: Duration = Duration::from_secs(3);
/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The crypto provider every TLS configuration of the examples uses: aws-lc-rs, the
/// library the JWT checks already link, so no second one is built.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The PEM files of the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (`CERTIFICATE` blocks).
    pub cert: PathBuf,
    /// The private key of the leaf (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    pub key: PathBuf,
}

/// Why a certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: io::Error,
    },
    /// The chain file holds no `CERTIFICATE` block.
    #[error("{0}: no CERTIFICATE in it")]
    NoCertificate(String),
    /// The key file holds no private key block.
    #[error("{0}: no PRIVATE KEY in it")]
    NoKey(String),
    /// A PEM block could not be decoded.
    #[error("{what}: {why}")]
    Pem {
        /// The file (or `inline`).
        what: String,
        /// The decoder's message.
        why: String,
    },
    /// rustls refused the chain or the key (for instance a key that is not the leaf's).
    #[error("certificate refused: {0}")]
    Refused(#[from] rustls::Error),
}

/// The server's certificate, shared by the TLS and WSS listeners and reloaded in place.
///
/// Cloning shares it: a reload through one clone is seen by all.
#[derive(Clone)]
pub struct ServerTls {
    current: Arc<ArcSwap<ServerConfig>>,
    /// Where it was read from, with what the files looked like then; `None` for a
    /// certificate given in memory, which is never reloaded.
    source: Option<Arc<Watched>>,
    poll: Duration,
}

/// The files behind a [`ServerTls`] and their stamps when last loaded.
struct Watched {
    files: TlsFiles,
    loaded: Mutex<Option<Stamp>>,
}

/// What tells one version of the files from the next: modification time and length of
/// each (a rename over the file or a rewrite both change them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp([(Option<SystemTime>, u64); 2]);

impl Stamp {
    fn of(files: &TlsFiles) -> Stamp {
        let one =
            |p: &Path| std::fs::metadata(p).map_or((None, 0), |m| (m.modified().ok(), m.len()));
        Stamp([one(&files.cert), one(&files.key)])
    }
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.source.as_ref().map(|w| &w.files))
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A certificate given as PEM text (chain, then key); it is never reloaded.
    pub fn from_pem(chain: &[u8], key: &[u8]) -> Result<ServerTls, TlsError> {
        let config = server_config(chain, key, "inline", "inline")?;
        Ok(ServerTls {
            current: Arc::new(ArcSwap::from_pointee(config)),
            source: None,
            poll: POLL_EVERY,
        })
    }

    /// The certificate of `files`, reloaded by [`ServerTls::reload`] and, once the server
    /// runs, on SIGHUP and when the files change.
    pub fn from_files(files: TlsFiles) -> Result<ServerTls, TlsError> {
        let stamp = Stamp::of(&files);
        let config = read_files(&files)?;
        Ok(ServerTls {
            current: Arc::new(ArcSwap::from_pointee(config)),
            source: Some(Arc::new(Watched {
                files,
                loaded: Mutex::new(Some(stamp)),
            })),
            poll: POLL_EVERY,
        })
    }

    /// Looks at the files every `every` instead of every [`POLL_EVERY`].
    pub fn poll_every(mut self, every: Duration) -> ServerTls {
        self.poll = every;
        self
    }

    /// The files the certificate comes from, if it comes from files.
    pub fn files(&self) -> Option<&TlsFiles> {
        self.source.as_ref().map(|w| &w.files)
    }

    /// Reads the files again and puts their certificate in force for new handshakes.
    /// Returns `Ok(false)` for a certificate given in memory. On an error the certificate
    /// in force stays.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let Some(w) = &self.source else {
            return Ok(false);
        };
        // The stamp is taken before reading: a change made while reading is seen at the
        // next look.
        let stamp = Stamp::of(&w.files);
        let config = read_files(&w.files)?;
        self.current.store(Arc::new(config));
        if let Ok(mut l) = w.loaded.lock() {
            *l = Some(stamp);
        }
        Ok(true)
    }

    /// Whether the files look different from when they were last loaded.
    fn changed(&self) -> bool {
        self.source.as_ref().is_some_and(|w| {
            let now = Stamp::of(&w.files);
            w.loaded.lock().map_or(true, |l| l.as_ref() != Some(&now))
        })
    }

    /// An acceptor for one handshake, with the certificate in force now.
    pub(super) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.load_full())
    }

    /// Reloads on SIGHUP and when the files change, for ever (a task of the server).
    pub(super) async fn watch(self) {
        if self.source.is_none() {
            return;
        }
        let mut hup = hangups();
        let mut tick = tokio::time::interval(self.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let why = tokio::select! {
                Some(()) = next_hangup(&mut hup) => "SIGHUP",
                _ = tick.tick() => {
                    if !self.changed() {
                        continue;
                    }
                    "files changed"
                }
            };
            self.reload_logged(why);
        }
    }

    fn reload_logged(&self, why: &str) {
        let files = self.files().map_or_else(String::new, |f| {
            format!("{} and {}", f.cert.display(), f.key.display())
        });
        match self.reload() {
            Ok(_) => log::line(
                "epcscf",
                format_args!("tls: certificate reloaded from {files} ({why})"),
            ),
            Err(e) => {
                // Not retried until the files change again: a broken pair would
                // otherwise be logged at every look.
                if let Some(w) = &self.source {
                    if let Ok(mut l) = w.loaded.lock() {
                        *l = Some(Stamp::of(&w.files));
                    }
                }
                log::line(
                    "epcscf",
                    format_args!("tls: reload ({why}) failed, keeping the last certificate: {e}"),
                );
            }
        }
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

/// The SIGHUP stream, or `None` where there is none (the files are still polled).
#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangups() -> Hangups {
    None
}

/// The next SIGHUP; pending for ever without a stream.
#[cfg(unix)]
async fn next_hangup(hup: &mut Hangups) -> Option<()> {
    match hup {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) -> Option<()> {
    std::future::pending().await
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_files(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let chain = read(&files.cert)?;
    let key = read(&files.key)?;
    server_config(
        &chain,
        &key,
        &files.cert.display().to_string(),
        &files.key.display().to_string(),
    )
}

/// A server configuration for `chain` and `key` (PEM), named `chain_name` and
/// `key_name` in errors.
fn server_config(
    chain: &[u8],
    key: &[u8],
    chain_name: &str,
    key_name: &str,
) -> Result<ServerConfig, TlsError> {
    let pem_error = |what: &str| {
        let what = what.to_owned();
        move |e: rustls::pki_types::pem::Error| TlsError::Pem {
            what,
            why: e.to_string(),
        }
    };
    let certs = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error(chain_name))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(chain_name.to_owned()));
    }
    let key = match PrivateKeyDer::from_pem_slice(key) {
        Ok(k) => k,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            return Err(TlsError::NoKey(key_name.to_owned()));
        }
        Err(e) => return Err(pem_error(key_name)(e)),
    };
    // TLS 1.2 and 1.3 (the safe defaults); no client certificates: clients prove who
    // they are with their bearer token.
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(config)
}
