//! A double tap cannot answer the next question: on the consent, high-cost limit and
//! prescription screens the flow ignores answers that arrive within the facility's
//! `consent_dead_time_ms` (default 600 ms) of the screen appearing, and takes them after it.
//! "Back" returns to the screen before (the document menu to where it was opened from) and is
//! not offered on the first consent screen. Virtual time: no clock, no sleeping.

use std::time::Duration;

use crate::common::Kiosk;
use uketsuke::domain::{ConsentMode, Outcome, PrescriptionForm, Tapped};
use uketsuke::flow::{Input, PatientAction, Screen};
use uketsuke::rules::FacilityConfig;

fn at_consent_choice(facility: Option<FacilityConfig>) -> Kiosk {
    let mut kiosk = Kiosk::new("card", "valid-3", facility);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert!(
        matches!(kiosk.screen(), Screen::ConsentChoice { .. }),
        "{:?}",
        kiosk.screen()
    );
    kiosk
}

fn tap(kiosk: &mut Kiosk, action: PatientAction) {
    kiosk.input(Input::Patient(action));
}

fn later(kiosk: &mut Kiosk, ms: u64) {
    kiosk.driver.wait(Duration::from_millis(ms));
}

#[test]
fn an_answer_within_the_dead_time_is_ignored_and_one_after_it_counts() {
    let mut kiosk = at_consent_choice(None);
    let from = kiosk.driver.flow.answers_taken_from().expect("a question");
    println!(
        "consent choice takes answers {} ms after now",
        (from - kiosk.driver.now).num_milliseconds()
    );
    assert_eq!(
        from - kiosk.driver.now,
        chrono::TimeDelta::milliseconds(600),
        "default dead time, from the screen change"
    );
    // The second tap of the PIN's OK lands on "agree to all": ignored.
    tap(&mut kiosk, PatientAction::ConsentAll);
    assert!(matches!(kiosk.screen(), Screen::ConsentChoice { .. }));
    later(&mut kiosk, 599);
    tap(&mut kiosk, PatientAction::ConsentAll);
    assert!(
        matches!(kiosk.screen(), Screen::ConsentChoice { .. }),
        "599 ms is still within"
    );
    later(&mut kiosk, 1);
    tap(&mut kiosk, PatientAction::DoNotConsent);
    assert_eq!(kiosk.screen(), Screen::HighCostLimit, "600 ms: taken");
    // A double tap on "do not agree" falls on the limit question: ignored.
    tap(&mut kiosk, PatientAction::AnswerHighCostLimit(true));
    assert_eq!(kiosk.screen(), Screen::HighCostLimit);
    later(&mut kiosk, 700);
    tap(&mut kiosk, PatientAction::AnswerHighCostLimit(false));
    assert_eq!(kiosk.screen(), Screen::Prescription);
    tap(
        &mut kiosk,
        PatientAction::ChoosePrescription(PrescriptionForm::Electronic),
    );
    tap(&mut kiosk, PatientAction::Back);
    assert_eq!(kiosk.screen(), Screen::Prescription, "back is ignored too");
    later(&mut kiosk, 700);
    tap(
        &mut kiosk,
        PatientAction::ChoosePrescription(PrescriptionForm::Paper),
    );
    kiosk.driver.wait_for_machines();
    let stored = kiosk.stored(kiosk.driver.committed().last().unwrap().check_in_id);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    let consent = stored.record.consent;
    assert_eq!(consent.mode, Some(ConsentMode::Refused));
    assert_eq!(consent.medical_and_drug_info, Some(false));
    assert_eq!(
        consent.high_cost_limit_info,
        Some(false),
        "not the early tap"
    );
    assert_eq!(consent.prescription_form, Some(PrescriptionForm::Paper));
}

#[test]
fn the_dead_time_is_a_facility_setting() {
    let facility = FacilityConfig {
        consent_dead_time_ms: 0,
        ..FacilityConfig::default()
    };
    let mut kiosk = at_consent_choice(Some(facility));
    tap(&mut kiosk, PatientAction::ConsentAll);
    assert_eq!(kiosk.screen(), Screen::HighCostLimit, "0 ms: taken at once");
    let bad = FacilityConfig::check_json(r#"{"consent_dead_time_ms": 5000}"#, "facility.json")
        .expect_err("5 s is refused");
    assert!(
        format!("{bad:?}").contains("consent_dead_time_ms"),
        "{bad:?}"
    );
}

#[test]
fn back_returns_to_the_screen_before_and_is_not_offered_first() {
    let mut kiosk = at_consent_choice(None);
    assert!(!kiosk.driver.flow.view().can_go_back, "nothing before it");
    assert!(kiosk.step(r#""back""#).is_err(), "no back on the choice");
    kiosk.step_ok(r#"{"consent": "all"}"#);
    assert_eq!(kiosk.screen(), Screen::HighCostLimit);
    assert!(kiosk.driver.flow.view().can_go_back);
    kiosk.step_ok(r#""back""#);
    assert!(matches!(kiosk.screen(), Screen::ConsentChoice { .. }));

    // The document menu: back to welcome (nothing recorded), or to the wrong-card screen.
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""paper_documents""#);
    assert!(kiosk.driver.flow.view().can_go_back);
    kiosk.step_ok(r#""back""#);
    assert_eq!(kiosk.screen(), Screen::Welcome);
    assert!(!kiosk.driver.flow.in_session(), "the menu left no session");
    assert_eq!(kiosk.committed_count(), 0, "nothing to record");
    kiosk.step_ok(r#"{"tap": "transit"}"#);
    let wrong = kiosk.screen();
    assert!(
        matches!(
            wrong,
            Screen::WrongCard {
                kind: Tapped::TransitCard
            }
        ),
        "{wrong:?}"
    );
    kiosk.step_ok(r#""paper_documents""#);
    kiosk.step_ok(r#""back""#);
    assert_eq!(kiosk.screen(), wrong);
}
