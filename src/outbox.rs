//! The outbox's wire format: what the kiosk tells the systems beside it (ORCA now, a central
//! database later), versioned and apart from the domain types (issue 17 item 3).
//!
//! Owns: [`OutboxMessage`], its JSON, and the one conversion from a [`StoredCheckIn`]. Must not
//! know: SQL (the store writes the JSON text into `outbox.payload`), HTTP, ORCA's format.
//!
//! Readers (the ORCA delivery worker, the central database of issue 19) read only this type,
//! never `StoredCheckIn`: a change to a domain struct cannot change the wire unless this file
//! changes too, and `the_wire_is_exactly_this_json` then fails. A change that is not backward
//! compatible is a new version (`"v": 2`), never an edit of v1.
//!
//! Every enum value travels as the stable snake_case name the database and the reports use
//! (`VerificationMethod::as_str` and the serde names of the domain enums), instants as RFC 3339
//! with the kiosk's offset (`+09:00`), dates as `YYYY-MM-DD` (Japan's calendar date).

use serde::{Deserialize, Serialize};

use crate::dates::Date;
use crate::domain::{Outcome, StoredCheckIn};

/// One outbox entry's payload: `{"v": 1, "kind": "...", "check_in": {...}}`.
///
/// The version is checked when read: a payload of another version is refused
/// ([`OutboxMessage::from_json`]), never half-read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxMessage {
    /// The wire version, always [`WIRE_VERSION`] for this type.
    pub v: u32,
    pub kind: Kind,
    pub check_in: CheckInV1,
}

/// The version [`OutboxMessage`] writes and reads.
pub const WIRE_VERSION: u32 = 1;

/// What happened. A closed list: a new kind is a new variant and a golden test change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The kiosk completed the check-in (eligibility confirmed at the kiosk). The one kind that
    /// registers a visit in ORCA from the kiosk.
    CheckInCompleted,
    /// The kiosk handed the patient to staff; nothing is confirmed yet.
    HandoffOpened,
    /// The check-in ended without a visit: cancelled by the patient or timed out.
    CheckInEnded,
    /// Staff closed a handoff (verified, unresolved or cancelled: see `check_in.resolution`).
    /// Registers a visit in ORCA only when closed as verified.
    HandoffClosed,
    /// Staff corrected a closed handoff the same day.
    HandoffCorrected,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Self::CheckInCompleted,
        Self::HandoffOpened,
        Self::CheckInEnded,
        Self::HandoffClosed,
        Self::HandoffCorrected,
    ];

    /// The stable name in the `outbox.kind` column and in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CheckInCompleted => "check_in_completed",
            Self::HandoffOpened => "handoff_opened",
            Self::CheckInEnded => "check_in_ended",
            Self::HandoffClosed => "handoff_closed",
            Self::HandoffCorrected => "handoff_corrected",
        }
    }

    /// The kind of the entry written when the kiosk commits a check-in with this outcome.
    pub fn of_commit(outcome: &Outcome) -> Kind {
        match outcome {
            Outcome::Completed => Self::CheckInCompleted,
            Outcome::HandedToStaff { .. } => Self::HandoffOpened,
            Outcome::Cancelled { .. } | Outcome::TimedOut { .. } => Self::CheckInEnded,
        }
    }
}

