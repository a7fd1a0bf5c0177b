//! Stored check-ins for tests and benchmarks, written once: a completed check-in with a My
//! Number Card and its PIN, confirmed through the reader, counted toward the usage rate, no
//! eligibility summary, consent unanswered, no name, no department. Callers change what their
//! case needs with struct update syntax (`CheckInRecord { kiosk: …, ..completed_card(…) }`).
//!
//! Built only for tests and with the simulators (`feature = "sim"`: the integration tests and
//! the benchmarks); the terminal image leaves it out.

use chrono::{DateTime, FixedOffset};

use crate::domain::{
    CheckInRecord, ConsentAnswers, IdentityMethod, Outcome, Presented, VerificationMethod,
};
use crate::rules::JST;

/// A completed card check-in at kiosk `1F`, started at `started_at` and ended at `finished_at`,
/// visited on `finished_at`'s day in Japan.
pub fn completed_card(
    started_at: DateTime<FixedOffset>,
    finished_at: DateTime<FixedOffset>,
) -> CheckInRecord {
    CheckInRecord {
        started_at,
        finished_at,
        visit_date: finished_at.with_timezone(&JST).date_naive(),
        presented: Some(Presented::MyNumberCard),
        identity: Some(IdentityMethod::PinOnCard),
        verification: Some(VerificationMethod::CardViaReader),
        counts_toward_usage_rate: true,
        expected_route: None,
        consent: ConsentAnswers::default(),
        eligibility: None,
        outcome: Outcome::Completed,
        checklist: Vec::new(),
        wrong_pin_entries: 0,
        kiosk: "1F".to_owned(),
        patient_name: None,
        department: None,
    }
}
