//! The facility file's `central` key: the hospital's central database (PostgreSQL) this kiosk
//! delivers to, and the kiosk's id there (issue 19 item 5). Plain data; read by the delivery
//! worker (`crate::central`) and checked by [`CentralSettings::problems`] (provisioning,
//! `doctor`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `central: {url, kiosk_id, password_file, ca_file, timeout_seconds, retry_*}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CentralSettings {
    /// The database as a libpq URL without the password, e.g.
    /// `postgres://uketsuke@db.hospital.lan:5432/uketsuke`.
    pub url: String,
    /// This kiosk's id in the central database: unique in the hospital, 1 to 64 of `A-Z a-z
    /// 0-9 . _ -` (e.g. `entrance-1`). With each outbox entry's own sequence it keys every row
    /// the kiosk sends; changing it makes the kiosk a new one there.
    pub kiosk_id: String,
    /// A file holding the database password on its first line; none: the URL's user signs in
    /// without one (trust or peer authentication).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// A PEM file of the certificate authority that signed the server's certificate: TLS is
    /// then required and the server verified (rustls). None: no TLS (a closed hospital LAN);
    /// `doctor` says so.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for a connection, and for a silent server. Default 5.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// Seconds before the first retry after a failed delivery; doubled each time up to
    /// `retry_max_seconds`. Default 1.
    #[serde(default = "default_retry_initial")]
    pub retry_initial_seconds: u32,
    /// The longest wait between two tries. Default 30.
    #[serde(default = "default_retry_max")]
    pub retry_max_seconds: u32,
}

fn default_timeout() -> u32 {
    5
}
fn default_retry_initial() -> u32 {
    1
}
fn default_retry_max() -> u32 {
    30
}

impl CentralSettings {
    /// Settings with the defaults, for `url` and `kiosk_id`.
    pub fn new(url: &str, kiosk_id: &str) -> Self {
        Self {
            url: url.to_owned(),
            kiosk_id: kiosk_id.to_owned(),
            password_file: None,
            ca_file: None,
            timeout_seconds: default_timeout(),
            retry_initial_seconds: default_retry_initial(),
            retry_max_seconds: default_retry_max(),
        }
    }

    /// Everything wrong with these settings: (key under `central.`, what is wrong).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let url = self.url.trim();
        match url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        {
            None => out.push((
                "central.url",
                format!(
                    "{:?} is not a postgres:// address (e.g. postgres://uketsuke@db.hospital.lan/uketsuke)",
                    self.url
                ),
            )),
            Some(rest) => {
                let authority = rest.split(['/', '?']).next().unwrap_or_default();
                if let Some((user_info, _)) = authority.rsplit_once('@')
                    && user_info.contains(':')
                {
                    out.push((
                        "central.url",
                        "holds a password: put it in the file central.password_file names, \
                         never in the facility file"
                            .to_owned(),
                    ));
                }
            }
        }
        if !kiosk_id_ok(&self.kiosk_id) {
            out.push((
                "central.kiosk_id",
                format!(
                    "{:?} must be 1 to 64 of A-Z a-z 0-9 . _ - (e.g. \"entrance-1\"), unique in the hospital",
                    self.kiosk_id
                ),
            ));
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            out.push((
                "central.timeout_seconds",
                format!("{} is outside 1 to 120", self.timeout_seconds),
            ));
        }
        if self.retry_initial_seconds == 0 || self.retry_initial_seconds > self.retry_max_seconds {
            out.push((
                "central.retry_initial_seconds",
                format!(
                    "{} must be at least 1 and at most central.retry_max_seconds ({})",
                    self.retry_initial_seconds, self.retry_max_seconds
                ),
            ));
        }
        out
    }

    /// The password from `password_file`'s first line (trailing newline and spaces dropped);
    /// `Ok(None)` without a file. The error names the file.
    pub fn password(&self) -> Result<Option<String>, String> {
        let Some(file) = &self.password_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("central.password_file: cannot read {}: {e}", file.display()))?;
        Ok(Some(
            text.lines()
                .next()
                .unwrap_or_default()
                .trim_end()
                .to_owned(),
        ))
    }
}

/// 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn kiosk_id_ok(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_and_a_bad_kiosk_id_are_named() {
        let mut s = CentralSettings::new("postgres://u:secret@db/x", "entrance 1");
        let keys: Vec<_> = s.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["central.url", "central.kiosk_id"]);
        s.url = "postgresql://u@db:5432/x?sslmode=require".into();
        s.kiosk_id = "entrance-1".into();
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        s.url = "http://db".into();
        assert_eq!(s.problems()[0].0, "central.url");
    }
}
