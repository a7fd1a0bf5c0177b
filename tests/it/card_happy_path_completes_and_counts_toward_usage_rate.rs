//! A patient taps a My Number card, types the right PIN and answers every question: the
//! check-in completes, is verified by the card through the reader, counts toward the clinic's
//! usage rate, shows 3割 derived from the age, and the card saw exactly one PIN.

use crate::common;

use common::{HAPPY, check_in, script};
use uketsuke::date;
use uketsuke::domain::{
    BurdenRatio, ConsentMode, IdentityMethod, Outcome, PrescriptionForm, Presented, RatioSource,
    Validity, VerificationMethod,
};
use uketsuke::flow::{Credential, Screen};
use uketsuke::report::MonthReport;
use uketsuke::rules::FacilityConfig;

#[test]
fn card_happy_path_completes_and_counts_toward_usage_rate() {
    // A facility that shows the share on the done screen (off by default: review row 35).
    let facility = FacilityConfig {
        show_burden_ratio: true,
        ..FacilityConfig::default()
    };
    let run = check_in("card", "valid-3", Some(facility), &script(HAPPY));
    let record = &run.stored.record;

    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);
    assert_eq!(record.wrong_pin_entries, 0);
    assert_eq!(record.visit_date, date!(2026 - 11 - 21));
    assert!(record.checklist.is_empty(), "{:?}", record.checklist);

    let eligibility = record
        .eligibility
        .as_ref()
        .expect("eligibility summary kept");
    assert_eq!(eligibility.validity, Validity::Valid);
    assert_eq!(eligibility.insurer_number.as_deref(), Some("01130012"));
    assert_eq!(eligibility.burden_ratio, Some(BurdenRatio(30)));
    assert_eq!(
        eligibility.burden_ratio.map(BurdenRatio::wari).as_deref(),
        Some("3割")
    );
    assert_eq!(
        eligibility.burden_ratio_source,
        Some(RatioSource::DerivedFromAge)
    );
    assert!(!eligibility.name_contains_black_circle);

    assert_eq!(record.consent.mode, Some(ConsentMode::All));
    assert_eq!(record.consent.medical_and_drug_info, Some(true));
    assert_eq!(record.consent.surgery_info, Some(true));
    assert_eq!(record.consent.health_check_info, Some(true));
    assert_eq!(record.consent.high_cost_limit_info, Some(true));
    assert_eq!(
        record.consent.prescription_form,
        Some(PrescriptionForm::Electronic)
    );

    let number = run.stored.reception_number.expect("a reception number");
    assert!(run.stored.resolution.is_none());

    // What the patient saw: the PIN pad for the card with three tries, then done with 3割 and
    // the very number stored.
    assert!(run.screens.contains(&Screen::PinEntry {
        credential: Credential::Card,
        tries_left: 3,
        last_attempt_wrong: false,
    }));
    assert_eq!(
        run.screens.last(),
        Some(&Screen::Done {
            burden_ratio: Some(BurdenRatio(30)),
            reception_number: Some(number),
            certificate: None,
        })
    );

    // The card itself: exactly one VERIFY with a PIN, and the counter back to its maximum.
    let card = run.card();
    assert_eq!(card.verify_count, 1);
    assert_eq!(card.tries_left, 3);

    // The month's report counts it as a card read by the reader that counts.
    let rows = run.kiosk.rows_in_month(2026, 11);
    assert_eq!(rows, vec![run.stored.clone()]);
    let report = MonthReport::from_check_ins("2026-11", &rows);
    let row = report
        .methods
        .iter()
        .find(|r| r.method == VerificationMethod::CardViaReader)
        .expect("a row per method");
    assert_eq!((row.check_ins, row.counted), (1, 1));
    assert_eq!(report.pending_staff, 0);
}