/// A check-in as the wire carries it (v1). Field by field:
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInV1 {
    /// The kiosk's own id of the check-in (`check_ins.id`), unique per kiosk database; the key
    /// a reader deduplicates by together with `kiosk`.
    pub id: i64,
    /// 受付番号 shown to the patient, 1.. per visit date; none for a check-in that ended.
    pub reception_number: Option<u32>,
    /// The facility file's `kiosk_name` ("" when unset).
    pub kiosk: String,
    /// When the patient started, RFC 3339 with offset (`2026-05-12T09:15:30+09:00`).
    pub started_at: String,
    /// When the check-in ended at the kiosk, RFC 3339 with offset. ORCA's Acceptance_Date and
    /// Acceptance_Time are read from this instant in JST.
    pub finished_at: String,
    /// The visit date in Japan, `YYYY-MM-DD`.
    pub visit_date: String,
    /// `completed`, `handed_to_staff`, `cancelled` or `timed_out`.
    pub outcome: String,
    /// Why staff were called (`HandoffReason::as_str`), on a handoff only.
    pub handoff_reason: Option<String>,
    /// How eligibility was confirmed (`VerificationMethod::as_str`), once it is: the kiosk's
    /// method on a completed check-in, staff's on a handoff closed as verified, else none.
    pub verification: Option<String>,
    /// Whether that method counts toward the usage rate at the visit date.
    pub counts_toward_usage_rate: bool,
    /// The eligibility answer's numbers, when there was one and the visit went ahead.
    pub eligibility: Option<EligibilityV1>,
    /// How staff closed a handoff, once they have.
    pub resolution: Option<ResolutionV1>,
    /// The clinic's department code (ORCA's Department_Code, e.g. `01`) the patient chose or
    /// the facility fixed (`CheckInRecord::department`); none when no department was configured
    /// or chosen.
    pub department: Option<String>,
    /// What a patient match in ORCA needs and the kiosk does not otherwise keep: only on a
    /// completed check-in and only where ORCA is configured to match by kana and birth date.
    /// Erased from the stored payload once the entry is delivered or closed by hand.
    pub patient: Option<MatchKeysV1>,
}

/// The eligibility result's numbers (v1). Numbers are strings, zeros and spaces kept as the
/// result gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityV1 {
    /// `valid`, `invalid`, `invalid_newer_exists`, `no_eligibility`, `several_matches`
    /// (QualificationValidity 1–5).
    pub validity: String,
    /// 保険者番号 (6 or 8 digits).
    pub insurer_number: Option<String>,
    /// 記号.
    pub symbol: Option<String>,
    /// 番号.
    pub number: Option<String>,
    /// 枝番 (2 digits).
    pub branch: Option<String>,
    /// The patient's share in percent (10, 20, 30).
    pub burden_ratio_percent: Option<u8>,
    /// `result` (carried by the result) or `derived_from_age`.
    pub burden_ratio_source: Option<String>,
    /// 照会番号: the clinic's own patient number registered against the person (ORCA's
    /// Patient_ID when the clinic registers them so: `orca.patient_match = reference_number`).
    pub reference_number: Option<String>,
}

/// How staff closed a handoff (v1). Staff's free-text note stays in the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionV1 {
    /// `verified`, `unresolved` or `cancelled`.
    pub closed_as: String,
    /// Staff's sign-in name.
    pub staff: String,
    /// RFC 3339 with offset.
    pub resolved_at: String,
}

/// The patient's reading and birth date, for ORCA's patientlst3v2 match (v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchKeysV1 {
    /// カナ氏名 exactly as the eligibility result gave it (half-width ｶﾅ from the terminal).
    pub kana: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

/// Why a payload could not be read as an [`OutboxMessage`].
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("outbox payload has wire version {found}, this build reads {WIRE_VERSION}")]
    Version { found: String },
    #[error("outbox payload is not wire v{WIRE_VERSION}: {0}")]
    Shape(#[from] serde_json::Error),
}

