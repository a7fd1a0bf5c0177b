//! ORCA (日レセ), the clinic's receipt software: its HTTP API, and the worker that registers
//! each check-in as a reception (受付) exactly once. The one module that knows ORCA's API and
//! the HTTP client (`ureq`); the flow never imports it.
//!
//! Format: ORCA's JSON (`?format=json`, ORCA Ver 5.0+; ORB posts `{"acceptreq":{…}}` and reads
//! `{"acceptres":{…}}`: integration note §2.1) rather than xml2: one serde_json path for
//! requests and answers, no typed-element wrapping. Arrays come padded with `{}` to their fixed
//! repeat count (note §2.4, ORB fixtures): [`records`] drops the empty ones. Every call has a
//! connect timeout and a whole-call timeout (`orca.timeout_seconds`). Business errors come as
//! HTTP 200 with `Api_Result` ≠ `00`; a wrong Basic password as 401 (note §2.1, ODLOG).
//!
//! # Layout
//! - `crate::orca_settings`: the facility file's `orca` key (plain data, outside this module so
//!   the flow can read `patient_match` without importing ORCA's client).
//! - this file: [`OrcaClient`] and its calls (acceptmodv2, acceptlstv2, patientlst3v2,
//!   system01lstv2), [`is_success`], [`same_kana`].
//! - [`worker`]: the delivery loop (store ↔ client), deciding with `crate::delivery`.

pub mod department_list;
pub mod worker;

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

pub use crate::orca_settings::{OrcaSettings, PatientMatch};

/// Whether acceptmodv2's `Api_Result` means the reception is registered: `00`, or `K1`–`K3`
/// (success with a warning: date, time or 診療内容 set by ORCA). ORB's `ok?` (`/\AW?0+\z/`)
/// calls K1 a failure: wrong (note §2.2, §2.4; ORB result.rb).
pub fn is_success(code: &str) -> bool {
    matches!(code, "00" | "K1" | "K2" | "K3")
}

/// Drops the `{}` padding ORCA's JSON adds to fixed-length arrays (note §2.4).
pub fn records(array: Option<&Value>) -> Vec<&Value> {
    match array {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            .collect(),
        // One record where an array was expected: a list of one.
        Some(v @ Value::Object(o)) if !o.is_empty() => vec![v],
        _ => Vec::new(),
    }
}

/// A name reading normalised for comparison: NFKC (the terminal's half-width ｶﾅ and ORCA's
/// full-width カナ meet; `ﾊﾞ` becomes `バ`), spaces of every width removed.
pub fn normalise_kana(kana: &str) -> String {
    kana.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Whether two readings name the same person: `ﾐﾎﾝ ﾊﾅｺ` (OQS) and `ミホン　ハナコ` (ORCA).
pub fn same_kana(a: &str, b: &str) -> bool {
    let (a, b) = (normalise_kana(a), normalise_kana(b));
    !a.is_empty() && a == b
}

/// Why a call got no business answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// No connection was made: nothing reached ORCA (refused, unresolvable host). Safe to send
    /// again.
    NotSent(String),
    /// The request may have reached ORCA but no answer came (timeout, connection dropped):
    /// its outcome is unknown.
    NoAnswer(String),
    /// HTTP 401: ORCA refused the user or password.
    Unauthorized { user: String, url: String },
    /// Another HTTP status, or a body that is not the expected JSON.
    BadAnswer(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSent(e) => write!(f, "ORCA not reachable: {e}"),
            Self::NoAnswer(e) => write!(f, "ORCA did not answer: {e}"),
            Self::Unauthorized { user, url } => write!(
                f,
                "ORCA at {url} refused user {user:?} (HTTP 401): check orca.user and the password in orca.password_file"
            ),
            Self::BadAnswer(e) => write!(f, "ORCA answered unexpectedly: {e}"),
        }
    }
}

/// What acceptmodv2 (Request_Number 01) answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptAnswer {
    /// `00` or `K1`–`K3`: registered, with ORCA's 受付ID.
    Registered {
        code: String,
        acceptance_id: String,
        patient_id: String,
    },
    /// `16`: already registered (same patient, day, department): look it up.
    Duplicate,
    /// Any other code, with ORCA's message.
    Refused { code: String, message: String },
}

/// One reception (受付) in acceptlstv2's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reception {
    pub acceptance_id: String,
    pub patient_id: String,
    pub department_code: String,
    /// `HH:MM:SS`.
    pub time: String,
}

/// One patient in patientlst3v2's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientHit {
    pub patient_id: String,
    /// WholeName_inKana (full-width).
    pub kana: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

