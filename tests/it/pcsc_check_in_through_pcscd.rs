//! Through a real pcscd: whole check-ins for a card and an Android phone, the PIN counter on
//! the (virtual) card itself, and the guard that never sends a VERIFY at one try left.

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, simulated, view};
use uketsuke::domain::{HandoffReason, IdentityMethod, Outcome, VerificationMethod};
use uketsuke::flow::Screen;

#[test]
fn a_card_checks_in_with_twelve_apdus_and_one_verify() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);
    let seen = view(&card);
    assert_eq!(
        seen.apdu_count, 12,
        "the minimum: 9 + one READ per 256 certificate bytes (751 here)"
    );
    assert_eq!(seen.verify_count, 1);
    assert_eq!(seen.tries_left, 3);
}

#[test]
fn an_android_phone_checks_in_with_its_pin_typed_on_the_kiosk() {
    let Some(_rig) = rig() else { return };
    let phone = simulated("phone");
    let _on_reader = insert(&phone);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.identity, Some(IdentityMethod::PinOnPhone));
    assert_eq!(
        record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
    assert!(record.counts_toward_usage_rate);
    assert_eq!(view(&phone).verify_count, 1);
}

#[test]
fn a_wrong_pin_costs_exactly_one_try_on_the_card() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "9999"}"#);
    assert_eq!(
        view(&card).tries_left,
        2,
        "one wrong PIN, one try: the card's own counter"
    );
    assert_eq!(
        view(&card).verify_count,
        1,
        "sent once, never retransmitted"
    );
    assert!(
        matches!(
            kiosk.screen(),
            Screen::PinEntry {
                tries_left: 2,
                last_attempt_wrong: true,
                ..
            }
        ),
        "{:?}",
        kiosk.screen()
    );
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(stored.record.wrong_pin_entries, 1);
    // A successful VERIFY resets the counter, as on the real card.
    assert_eq!(view(&card).tries_left, 3);
    assert_eq!(view(&card).verify_count, 2);
}

#[test]
fn at_one_try_left_no_verify_is_sent_and_staff_check_by_eye() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card,tries=1");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    let screen = kiosk.screen();
    assert!(
        matches!(
            screen,
            Screen::Handoff {
                reason: HandoffReason::StaffVisualCheck,
                ..
            }
        ),
        "{screen:?}"
    );
    let seen = view(&card);
    assert_eq!(seen.verify_count, 0, "no VERIFY at one try left");
    assert_eq!(seen.tries_left, 1, "the card is exactly as it was");
    assert_eq!(kiosk.committed_count(), 1);
}

#[test]
fn two_wrong_pins_stop_at_one_try_left_and_never_lock_the_card() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1111"}"#);
    kiosk.step_ok(r#"{"pin": "2222"}"#);
    let seen = view(&card);
    assert_eq!(seen.verify_count, 2);
    assert_eq!(seen.tries_left, 1);
    assert!(
        matches!(
            kiosk.screen(),
            Screen::Handoff {
                reason: HandoffReason::StaffVisualCheck,
                ..
            }
        ),
        "{:?}",
        kiosk.screen()
    );
}