/// The stable serde name of a unit enum variant (the names the database stores).
fn name<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn ymd(d: Date) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl OutboxMessage {
    /// The message for `kind` about `stored`, as it is now. `patient` is set only by the
    /// caller that has the keys (a completed check-in with ORCA's kana match configured).
    pub fn new(kind: Kind, stored: &StoredCheckIn, patient: Option<MatchKeysV1>) -> Self {
        let r = &stored.record;
        Self {
            v: WIRE_VERSION,
            kind,
            check_in: CheckInV1 {
                id: stored.id,
                reception_number: stored.reception_number.map(|n| n.0),
                kiosk: r.kiosk.clone(),
                started_at: r.started_at.to_rfc3339(),
                finished_at: r.finished_at.to_rfc3339(),
                visit_date: ymd(r.visit_date),
                outcome: r.outcome.as_str().to_owned(),
                handoff_reason: r.outcome.handoff_reason().map(|h| h.as_str().to_owned()),
                verification: stored
                    .confirmed_verification()
                    .map(|v| v.as_str().to_owned()),
                counts_toward_usage_rate: r.counts_toward_usage_rate,
                eligibility: r.eligibility.as_ref().map(|e| EligibilityV1 {
                    validity: name(e.validity),
                    insurer_number: e.insurer_number.clone(),
                    symbol: e.symbol.clone(),
                    number: e.number.clone(),
                    branch: e.branch.clone(),
                    burden_ratio_percent: e.burden_ratio.map(|b| b.0),
                    burden_ratio_source: e.burden_ratio_source.map(name),
                    reference_number: e.reference_number.clone(),
                }),
                resolution: stored.resolution.as_ref().map(|res| ResolutionV1 {
                    closed_as: res.closed_as.as_str().to_owned(),
                    staff: res.staff.clone(),
                    resolved_at: res.resolved_at.to_rfc3339(),
                }),
                department: r.department.clone(),
                patient,
            },
        }
    }

    /// Reads a payload, refusing any other version or shape.
    pub fn from_json(text: &str) -> Result<Self, WireError> {
        #[derive(Deserialize)]
        struct Versioned {
            v: serde_json::Value,
        }
        let versioned: Versioned = serde_json::from_str(text)?;
        if versioned.v != serde_json::json!(WIRE_VERSION) {
            return Err(WireError::Version {
                found: versioned.v.to_string(),
            });
        }
        Ok(serde_json::from_str(text)?)
    }

    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and options: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether ORCA is told of this message: a check-in the kiosk completed, or a handoff staff
    /// closed as verified (the patient is seen today). A handoff closed unresolved or cancelled,
    /// an open handoff, an ended check-in and a correction are not (a correction of a visit
    /// already registered changes nothing ORCA holds: staff edit ORCA's reception by hand).
    pub fn registers_a_visit(&self) -> bool {
        match self.kind {
            Kind::CheckInCompleted => true,
            Kind::HandoffClosed => self
                .check_in
                .resolution
                .as_ref()
                .is_some_and(|r| r.closed_as == "verified"),
            Kind::HandoffOpened | Kind::CheckInEnded | Kind::HandoffCorrected => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime;
    use crate::domain::{
        BurdenRatio, CheckInRecord, ClosedAs, EligibilitySummary, HandoffReason, HandoffResolution,
        RatioSource, ReceptionNumber, Validity, VerificationMethod,
    };

    fn completed() -> StoredCheckIn {
        StoredCheckIn {
            id: 42,
            reception_number: Some(ReceptionNumber(7)),
            record: CheckInRecord {
                eligibility: Some(EligibilitySummary {
                    validity: Validity::Valid,
                    insurer_number: Some("  139998".to_owned()),
                    symbol: Some("5123".to_owned()),
                    number: Some("0707".to_owned()),
                    branch: Some("01".to_owned()),
                    burden_ratio: Some(BurdenRatio(30)),
                    burden_ratio_source: Some(RatioSource::DerivedFromAge),
                    valid_from: None,
                    valid_until: None,
                    name_contains_black_circle: false,
                    reference_number: Some("00417".to_owned()),
                }),
                ..crate::fixtures::completed_card(
                    datetime!(2026-05-12 09:15:30 +09:00),
                    datetime!(2026-05-12 09:16:02 +09:00),
                )
            },
            resolution: None,
        }
    }

    #[test]
    fn the_wire_is_exactly_this_json() {
        let keys = MatchKeysV1 {
            kana: "ﾐﾎﾝ ﾊﾅｺ".to_owned(),
            birth_date: "1981-02-14".to_owned(),
        };
        let m = OutboxMessage::new(Kind::CheckInCompleted, &completed(), Some(keys));
        let golden = r#"{"v":1,"kind":"check_in_completed","check_in":{"id":42,"reception_number":7,"kiosk":"1F","started_at":"2026-05-12T09:15:30+09:00","finished_at":"2026-05-12T09:16:02+09:00","visit_date":"2026-05-12","outcome":"completed","handoff_reason":null,"verification":"card_via_reader","counts_toward_usage_rate":true,"eligibility":{"validity":"valid","insurer_number":"  139998","symbol":"5123","number":"0707","branch":"01","burden_ratio_percent":30,"burden_ratio_source":"derived_from_age","reference_number":"00417"},"resolution":null,"department":null,"patient":{"kana":"ﾐﾎﾝ ﾊﾅｺ","birth_date":"1981-02-14"}}}"#;
        assert_eq!(m.to_json(), golden);
        assert_eq!(OutboxMessage::from_json(golden).unwrap(), m);
    }

    #[test]
    fn the_department_on_the_check_in_goes_on_the_wire() {
        let mut s = completed();
        s.record.department = Some("09".to_owned());
        let m = OutboxMessage::new(Kind::CheckInCompleted, &s, None);
        assert_eq!(m.check_in.department.as_deref(), Some("09"));
        assert!(m.to_json().contains(r#""department":"09""#));
    }

    #[test]
    fn a_closed_handoff_carries_staffs_method_and_only_a_verified_one_registers() {
        let mut s = completed();
        s.record.outcome = Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        };
        s.record.verification = None;
        s.resolution = Some(HandoffResolution {
            closed_as: ClosedAs::Verified {
                verification: VerificationMethod::PortalScreenCheckedByStaff,
                identity: None,
                read_off: None,
            },
            note: "named the patient".to_owned(),
            staff: "sato".to_owned(),
            resolved_at: datetime!(2026-05-12 09:30:00 +09:00),
        });
        let m = OutboxMessage::new(Kind::HandoffClosed, &s, None);
        let json: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(
            json["check_in"]["resolution"],
            serde_json::json!({"closed_as": "verified", "staff": "sato",
                "resolved_at": "2026-05-12T09:30:00+09:00"})
        );
        assert_eq!(json["check_in"]["handoff_reason"], "confirm_portal_screen");
        assert_eq!(
            json["check_in"]["verification"],
            "portal_screen_checked_by_staff"
        );
        assert!(
            !m.to_json().contains("named the patient"),
            "notes stay home"
        );
        assert!(m.registers_a_visit());

        s.resolution.as_mut().unwrap().closed_as = ClosedAs::Unresolved;
        assert!(!OutboxMessage::new(Kind::HandoffClosed, &s, None).registers_a_visit());
        for kind in [
            Kind::HandoffOpened,
            Kind::CheckInEnded,
            Kind::HandoffCorrected,
        ] {
            assert!(!OutboxMessage::new(kind, &completed(), None).registers_a_visit());
        }
        assert!(OutboxMessage::new(Kind::CheckInCompleted, &completed(), None).registers_a_visit());
    }

    #[test]
    fn other_versions_and_shapes_are_refused() {
        let good = OutboxMessage::new(Kind::CheckInCompleted, &completed(), None).to_json();
        for (bad, why) in [
            (good.replace(r#""v":1"#, r#""v":2"#), "a newer version"),
            (good.replace(r#""v":1,"#, ""), "no version"),
            (good.replace(r#""v":1"#, r#""v":"1""#), "a version as text"),
            (
                good.replace("check_in_completed", "check_in_committed"),
                "an unknown kind",
            ),
            (
                good.replace(r#""kiosk":"1F""#, r#""kiosk":"1F","pin":"1234""#),
                "an extra field",
            ),
            (r#"{"id":1,"record":{}}"#.to_owned(), "a stored check-in"),
        ] {
            assert!(OutboxMessage::from_json(&bad).is_err(), "{why}: {bad}");
        }
    }

    #[test]
    fn kinds_name_themselves_as_serde_does() {
        for k in Kind::ALL {
            assert_eq!(name(k), k.as_str());
        }
        assert_eq!(
            Kind::of_commit(&Outcome::Cancelled {
                at: crate::domain::Step::Welcome
            }),
            Kind::CheckInEnded
        );
    }
}
