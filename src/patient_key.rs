//! The pseudonymous patient key: who came this month, counted without storing who they are.
//!
//! Owns: the per-facility secret (32 random bytes in an owner-only file beside the database,
//! never in it, never logged), and the key: HMAC-SHA-256 under that secret of the insurance
//! numbers (保険者番号, 記号, 番号, 枝番), written as 64 lowercase hex digits. The only module
//! that knows `hmac`. Must not know: SQL, the report.
//!
//! Why keyed: insurance numbers are few enough that a plain hash of them in a copied database
//! could be reversed by trying them all; without the secret (which stays on the kiosk) the key
//! tells nothing. The same numbers give the same key however they were written: each field is
//! width-folded as clerks' typing is ([`crate::desk::typed::fold`]: full-width digits, the
//! ideographic space), spaces and dashes between digits are dropped, and a one-digit 枝番 is
//! padded ("1" → "01"), so a card read by the kiosk and the same numbers typed at the desk from
//! the patient's phone give one key (issue 16, item 2).
//!
//! The secret's file is `<database file name>.patient-key` (e.g. `uketsuke.db.patient-key`),
//! mode 0600. It is made by the first open of a database that holds no key yet (provisioning,
//! the demo, headless runs and tests), and logged by its path; a database that already holds
//! keys refuses to start without its file, because a new secret would count every returning
//! patient of the month twice.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::Sha256;

use crate::desk::typed::fold;

/// Bytes in a secret.
const SECRET_LEN: usize = 32;

/// Prefixed to the hashed text, so a later change of the input's layout gets new keys.
const LAYOUT: &str = "uketsuke patient key v1";

/// Why the secret cannot be used, naming its file (for technicians).
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "patient key file {} is missing, but the database beside it already holds patient keys: a new key would count every returning patient twice; restore the file from the kiosk's backup (it is never stored in the database)",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error("patient key file {}: {detail}", path.display())]
    Unusable { path: PathBuf, detail: String },
}

/// The facility's secret. Debug never shows it; it is overwritten when dropped.
pub struct PatientSecret([u8; SECRET_LEN]);

impl fmt::Debug for PatientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatientSecret(..)")
    }
}

impl Drop for PatientSecret {
    fn drop(&mut self) {
        self.0 = [0; SECRET_LEN];
        std::hint::black_box(&self.0);
    }
}

/// The insurance numbers a key is made of, as the eligibility result or a clerk gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyNumbers<'a> {
    pub insurer_number: &'a str,
    pub symbol: Option<&'a str>,
    pub number: &'a str,
    pub branch: Option<&'a str>,
}

/// The key file beside `database`: `<its file name>.patient-key`.
pub fn key_file_for(database: &Path) -> PathBuf {
    let mut name = database
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".patient-key");
    database.with_file_name(name)
}

impl PatientSecret {
    /// A fresh random secret (the operating system's generator).
    pub fn generate() -> PatientSecret {
        let mut bytes = [0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        PatientSecret(bytes)
    }

    /// The secret for `database`: read from its key file; when there is none and
    /// `database_holds_keys` is false, a new one is written there (0600, no-clobber: if another
    /// process made it first, theirs is read) and the file is logged by its path.
    ///
    /// Errors: the file is missing while the database holds keys; unreadable; readable by
    /// others than its owner; not 64 hex digits. Each names the file.
    pub fn for_database(
        database: &Path,
        database_holds_keys: bool,
    ) -> Result<PatientSecret, KeyFileError> {
        let path = key_file_for(database);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => Self::read(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if database_holds_keys {
                    return Err(KeyFileError::Missing { path });
                }
                Self::create(&path)
            }
            Err(e) => Err(unusable(&path, format!("cannot be read: {e}"))),
        }
    }

