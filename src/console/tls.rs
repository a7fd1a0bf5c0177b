//! The console's TLS: the server configuration from a PEM certificate and key, the self-signed
//! certificate made on first start when none is given, and the SHA-256 fingerprints staff compare
//! with what their browser shows.
//!
//! Owns: everything that knows rustls, tokio-rustls and rcgen (ring as the crypto provider).
//! Must not know: HTTP, routes, the facility file's layout (the caller passes paths and names).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The file names of the self-signed certificate and its key in the data folder.
pub const SELF_SIGNED_CERTIFICATE: &str = "console-certificate.pem";
pub const SELF_SIGNED_KEY: &str = "console-key.pem";

/// How long a client may take over its TLS handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once; more wait to be accepted (a flood of half-open connections
/// cannot pile up tasks).
const HANDSHAKES_AT_ONCE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate {path} ({key}): {detail}")]
    Certificate {
        key: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("cannot read the private key {path} ({key}): {detail}")]
    Key {
        key: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error(
        "the certificate {certificate} and key {key_path} do not make a TLS server (console.tls_certificate, console.tls_key): {detail}"
    )]
    Config {
        certificate: PathBuf,
        key_path: PathBuf,
        detail: String,
    },
    #[error("cannot make the console's self-signed certificate in {dir}: {detail}")]
    Generate { dir: PathBuf, detail: String },
}

/// A certificate on disk and its SHA-256 fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The PEM certificate.
    pub certificate: PathBuf,
    /// Its PEM private key (mode 0600 when made here).
    pub key: PathBuf,
    /// SHA-256 of the certificate's DER, upper-case hex pairs joined by colons
    /// (`AB:CD:…`, 95 characters), as browsers show it.
    pub sha256: String,
    /// True when this call made the certificate; false when it was already there.
    pub generated: bool,
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sha256)
    }
}

/// The self-signed certificate in `dir` (`console-certificate.pem`, `console-key.pem`), made
/// now if either file is missing: an ECDSA P-256 key (file mode 0600), valid for ten years,
/// naming `names` (host names as DNS names, addresses as IP addresses). An existing pair is kept
/// as it is, so the fingerprint staff noted stays valid; delete both files to make a new one.
///
/// Errors: the folder cannot be made or written, a name is not a valid DNS name, or the existing
/// certificate cannot be read.
pub fn ensure_self_signed(dir: &Path, names: &[String]) -> Result<Fingerprint, TlsError> {
    let certificate = dir.join(SELF_SIGNED_CERTIFICATE);
    let key = dir.join(SELF_SIGNED_KEY);
    if certificate.exists() && key.exists() {
        let sha256 = certificate_fingerprint(&certificate)?;
        return Ok(Fingerprint {
            certificate,
            key,
            sha256,
            generated: false,
        });
    }
    let failed = |detail: String| TlsError::Generate {
        dir: dir.to_owned(),
        detail,
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .map_err(|e| failed(format!("a host name cannot go into a certificate: {e}")))?;
    // rcgen takes its own (`time`) type; it makes one from a calendar date.
    let rcgen_date = |d: crate::dates::Date| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    let today = crate::dates::now().date_naive();
    params.not_before = rcgen_date(today - chrono::TimeDelta::days(1));
    params.not_after = rcgen_date(today + chrono::TimeDelta::days(3650));
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, "uketsuke staff console");
    params.distinguished_name = dn;
    let key_pair = rcgen::KeyPair::generate().map_err(|e| failed(e.to_string()))?;
    let cert = params
        .self_signed(&key_pair)
        .map_err(|e| failed(e.to_string()))?;
    // The key first, the certificate last: a certificate on disk means the pair is complete.
    write_private(&key, key_pair.serialize_pem().as_bytes()).map_err(|e| failed(e.to_string()))?;
    write_atomically(&certificate, cert.pem().as_bytes(), 0o644)
        .map_err(|e| failed(e.to_string()))?;
    Ok(Fingerprint {
        certificate,
        key,
        sha256: colon_hex(&Sha256::digest(cert.der())),
        generated: true,
    })
}

/// SHA-256 of the first certificate in the PEM file at `path`, as `AB:CD:…` (what a browser's
/// certificate viewer shows as the SHA-256 fingerprint).
pub fn certificate_fingerprint(path: &Path) -> Result<String, TlsError> {
    let der = read_certificates(path, "console.tls_certificate")?
        .into_iter()
        .next()
        .ok_or_else(|| TlsError::Certificate {
            key: "console.tls_certificate",
            path: path.to_owned(),
            detail: "no CERTIFICATE block in the file".to_owned(),
        })?;
    Ok(colon_hex(&Sha256::digest(der.as_ref())))
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn read_certificates(
    path: &Path,
    key: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |detail: String| TlsError::Certificate {
        key,
        path: path.to_owned(),
        detail,
    };
    CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))
}

/// The TLS server configuration for the certificate chain and key in these PEM files (ring's
/// provider; TLS 1.2 and 1.3; HTTP/1.1 only).
pub(super) fn server_config(certificate: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_certificates(certificate, "console.tls_certificate")?;
    if chain.is_empty() {
        return Err(TlsError::Certificate {
            key: "console.tls_certificate",
            path: certificate.to_owned(),
            detail: "no CERTIFICATE block in the file".to_owned(),
        });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        key: "console.tls_key",
        path: key.to_owned(),
        detail: e.to_string(),
    })?;
    let config_err = |detail: String| TlsError::Config {
        certificate: certificate.to_owned(),
        key_path: key.to_owned(),
        detail,
    };
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| config_err(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| config_err(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts TCP connections and hands on those whose TLS handshake finished, each handshake on
/// a task of its own (with a time limit), so a client that stalls mid-handshake holds up nobody.
pub(super) struct TlsListener {
    local: SocketAddr,
    handshaken: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Starts accepting on `listener` (inside a tokio runtime).
    pub(super) fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, handshaken) = mpsc::channel(HANDSHAKES_AT_ONCE);
        let acceptor = TlsAcceptor::from(config);
        let slots = Arc::new(Semaphore::new(HANDSHAKES_AT_ONCE));
        tokio::spawn(async move {
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "staff console: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let _slot = slot;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { local, handshaken })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(accepted) => accepted,
            // The accepting task is gone (the runtime is shutting down): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically(path, bytes, 0o600)
}

/// Writes `bytes` to a temporary file beside `path` created with `mode`, syncs it, and renames
/// it into place.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("pem.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
