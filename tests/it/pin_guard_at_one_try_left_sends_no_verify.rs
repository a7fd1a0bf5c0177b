//! The PIN guard: with one try left the kiosk never offers the PIN pad and never sends a
//! VERIFY, so it can never lock a card; staff check the card photo by eye instead.

use crate::common;

use common::{Kiosk, check_in, script};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome, Presented};
use uketsuke::flow::Screen;

#[test]
fn a_card_with_one_try_left_is_handed_to_staff_without_a_verify() {
    let run = check_in("card,tries=1", "valid-3", None, &script(r#"["tap"]"#));
    let record = &run.stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck
        }
    );
    // The record says why (one try left), so the console can warn not to let the PIN be typed.
    assert_eq!(
        record.checklist,
        vec![
            ChecklistItem::NoPinAtDeskOneTryLeft,
            ChecklistItem::CompareCardPhoto
        ]
    );
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.identity, None);
    assert_eq!(record.verification, None);
    assert!(!record.counts_toward_usage_rate);
    assert_eq!(record.wrong_pin_entries, 0);
    assert!(run.stored.reception_number.is_some());
    assert!(
        !run.screens
            .iter()
            .any(|s| matches!(s, Screen::PinEntry { .. })),
        "the PIN pad was never shown: {:?}",
        run.screens
    );

    let card = run.card();
    assert_eq!(
        card.verify_count, 0,
        "no VERIFY with a PIN reached the card"
    );
    assert_eq!(card.tries_left, 1, "the last try is untouched");
}

#[test]
fn a_pin_typed_at_one_try_left_is_refused_by_the_kiosk() {
    let mut kiosk = Kiosk::new("card,tries=1", "valid-3", None);
    let error = kiosk
        .run(&script(r#"["tap", {"pin": "1234"}]"#))
        .expect_err("there is no PIN pad to type on");
    assert!(error.0.contains("step 2 (pin)"), "{error}");
    assert!(error.0.contains("handoff"), "{error}");
    assert_eq!(kiosk.card().verify_count, 0);
    assert_eq!(kiosk.card().tries_left, 1);
}

#[test]
fn two_wrong_pins_from_three_stop_at_one_left_and_never_reach_zero() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "0000"}"#);
    assert_eq!(kiosk.card().tries_left, 2);
    kiosk.step_ok(r#"{"pin": "9999"}"#);
    assert_eq!(kiosk.card().tries_left, 1);
    assert_eq!(kiosk.committed_count(), 1, "handed over at once");

    let stored = kiosk.last_stored();
    let record = &stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck
        }
    );
    assert_eq!(record.wrong_pin_entries, 2);
    assert_eq!(record.identity, None);
    assert!(!record.counts_toward_usage_rate);
    assert!(record.checklist.contains(&ChecklistItem::CompareCardPhoto));
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::NoPinAtDeskOneTryLeft)
    );

    // A third PIN (the one that would lock the card) cannot be typed.
    let error = kiosk
        .step(r#"{"pin": "1234"}"#)
        .expect_err("no PIN pad after the guard");
    assert!(error.0.contains("handoff"), "{error}");

    // Nor does tapping the card again bring the PIN pad back: the guard reads the counter.
    kiosk.step_ok(r#""ok""#);
    let second = kiosk.run_ok(&script(r#"["tap"]"#));
    assert_eq!(
        second.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck
        }
    );
    assert_eq!(second.record.wrong_pin_entries, 0);

    let card = kiosk.card();
    assert_eq!(card.verify_count, 2, "exactly the two typed PINs");
    assert_eq!(card.tries_left, 1, "the card never reached 0");
}