    /// Reads a key file: 64 hex digits (a trailing newline allowed), mode 0600 or stricter.
    pub fn read(path: &Path) -> Result<PatientSecret, KeyFileError> {
        let mut file =
            File::open(path).map_err(|e| unusable(path, format!("cannot be read: {e}")))?;
        let mode = file
            .metadata()
            .map_err(|e| unusable(path, format!("cannot be read: {e}")))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(unusable(
                path,
                format!(
                    "is readable by others (mode {:o}); it must be owner-only: chmod 600 {}",
                    mode & 0o777,
                    path.display()
                ),
            ));
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| unusable(path, format!("cannot be read: {e}")))?;
        Self::from_hex(text.trim_end_matches('\n')).ok_or_else(|| {
            unusable(
                path,
                "does not hold a patient key (64 hexadecimal digits)".into(),
            )
        })
    }

    fn create(path: &Path) -> Result<PatientSecret, KeyFileError> {
        let secret = Self::generate();
        let dir = path.parent().unwrap_or(Path::new("."));
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let written = (|| -> std::io::Result<()> {
            let _ = std::fs::remove_file(&temp);
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)?;
            file.write_all(format!("{}\n", secret.hex()).as_bytes())?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(unusable(path, format!("cannot be created: {e}")));
        }
        // A hard link never replaces: if another process made the file meanwhile, use theirs.
        let linked = std::fs::hard_link(&temp, path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
                tracing::info!(
                    path = %path.display(),
                    "patient key file created (owner-only; keep it with this database, never with a copy of it)"
                );
                Ok(secret)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::read(path),
            Err(e) => Err(unusable(path, format!("cannot be created: {e}"))),
        }
    }

    fn from_hex(text: &str) -> Option<PatientSecret> {
        let mut bytes = [0u8; SECRET_LEN];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(PatientSecret(bytes))
    }

    fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The patient key of `numbers`: 64 lowercase hex digits; `None` when the insurer number or
    /// the number is empty once normalised (nothing to tell patients apart by).
    pub fn key(&self, numbers: KeyNumbers<'_>) -> Option<String> {
        let insurer = digits(numbers.insurer_number);
        let number = compact(numbers.number);
        if insurer.is_empty() || number.is_empty() {
            return None;
        }
        let symbol = numbers.symbol.map(compact).unwrap_or_default();
        let branch = numbers.branch.map(branch).unwrap_or_default();
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        // The unit separator cannot occur in a folded field, so fields cannot run together.
        for part in [LAYOUT, &insurer, &symbol, &number, &branch] {
            mac.update(part.as_bytes());
            mac.update(&[0x1f]);
        }
        Some(hex::encode(mac.finalize().into_bytes()))
    }
}

fn unusable(path: &Path, detail: String) -> KeyFileError {
    KeyFileError::Unusable {
        path: path.to_owned(),
        detail,
    }
}

/// Width folded, without spaces, dashes or control characters.
fn compact(raw: &str) -> String {
    fold(raw)
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(
                    c,
                    '-' | 'ー' | '−' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '﹣'
                )
        })
        .collect()
}

fn digits(raw: &str) -> String {
    compact(raw).chars().filter(char::is_ascii_digit).collect()
}

/// 枝番: digits, one digit padded to two; none as empty.
fn branch(raw: &str) -> String {
    let d = digits(raw);
    if d.len() == 1 { format!("0{d}") } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers<'a>(
        insurer: &'a str,
        symbol: Option<&'a str>,
        number: &'a str,
        branch: Option<&'a str>,
    ) -> KeyNumbers<'a> {
        KeyNumbers {
            insurer_number: insurer,
            symbol,
            number,
            branch,
        }
    }

    #[test]
    fn the_same_numbers_however_typed_give_one_key() {
        let secret = PatientSecret::from_hex(&"ab".repeat(32)).unwrap();
        let read = secret
            .key(numbers("01130012", Some("5102034"), "1234", Some("00")))
            .unwrap();
        assert_eq!(read.len(), 64);
        assert!(
            read.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        for (insurer, symbol, number, branch) in [
            (
                "０１１３００１２",
                Some("５１０２０３４"),
                "１２３４",
                Some("００"),
            ),
            ("0113 0012", Some(" 5102034 "), "1234", Some("00")),
            ("01-130012", Some("5102034"), "12\u{3000}34", Some("00")),
            ("01130012", Some("5102034"), "1234", Some("0")),
        ] {
            assert_eq!(
                secret
                    .key(numbers(insurer, symbol, number, branch))
                    .as_deref(),
                Some(read.as_str()),
                "{insurer} {symbol:?} {number} {branch:?}"
            );
        }
    }

    #[test]
    fn other_numbers_or_another_secret_give_another_key() {
        let secret = PatientSecret::from_hex(&"ab".repeat(32)).unwrap();
        let base = numbers("01130012", Some("5102034"), "1234", Some("00"));
        let key = secret.key(base).unwrap();
        for other in [
            numbers("01130012", Some("5102034"), "1234", Some("01")),
            numbers("01130012", Some("5102034"), "1235", None),
            numbers("01130012", Some("510203"), "41234", Some("00")),
            numbers("06132013", Some("5102034"), "1234", Some("00")),
        ] {
            assert_ne!(secret.key(other).unwrap(), key, "{other:?}");
        }
        let another = PatientSecret::from_hex(&"cd".repeat(32)).unwrap();
        assert_ne!(another.key(base).unwrap(), key);
        assert_eq!(secret.key(numbers("", None, "1234", None)), None);
        assert_eq!(secret.key(numbers("01130012", None, " ", None)), None);
    }

    #[test]
    fn the_key_file_is_made_once_owner_only_and_then_required() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        let path = key_file_for(&db);
        assert_eq!(path, dir.path().join("kiosk.db.patient-key"));
        let made = PatientSecret::for_database(&db, false).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = PatientSecret::for_database(&db, true).unwrap();
        assert_eq!(made.0, again.0, "read back, never made anew");
        assert!(format!("{made:?}").find(&made.hex()).is_none());

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = PatientSecret::for_database(&db, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::write(&path, "not a key").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = PatientSecret::for_database(&db, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("64 hexadecimal digits"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let err = PatientSecret::for_database(&db, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("missing"),
            "{err}"
        );
    }
}