/// What a reception registration sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptRequest {
    pub patient_id: String,
    pub department_code: String,
    pub physician_code: String,
    /// `YYYY-MM-DD`, JST.
    pub date: String,
    /// `HH:MM:SS`, JST.
    pub time: String,
    pub medical_information: Option<String>,
}

/// An HTTP client for one ORCA. Debug output never shows the password.
pub struct OrcaClient {
    agent: ureq::Agent,
    base: String,
    user: String,
    authorization: String,
}

impl fmt::Debug for OrcaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrcaClient")
            .field("base", &self.base)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl OrcaClient {
    /// A client for `settings` (reads the password file).
    pub fn new(settings: &OrcaSettings) -> Result<Self, String> {
        let password = settings.password()?;
        Ok(Self::with_password(settings, &password))
    }

    pub fn with_password(settings: &OrcaSettings, password: &str) -> Self {
        let timeout = Duration::from_secs(u64::from(settings.timeout_seconds.max(1)));
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .build();
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{password}", settings.user));
        Self {
            agent,
            base: settings.url.trim_end_matches('/').to_owned(),
            user: settings.user.clone(),
            authorization: format!("Basic {token}"),
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// POSTs `body` as JSON to `path` (`?format=json` added) and returns the record under
    /// `root` (e.g. `acceptres`).
    fn post(&self, path: &str, query: &str, body: &Value, root: &str) -> Result<Value, CallError> {
        let url = format!("{}{path}?{query}format=json", self.base);
        let answer = self
            .agent
            .post(&url)
            .set("Authorization", &self.authorization)
            .set("Content-Type", "application/json")
            .send_string(&body.to_string());
        let response = match answer {
            Ok(r) => r,
            Err(ureq::Error::Status(401, _)) => {
                return Err(CallError::Unauthorized {
                    user: self.user.clone(),
                    url: self.base.clone(),
                });
            }
            Err(ureq::Error::Status(code, _)) => {
                return Err(CallError::BadAnswer(format!("HTTP {code} from {path}")));
            }
            Err(ureq::Error::Transport(t)) => {
                let what = format!("{path}: {t}");
                return Err(match t.kind() {
                    ureq::ErrorKind::ConnectionFailed
                    | ureq::ErrorKind::Dns
                    | ureq::ErrorKind::InvalidUrl
                    | ureq::ErrorKind::UnknownScheme => CallError::NotSent(what),
                    _ => CallError::NoAnswer(what),
                });
            }
        };
        let text = response
            .into_string()
            .map_err(|e| CallError::NoAnswer(format!("{path}: reading the answer: {e}")))?;
        let mut value: Value = serde_json::from_str(&text)
            .map_err(|e| CallError::BadAnswer(format!("{path}: not JSON: {e}")))?;
        match value.get_mut(root) {
            Some(v) => Ok(v.take()),
            None => Err(CallError::BadAnswer(format!(
                "{path}: no {root} in the answer"
            ))),
        }
    }

    /// `POST /orca11/acceptmodv2` Request_Number 01: registers a reception (ORCA-acceptmod,
    /// note §2.2, sample ORCA-A).
    pub fn accept(&self, req: &AcceptRequest) -> Result<AcceptAnswer, CallError> {
        let mut body = json!({
            "Request_Number": "01",
            "Patient_ID": req.patient_id,
            "Acceptance_Date": req.date,
            "Acceptance_Time": req.time,
            "Department_Code": req.department_code,
            "Physician_Code": req.physician_code,
        });
        if let Some(info) = &req.medical_information {
            body["Medical_Information"] = json!(info);
        }
        let res = self.post(
            "/orca11/acceptmodv2",
            "",
            &json!({ "acceptreq": body }),
            "acceptres",
        )?;
        let code = text(&res, "Api_Result");
        if is_success(&code) {
            let acceptance_id = text(&res, "Acceptance_Id");
            if acceptance_id.is_empty() {
                return Err(CallError::BadAnswer(format!(
                    "acceptmodv2 answered {code} without an Acceptance_Id"
                )));
            }
            let patient_id = res
                .get("Patient_Information")
                .map(|p| text(p, "Patient_ID"))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| req.patient_id.clone());
            return Ok(AcceptAnswer::Registered {
                code,
                acceptance_id,
                patient_id,
            });
        }
        if code == "16" {
            return Ok(AcceptAnswer::Duplicate);
        }
        Ok(AcceptAnswer::Refused {
            message: text(&res, "Api_Result_Message"),
            code,
        })
    }

    /// `POST /api01rv2/acceptlstv2?class=01`: the day's receptions still 受付中
    /// (ORCA-acceptancelst, note §2.3).
    pub fn receptions(
        &self,
        date: &str,
        empty_list_codes: &[String],
    ) -> Result<Vec<Reception>, CallError> {
        let res = self.post(
            "/api01rv2/acceptlstv2",
            "class=01&",
            &json!({ "acceptlstreq": { "Acceptance_Date": date } }),
            "acceptlstres",
        )?;
        let code = text(&res, "Api_Result");
        if empty_list_codes.contains(&code) {
            return Ok(Vec::new());
        }
        if code != "00" {
            return Err(CallError::BadAnswer(format!(
                "acceptlstv2 answered {code}: {}",
                text(&res, "Api_Result_Message")
            )));
        }
        Ok(records(res.get("Acceptlst_Information"))
            .into_iter()
            .map(|r| Reception {
                acceptance_id: text(r, "Acceptance_Id"),
                patient_id: r
                    .get("Patient_Information")
                    .map(|p| text(p, "Patient_ID"))
                    .unwrap_or_default(),
                department_code: text(r, "Department_Code"),
                time: text(r, "Acceptance_Time"),
            })
            .collect())
    }

    /// `POST /api01rv2/patientlst3v2?class=01`: patients whose name starts with `kana`, born on
    /// `birth_date` (`YYYY-MM-DD`). The answer's root is `patientlst2res` (note §2.3,
    /// ORCA-patientshimei); code 20 (none found) is an empty list.
    pub fn patients_by_kana(
        &self,
        kana: &str,
        birth_date: &str,
    ) -> Result<Vec<PatientHit>, CallError> {
        let full_width: String = kana.nfkc().collect();
        let res = self.post(
            "/api01rv2/patientlst3v2",
            "class=01&",
            &json!({ "patientlst3req": {
                "WholeName": full_width,
                "Birth_StartDate": birth_date,
                "Birth_EndDate": birth_date,
            }}),
            "patientlst2res",
        )?;
        let code = text(&res, "Api_Result");
        if code == "20" {
            return Ok(Vec::new());
        }
        if code != "00" {
            return Err(CallError::BadAnswer(format!(
                "patientlst3v2 answered {code}: {}",
                text(&res, "Api_Result_Message")
            )));
        }
        Ok(records(res.get("Patient_Information"))
            .into_iter()
            .map(|p| PatientHit {
                patient_id: text(p, "Patient_ID"),
                kana: text(p, "WholeName_inKana"),
                birth_date: text(p, "BirthDate"),
            })
            .collect())
    }

    /// `POST /api01rv2/system01lstv2` Request_Number 01: the clinic's departments as
    /// (Code, WholeName), e.g. `("01", "内科")` (ORCA-systemkanri, note §2.3).
    pub fn departments(&self, base_date: &str) -> Result<Vec<(String, String)>, CallError> {
        let res = self.post(
            "/api01rv2/system01lstv2",
            "",
            &json!({ "system01_managereq": {
                "Request_Number": "01",
                "Base_Date": base_date,
            }}),
            "departmentres",
        )?;
        let code = text(&res, "Api_Result");
        if code != "00" {
            return Err(CallError::BadAnswer(format!(
                "system01lstv2 answered {code}: {}",
                text(&res, "Api_Result_Message")
            )));
        }
        Ok(records(res.get("Department_Information"))
            .into_iter()
            .map(|d| (text(d, "Code"), text(d, "WholeName")))
            .collect())
    }
}

/// A string field of a record, trimmed ("" when absent).
fn text(record: &Value, key: &str) -> String {
    record
        .get(key)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_00_and_k1_to_k3_unlike_orbs_ok() {
        for (code, ok) in [
            ("00", true),
            ("K1", true),
            ("K2", true),
            ("K3", true),
            ("K4", false),
            ("16", false),
            ("10", false),
            ("90", false),
            ("W00", false),
            ("", false),
        ] {
            assert_eq!(is_success(code), ok, "{code}");
        }
    }

    #[test]
    fn padded_arrays_are_trimmed() {
        let v = json!({"A": [{"Code": "01"}, {}, {}], "B": {"Code": "02"}, "C": []});
        assert_eq!(records(v.get("A")).len(), 1);
        assert_eq!(records(v.get("B")).len(), 1, "one record is a list of one");
        assert!(records(v.get("C")).is_empty());
        assert!(records(v.get("D")).is_empty());
    }

    #[test]
    fn kana_of_either_width_and_spacing_match() {
        for (a, b, same) in [
            ("ﾐﾎﾝ ﾊﾅｺ", "ミホン　ハナコ", true),
            ("ﾐﾎﾝ ﾊﾅｺ", "ミホンハナコ", true),
            ("ｶﾞｸ ﾀﾛｳ", "ガク　タロウ", true),
            ("ﾐﾎﾝ ﾊﾅｺ", "ミホン　ハナヨ", false),
            ("", "", false),
        ] {
            assert_eq!(same_kana(a, b), same, "{a} / {b}");
        }
    }
}
