//! The patient presses "cancel": the check-in is recorded as cancelled at the step it was at,
//! with no reception number (nobody waits to be called), and the kiosk returns to welcome.

use crate::common;

use common::{Kiosk, script};
use uketsuke::domain::{Outcome, Step};
use uketsuke::flow::Screen;

#[test]
fn cancel_records_a_cancelled_check_in() {
    let table: [(&str, &str, Step); 9] = [
        (
            "wrong card",
            r#"[{"tap": "transit"}, "cancel"]"#,
            Step::WrongCard,
        ),
        (
            "nothing read",
            r#"[{"tap": "mute"}, "cancel"]"#,
            Step::WrongCard,
        ),
        (
            "tap again",
            r#"["tap", "remove", {"pin": "1234"}, "cancel"]"#,
            Step::TapAgain,
        ),
        ("PIN pad", r#"["tap", "cancel"]"#, Step::PinEntry),
        (
            "PIN pad after a wrong PIN",
            r#"["tap", {"pin": "0000"}, "cancel"]"#,
            Step::PinEntry,
        ),
        (
            "consent choice",
            r#"["tap", {"pin": "1234"}, "cancel"]"#,
            Step::ConsentChoice,
        ),
        (
            "high-cost limit",
            r#"["tap", {"pin": "1234"}, {"consent": "all"}, "cancel"]"#,
            Step::HighCostLimit,
        ),
        (
            "prescription",
            r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, "cancel"]"#,
            Step::Prescription,
        ),
        (
            "document menu",
            r#"["paper_documents", "cancel"]"#,
            Step::DocumentMenu,
        ),
    ];
    for (name, steps, step) in table {
        let mut kiosk = Kiosk::new("card", "valid-3", None);
        let stored = kiosk
            .run(&script(steps))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let record = &stored.record;
        assert_eq!(record.outcome, Outcome::Cancelled { at: step }, "{name}");
        assert_eq!(stored.reception_number, None, "{name}: no reception number");
        assert_eq!(record.verification, None, "{name}");
        assert!(!record.counts_toward_usage_rate, "{name}");
        assert!(record.checklist.is_empty(), "{name}: nothing for staff");
        assert_eq!(kiosk.screen(), Screen::Cancelled, "{name}");
        assert_eq!(kiosk.committed_count(), 1, "{name}");
        let card = kiosk.thing("card");
        assert_eq!(
            card.tries_left,
            3 - record.wrong_pin_entries,
            "{name}: only the wrong PINs spent tries; the cancel spent none"
        );

        // The cancelled screen goes back to welcome by itself.
        kiosk.wait(30);
        assert_eq!(kiosk.screen(), Screen::Welcome, "{name}");
        assert!(!kiosk.driver.flow.in_session(), "{name}");
    }
}

#[test]
fn cancel_at_the_consent_item_screen_is_recorded_there() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    // Only the first item answered: the kiosk waits on the second.
    let refused = kiosk.step(r#"{"consent": {"medical_and_drug_info": false}}"#);
    assert!(refused.is_err());
    assert!(matches!(kiosk.screen(), Screen::ConsentItem { .. }));
    kiosk.step_ok(r#""cancel""#);
    let stored = kiosk.last_stored();
    assert_eq!(
        stored.record.outcome,
        Outcome::Cancelled {
            at: Step::ConsentItem
        }
    );
    assert_eq!(stored.reception_number, None);
    assert_eq!(stored.record.consent.medical_and_drug_info, Some(false));
    assert_eq!(stored.record.consent.surgery_info, None);
}

#[test]
fn cancel_on_the_welcome_screen_records_nothing() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    let error = kiosk
        .run(&script(r#"["cancel"]"#))
        .expect_err("no check-in to cancel");
    assert!(error.0.contains("no check-in was recorded"), "{error}");
    assert_eq!(kiosk.committed_count(), 0);
    assert!(kiosk.rows_in_month(2026, 11).is_empty());
}

#[test]
fn the_next_check_in_after_a_cancel_gets_a_reception_number() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    let cancelled = kiosk.run_ok(&script(r#"["tap", "cancel"]"#));
    assert_eq!(cancelled.reception_number, None);
    kiosk.step_ok(r#""ok""#);
    let done = kiosk.run_ok(&script(common::HAPPY));
    assert_eq!(done.record.outcome, Outcome::Completed);
    assert!(done.reception_number.is_some());
    assert_ne!(done.id, cancelled.id);
    assert_eq!(kiosk.rows_in_month(2026, 11).len(), 2);
}
