//! Through a real pcscd: a card reset by another program, a slow card, an unexpected status
//! word and a garbled answer each become a clear screen, never a panic, never a PIN sent twice.

use crate::pcsc;

use std::time::Duration;

use ::pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use pcsc::{AFTER_PIN, PcscKiosk, READER, insert, insert_with, rig, simulated, view};
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard, lock};
use uketsuke::domain::Outcome;
use uketsuke::flow::{Credential, Screen};
use uketsuke::vpcd::{WhenDropped, WireFaults};

#[test]
fn a_card_reset_by_another_program_is_tapped_again_and_the_pin_never_sent_twice() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert!(matches!(kiosk.screen(), Screen::PinEntry { .. }));

    // Another program connects to the same reader and resets the card.
    let other = Context::establish(Scope::User).expect("a second PC/SC context");
    let name = std::ffi::CString::new(READER).expect("no NUL");
    let handle = other
        .connect(&name, ShareMode::Shared, Protocols::ANY)
        .expect("shared access");
    handle
        .disconnect(Disposition::ResetCard)
        .map_err(|(_, e)| e)
        .expect("reset");
    assert!(!lock(&card).is_verified());

    kiosk.step_ok(r#"{"pin": "1234"}"#);
    // PC/SC refused the VERIFY on the reset handle; the kiosk cannot know that, so it asks for
    // the PIN again rather than resend it.
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: false,
            credential: Credential::Card
        }
    );
    assert_eq!(view(&card).verify_count, 0, "the reset handle sent nothing");
    // The card never left: the kiosk starts over with it at once.
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(view(&card).verify_count, 1);
    assert_eq!(view(&card).tries_left, 3);
}

#[test]
fn a_slow_card_still_checks_in() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let faults = WireFaults {
        delay: Duration::from_millis(150),
        ..WireFaults::default()
    };
    let _on_reader = insert_with(&card, faults, WhenDropped::StayOff);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(kiosk.finish(AFTER_PIN).record.outcome, Outcome::Completed);
    assert_eq!(view(&card).apdu_count, 12);
}

#[test]
fn an_unexpected_status_word_asks_for_another_tap() {
    let Some(_rig) = rig() else { return };
    // The empty VERIFY that reads the tries left (the 5th APDU) answers 6F00, "no precise
    // diagnosis".
    let options = SimOptions {
        status_override: Some((4, [0x6F, 0x00])),
        ..SimOptions::default()
    };
    let card = SimulatedCard::new(SimProfile::MyNumberCard, options).shared();
    let on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: false,
            credential: Credential::Card
        }
    );
    assert_eq!(view(&card).verify_count, 0);
    // The patient lifts the card (pcscd sees it go) and taps again.
    on_reader.remove();
    kiosk.step_ok(r#""remove""#);
    let _again = insert(&card);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(kiosk.finish(AFTER_PIN).record.outcome, Outcome::Completed);
    assert_eq!(view(&card).verify_count, 1);
}

#[test]
fn a_garbled_answer_to_the_pin_is_never_answered_by_resending_it() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    // The 10th APDU is the VERIFY with the PIN (identify 3, the certificate 4, tries left 2): the
    // card checks it, but only one byte of its answer arrives.
    let faults = WireFaults {
        truncate_at: Some(9),
        ..WireFaults::default()
    };
    let on_reader = insert_with(&card, faults, WhenDropped::StayOff);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: false,
            credential: Credential::Card
        }
    );
    assert_eq!(view(&card).verify_count, 1, "sent once, not resent");
    // The patient lifts the card (pcscd sees it go) and taps again.
    on_reader.remove();
    kiosk.step_ok(r#""remove""#);
    let _again = insert(&card);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(kiosk.finish(AFTER_PIN).record.outcome, Outcome::Completed);
    assert_eq!(
        view(&card).verify_count,
        2,
        "once per PIN the patient typed"
    );
    assert_eq!(view(&card).tries_left, 3);
}

#[test]
fn a_garbled_first_answer_asks_for_another_tap() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let faults = WireFaults {
        truncate_at: Some(0),
        ..WireFaults::default()
    };
    let _on_reader = insert_with(&card, faults, WhenDropped::StayOff);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.screen(), Screen::NotRead);
    assert_eq!(kiosk.committed_count(), 0);
}
