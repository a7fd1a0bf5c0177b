//! Through a real pcscd: whichever APDU the card or phone leaves the reader at, the kiosk does
//! not crash, asks for another tap, never sends one typed PIN twice, never locks the card, and
//! completes the check-in after the re-tap.

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, simulated, view};
use uketsuke::domain::{IdentityMethod, Outcome, VerificationMethod};
use uketsuke::flow::{Credential, Screen};
use uketsuke::vpcd::VirtualCard;

/// A clean check-in's APDU count for this profile, through pcscd.
fn clean_path(profile: &str) -> usize {
    let card = simulated(profile);
    let on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let total = view(&card).apdu_count;
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(
        view(&card).apdu_count,
        total,
        "the card's part ends with the PIN"
    );
    take_away(&mut kiosk, on_reader);
    total
}

/// Takes the card off and waits until pcscd has seen it go. (vpcd can miss a new card that
/// connects within a few milliseconds of the last one leaving; no person is that quick.)
fn take_away(kiosk: &mut PcscKiosk, on_reader: VirtualCard) {
    on_reader.remove();
    assert!(
        kiosk.driver.reader.wait_for_removal(pcsc::EVENT_WAIT),
        "pcscd never saw the card go"
    );
}

fn type_pin_if_asked(kiosk: &mut PcscKiosk) -> bool {
    if matches!(kiosk.screen(), Screen::PinEntry { .. }) {
        kiosk.step_ok(r#"{"pin": "1234"}"#);
        true
    } else {
        false
    }
}

#[test]
fn card_removed_at_every_apdu_through_pcscd() {
    let Some(_rig) = rig() else { return };
    removed_at_every_apdu(
        "card",
        IdentityMethod::PinOnCard,
        VerificationMethod::CardViaReader,
    );
}

#[test]
fn android_phone_removed_at_every_apdu_through_pcscd() {
    let Some(_rig) = rig() else { return };
    removed_at_every_apdu(
        "phone",
        IdentityMethod::PinOnPhone,
        VerificationMethod::SmartphoneViaReader,
    );
}

fn removed_at_every_apdu(profile: &str, identity: IdentityMethod, method: VerificationMethod) {
    let total = clean_path(profile);
    assert_eq!(total, 12, "{profile}: the minimum APDU count");
    for n in 0..=total {
        let spec = format!("{profile},remove-after={n}");
        let card = simulated(&spec);
        let on_reader = insert(&card);
        let mut kiosk = PcscKiosk::new("valid-3");
        let mut pins_typed = 0;

        kiosk.step_ok(r#""tap""#);
        if type_pin_if_asked(&mut kiosk) {
            pins_typed += 1;
        }
        let first = view(&card);
        assert!(
            first.verify_count <= pins_typed,
            "{spec}: {} VERIFYs for {pins_typed} typed PIN",
            first.verify_count
        );
        let screen = kiosk.screen();
        let on_reader = if n < total {
            assert_eq!(first.apdu_count, n, "{spec}: the card answered exactly N");
            let expected = if n == 0 {
                Screen::NotRead
            } else {
                // The words name a phone once the phone was told from a card (past Reading).
                let phone_known = profile == "phone"
                    && kiosk
                        .driver
                        .screens
                        .iter()
                        .any(|s| matches!(s, Screen::PinEntry { .. } | Screen::Verifying));
                Screen::TapAgain {
                    pin_kept: false,
                    credential: if phone_known {
                        Credential::Phone
                    } else {
                        Credential::Card
                    },
                }
            };
            assert_eq!(
                screen, expected,
                "{spec}: screens {:?}",
                kiosk.driver.screens
            );
            assert_eq!(
                kiosk.committed_count(),
                0,
                "{spec}: nothing ends on a removal"
            );
            // pcscd notices the card has gone; the patient taps again.
            kiosk.step_ok(r#""remove""#);
            on_reader.remove();
            let again = insert(&card);
            kiosk.step_ok(r#""tap""#);
            let before = view(&card).verify_count;
            if type_pin_if_asked(&mut kiosk) {
                pins_typed += 1;
            }
            let sent = view(&card).verify_count - before;
            assert!(sent <= 1, "{spec}: {sent} VERIFYs for one typed PIN");
            again
        } else {
            assert!(
                matches!(screen, Screen::ConsentChoice { .. }),
                "{spec}: no removal, the flow goes on: {screen:?}"
            );
            on_reader
        };

        let stored = kiosk.finish(AFTER_PIN);
        let record = &stored.record;
        assert_eq!(record.outcome, Outcome::Completed, "{spec}");
        assert_eq!(record.identity, Some(identity), "{spec}");
        assert_eq!(record.verification, Some(method), "{spec}");
        assert!(record.counts_toward_usage_rate, "{spec}");
        assert_eq!(record.wrong_pin_entries, 0, "{spec}");
        let seen = view(&card);
        assert!(
            seen.verify_count >= 1 && seen.verify_count <= pins_typed,
            "{spec}: {} VERIFYs for {pins_typed} typed PINs",
            seen.verify_count
        );
        assert_eq!(seen.tries_left, 3, "{spec}: the card is never locked");
        assert_eq!(kiosk.committed_count(), 1, "{spec}");
        take_away(&mut kiosk, on_reader);
    }
}
