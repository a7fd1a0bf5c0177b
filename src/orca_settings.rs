//! The facility file's `orca` key: where the clinic's ORCA (日レセ) is and how the kiosk
//! registers visits in it. Plain data; read by the delivery worker and checked by
//! [`OrcaSettings::problems`] (provisioning, `doctor`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `orca: {url, user, password_file, timeout_seconds, patient_match, departments, ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrcaSettings {
    /// ORCA's API root, e.g. `http://192.168.1.10:8000` (on-premises, default port 8000) or
    /// `https://weborca-trial.orca.med.or.jp/api` (WebORCA's `/api` prefix included).
    /// Integration note §2.1 (ORCA-patientget; ODLOG).
    pub url: String,
    /// The ORCA user the kiosk signs in as (HTTP Basic).
    pub user: String,
    /// A file holding that user's password (or WebORCA's API key) on its first line; never
    /// logged, never in the facility file itself.
    pub password_file: PathBuf,
    /// Seconds to wait for a connection, and for a whole call. Default 10.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// How the kiosk finds the patient's ORCA number (Patient_ID).
    pub patient_match: PatientMatch,
    /// The clinic's departments as ORCA codes (`"01"`) and, for each, the doctor (Physician_Code,
    /// e.g. `"10001"`) a kiosk reception is registered under: acceptmodv2 requires one for
    /// Request_Number 01 (ORCA-acceptmod). With one department, every visit goes there.
    pub departments: BTreeMap<String, String>,
    /// Medical_Information (診療内容) sent with each reception, e.g. `"01"` 診察１; none: ORCA's
    /// first entry (warning K3). Codes are set per clinic (ORCA-acceptmod).
    #[serde(default)]
    pub medical_information: Option<String>,
    /// Seconds before the first retry; doubled each attempt up to `retry_max_seconds`.
    /// Default 5.
    #[serde(default = "default_retry_initial")]
    pub retry_initial_seconds: u32,
    /// The longest wait between two tries. Default 300.
    #[serde(default = "default_retry_max")]
    pub retry_max_seconds: u32,
    /// Api_Result codes of acceptlstv2 that mean "no reception on that day" rather than an
    /// error (UNCONFIRMED which code ORCA answers for an empty list: note §2.3). Default
    /// `["21"]`.
    #[serde(default = "default_empty_list_codes")]
    pub empty_list_codes: Vec<String>,
}

/// `orca.patient_match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientMatch {
    /// The eligibility result's 照会番号 (ReferenceNumber) is the clinic's Patient_ID: the
    /// clinic registers its patient numbers with the terminal (note §1, OQS-C).
    ReferenceNumber,
    /// patientlst3v2 by name kana and birth date: exactly one patient with the same reading
    /// (width and spaces aside) and birth date (note §2.3, ORCA-patientshimei).
    KanaBirthDate,
}

fn default_timeout() -> u32 {
    10
}
fn default_retry_initial() -> u32 {
    5
}
fn default_retry_max() -> u32 {
    300
}
fn default_empty_list_codes() -> Vec<String> {
    vec!["21".to_owned()]
}

impl OrcaSettings {
    /// Everything wrong with these settings: (key under `orca.`, what is wrong).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            out.push((
                "orca.url",
                format!(
                    "{:?} is not an http:// or https:// address (e.g. http://192.168.1.10:8000)",
                    self.url
                ),
            ));
        }
        if self.user.trim().is_empty() {
            out.push((
                "orca.user",
                "empty; name the ORCA user the kiosk signs in as".to_owned(),
            ));
        }
        if self.password_file.as_os_str().is_empty() {
            out.push((
                "orca.password_file",
                "empty; name the file holding the ORCA password".to_owned(),
            ));
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            out.push((
                "orca.timeout_seconds",
                format!("{} is outside 1 to 120", self.timeout_seconds),
            ));
        }
        if self.departments.is_empty() {
            out.push((
                "orca.departments",
                "empty; give each department code its Physician_Code, e.g. {\"01\": \"10001\"}"
                    .to_owned(),
            ));
        }
        for (code, doctor) in &self.departments {
            if code.trim().is_empty() || doctor.trim().is_empty() {
                out.push((
                    "orca.departments",
                    format!(
                        "{code:?}: {doctor:?}: a department code and a Physician_Code are both needed"
                    ),
                ));
            }
        }
        if self.retry_initial_seconds == 0 || self.retry_initial_seconds > self.retry_max_seconds {
            out.push((
                "orca.retry_initial_seconds",
                format!(
                    "{} must be at least 1 and at most orca.retry_max_seconds ({})",
                    self.retry_initial_seconds, self.retry_max_seconds
                ),
            ));
        }
        out
    }

    /// The password from `password_file`'s first line (trailing newline and spaces dropped).
    pub fn password(&self) -> Result<String, String> {
        let text = std::fs::read_to_string(&self.password_file).map_err(|e| {
            format!(
                "orca.password_file: cannot read {}: {e}",
                self.password_file.display()
            )
        })?;
        let first = text.lines().next().unwrap_or("").trim_end().to_owned();
        if first.is_empty() {
            return Err(format!(
                "orca.password_file: {} is empty",
                self.password_file.display()
            ));
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> OrcaSettings {
        serde_json::from_value(serde_json::json!({
            "url": "http://127.0.0.1:8000",
            "user": "ormaster",
            "password_file": "/etc/uketsuke/orca-password",
            "patient_match": "reference_number",
            "departments": {"01": "10001"}
        }))
        .unwrap()
    }

    #[test]
    fn defaults_and_each_bad_key_is_named() {
        let s = good();
        assert_eq!(
            (
                s.timeout_seconds,
                s.retry_initial_seconds,
                s.retry_max_seconds
            ),
            (10, 5, 300)
        );
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        let bad = OrcaSettings {
            url: "192.168.1.10:8000".to_owned(),
            user: " ".to_owned(),
            timeout_seconds: 0,
            departments: BTreeMap::new(),
            ..good()
        };
        let keys: Vec<&str> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "orca.url",
                "orca.user",
                "orca.timeout_seconds",
                "orca.departments"
            ]
        );
        assert!(
            serde_json::from_value::<OrcaSettings>(serde_json::json!({
                "url": "http://x", "user": "u", "password_file": "p",
                "patient_match": "name", "departments": {}
            }))
            .is_err(),
            "an unknown patient_match is refused"
        );
    }
}
