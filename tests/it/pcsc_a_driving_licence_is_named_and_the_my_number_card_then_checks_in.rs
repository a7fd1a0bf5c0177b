//! Issue 13 report 1, through a real pcscd: a Japanese driving licence (Type B, no JPKI
//! application) tapped instead of the My Number card is named as "not the My Number card",
//! never taken for a phone; nothing is recorded as a portal-screen check, and the My Number
//! card tapped next completes the same check-in.

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, simulated, view};
use uketsuke::domain::{HandoffReason, Outcome, Presented, Step, Tapped, VerificationMethod};
use uketsuke::flow::Screen;

#[test]
fn a_driving_licence_is_named_then_the_my_number_card_completes_the_same_check_in() {
    let Some(_rig) = rig() else { return };
    let licence = simulated("licence");
    let on_reader = insert(&licence);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::OtherCard
        }
    );
    let seen = view(&licence);
    assert_eq!(
        seen.apdu_count, 2,
        "SELECT JPKI AP and the payment directory, nothing more"
    );
    assert_eq!(seen.verify_count, 0);
    assert_eq!(kiosk.committed_count(), 0, "nothing recorded yet");

    on_reader.remove();
    kiosk.step_ok(r#""remove""#);
    let card = simulated("card");
    let _on_reader = insert(&card);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(kiosk.committed_count(), 1, "one check-in, not two");
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);
    let seen = view(&card);
    assert_eq!(seen.apdu_count, 12, "the card's whole check-in, unchanged");
    assert_eq!(seen.verify_count, 1);
    assert_eq!(
        view(&licence).apdu_count,
        2,
        "nothing more sent to the licence"
    );
}

#[test]
fn a_driving_licence_left_alone_is_recorded_as_itself_never_as_a_portal_screen_check() {
    let Some(_rig) = rig() else { return };
    let licence = simulated("licence");
    let _on_reader = insert(&licence);
    let mut kiosk = PcscKiosk::new("valid-3");
    let stored = kiosk.finish(r#"["tap", {"wait_seconds": 91}]"#);
    let record = &stored.record;
    assert_eq!(
        record.outcome,
        Outcome::TimedOut {
            at: Step::WrongCard
        }
    );
    assert_eq!(record.presented, Some(Presented::OtherCard));
    assert_eq!(record.verification, None);
    assert_ne!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        }
    );
    assert!(!record.counts_toward_usage_rate);
    assert!(
        !kiosk
            .driver
            .screens
            .iter()
            .any(|s| matches!(s, Screen::Handoff { .. } | Screen::PinEntry { .. })),
        "{:?}",
        kiosk.driver.screens
    );
    assert_eq!(view(&licence).verify_count, 0);
}
