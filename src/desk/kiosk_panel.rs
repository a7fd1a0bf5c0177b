//! The desk's rules for the kiosk's own staff panel: what staff answer there about a patient
//! waiting for a visual check (目視確認), and what those answers record.
//!
//! The console records a visual check only with both of its ticks (「顔写真と本人を見比べた」
//! and 「受付のカードリーダーで資格確認の結果が表示された」) and a second press. The panel asks
//! the same two things as two questions in turn, and each answer goes to [`decide`] as the tick
//! it stands for: nothing here says "yes" for staff. The kiosk itself did not check eligibility
//! for the card (the PIN was never used), so without a result from the desk's certified reader
//! nothing is closed: the handoff stays open for the desk and does not count.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use super::{Decision, DeskAction, FieldError, decide, error};
use crate::domain::StoredCheckIn;
use crate::rules::Rules;

/// What staff answered on the kiosk's panel, one question at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KioskAnswers {
    /// 「顔写真と本人が一致した」: the card's photo was compared with the patient and matched.
    pub photo_compared: bool,
    /// 「はい、結果が表示された」: the desk's card reader showed the eligibility result for this
    /// card. `false`: staff said it did not (or not yet).
    pub result_shown: bool,
}

/// What the panel's answers do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KioskVisualCheck {
    /// Both seen: closed exactly as the console's visual check (counted by the rules).
    Close(Decision),
    /// The photo matched but no eligibility result was seen: nothing is closed or counted; the
    /// handoff stays open for the desk. `note` (Japanese, for the audit log) says what staff
    /// saw and what is left to do.
    LeaveForDesk { note: String },
}

/// Decides what the kiosk's panel records for `check_in` from what `staff` answered at the
/// kiosk named `kiosk`, at `now`. Err: the fields to correct (a photo that was not compared,
/// or what [`decide`] refuses, e.g. a handoff a visual check does not fit).
pub fn kiosk_visual_check(
    rules: &Rules,
    check_in: &StoredCheckIn,
    answers: KioskAnswers,
    kiosk: &str,
    staff: &str,
    now: DateTime<FixedOffset>,
) -> Result<KioskVisualCheck, Vec<FieldError>> {
    if !answers.photo_compared {
        return Err(vec![error(
            "seen_photo",
            "顔写真と本人を見比べていないので、記録していません。",
            "The photo was not compared with the patient: nothing is recorded.",
        )]);
    }
    let tick = |seen: bool| if seen { "yes" } else { "" }.to_owned();
    let form = BTreeMap::from([
        (
            "action".to_owned(),
            DeskAction::VisualCheck.as_str().to_owned(),
        ),
        (
            "note".to_owned(),
            format!("受付機（{kiosk}）のスタッフモードで確認"),
        ),
        ("seen_photo".to_owned(), tick(answers.photo_compared)),
        ("seen_result".to_owned(), tick(answers.result_shown)),
        // The second question, answered after its dead time, is the second press.
        ("confirm".to_owned(), "yes".to_owned()),
    ]);
    match decide(rules, check_in, &form, staff, now) {
        Ok(decision) => Ok(KioskVisualCheck::Close(decision)),
        // Only the result is missing: the photo check stands, the desk finishes it.
        Err(errors) if errors.iter().all(|e| e.field == "seen_result") => {
            Ok(KioskVisualCheck::LeaveForDesk {
                note: format!(
                    "受付機（{kiosk}）のスタッフモードで{staff}が顔写真と本人を見比べた（一致）。資格確認の結果は表示されていないため記録していない（利用率に数えない）。受付のカードリーダーで資格確認してください。"
                ),
            })
        }
        Err(errors) => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        CheckInRecord, ClosedAs, HandoffReason, IdentityMethod, Outcome, Presented,
        VerificationMethod,
    };

    fn handed_over(reason: HandoffReason) -> StoredCheckIn {
        let at = crate::datetime!(2026-11-30 10:00 +09:00);
        StoredCheckIn {
            id: 7,
            reception_number: None,
            record: CheckInRecord {
                started_at: at,
                finished_at: at,
                visit_date: at.date_naive(),
                presented: Some(Presented::MyNumberCard),
                identity: None,
                verification: None,
                counts_toward_usage_rate: false,
                expected_route: None,
                consent: Default::default(),
                eligibility: None,
                outcome: Outcome::HandedToStaff { reason },
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: "1F".to_owned(),
                patient_name: None,
                department: None,
            },
            resolution: None,
        }
    }

    fn answer(
        reason: HandoffReason,
        photo_compared: bool,
        result_shown: bool,
    ) -> Result<KioskVisualCheck, Vec<FieldError>> {
        kiosk_visual_check(
            &Rules::embedded(),
            &handed_over(reason),
            KioskAnswers {
                photo_compared,
                result_shown,
            },
            "1F",
            "sato",
            crate::datetime!(2026-11-30 10:05 +09:00),
        )
    }

    #[test]
    fn only_both_answers_close_and_count_a_kiosk_visual_check() {
        let Ok(KioskVisualCheck::Close(both)) = answer(HandoffReason::StaffVisualCheck, true, true)
        else {
            panic!("both answers close it");
        };
        assert!(both.counts_toward_usage_rate);
        assert_eq!(both.resolution.staff, "sato");
        assert_eq!(
            both.resolution.closed_as,
            ClosedAs::Verified {
                verification: VerificationMethod::CardViaReader,
                identity: Some(IdentityMethod::StaffVisualCheck),
                read_off: None,
            }
        );

        let photo_only = answer(HandoffReason::StaffVisualCheck, true, false);
        let Ok(KioskVisualCheck::LeaveForDesk { note }) = photo_only else {
            panic!("the photo alone leaves it for the desk: {photo_only:?}");
        };
        assert!(note.contains("資格確認の結果は表示されていない"), "{note}");
        assert!(note.contains("利用率に数えない"), "{note}");

        for result_shown in [false, true] {
            let errors = answer(HandoffReason::StaffVisualCheck, false, result_shown)
                .expect_err("no photo, nothing");
            assert_eq!(errors[0].field, "seen_photo");
        }
    }

    #[test]
    fn the_panel_cannot_close_a_handoff_a_visual_check_does_not_fit() {
        for (photo, result) in [(true, true), (true, false)] {
            let errors = answer(HandoffReason::GatewayUnavailable, photo, result)
                .expect_err("not offered for an outage");
            assert_eq!(errors[0].field, "action");
        }
    }
}
