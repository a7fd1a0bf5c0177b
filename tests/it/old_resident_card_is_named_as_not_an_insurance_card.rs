//! The old Basic Resident Registration card (住基カード) has a JPKI-like token and a PIN, but it
//! is not an insurance card: the kiosk names it, asks for the My Number card, and never sends
//! it a PIN.

use crate::common;

use common::{CONSENT, Kiosk, script};
use uketsuke::domain::{HandoffReason, Outcome, Presented, Step, Tapped};
use uketsuke::flow::Screen;

#[test]
fn old_resident_card_is_named_as_not_an_insurance_card() {
    let mut kiosk = Kiosk::new("resident-card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::OldResidentCard
        }
    );
    let resident = kiosk.card();
    assert!(resident.apdu_count > 0, "told apart by its JPKI token");
    assert_eq!(resident.verify_count, 0, "no PIN is ever sent to it");
    assert_eq!(resident.tries_left, 3);

    // No PIN pad is offered for it.
    let error = kiosk
        .step(r#"{"pin": "1234"}"#)
        .expect_err("no PIN pad for an old resident card");
    assert!(error.0.contains("wrong_card"), "{error}");

    // The patient then finds the right card.
    kiosk.step_ok(r#"{"tap": "card"}"#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.run_ok(&script(CONSENT));
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(stored.record.presented, Some(Presented::MyNumberCard));
    assert_eq!(
        kiosk.card().verify_count,
        0,
        "the resident card stayed untouched"
    );
    assert_eq!(kiosk.thing("card").verify_count, 1);
}

#[test]
fn with_only_the_old_card_the_patient_can_call_staff_or_time_out() {
    let mut kiosk = Kiosk::new("resident-card", "valid-3", None);
    let stored = kiosk.run_ok(&script(r#"["tap", "call_staff"]"#));
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::PatientCalledStaff
        }
    );
    assert_eq!(stored.record.presented, Some(Presented::OldResidentCard));
    assert!(!stored.record.counts_toward_usage_rate);

    let mut kiosk = Kiosk::new("resident-card", "valid-3", None);
    let stored = kiosk.run_ok(&script(r#"["tap", {"wait_seconds": 120}]"#));
    assert_eq!(
        stored.record.outcome,
        Outcome::TimedOut {
            at: Step::WrongCard
        }
    );
    assert_eq!(stored.record.presented, Some(Presented::OldResidentCard));
    assert_eq!(kiosk.card().verify_count, 0);
}
