//! Whichever APDU the card leaves the reader at, the kiosk asks for another tap, keeps going
//! after it, never sends one typed PIN twice and never locks the card.

use crate::common;

use common::{CONSENT, HAPPY, Kiosk, check_in, script};
use uketsuke::domain::{IdentityMethod, Outcome, VerificationMethod};
use uketsuke::flow::{Credential, Screen};

/// APDUs the card receives on a clean card check-in, and how many of them come with the tap
/// and the PIN (all of them: the rest of the check-in does not touch the card).
fn clean_path(profile: &str) -> usize {
    let mut kiosk = Kiosk::new(profile, "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let after_tap_and_pin = kiosk.card().apdu_count;
    let run = check_in(profile, "valid-3", None, &script(HAPPY));
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    let total = run.card().apdu_count;
    assert_eq!(
        after_tap_and_pin, total,
        "the card's part ends with the PIN"
    );
    // Identify, read the counter, VERIFY, read the certificate and sign: well over a handful.
    assert!(total >= 8, "{total} APDUs");
    total
}

/// Types the PIN if the PIN pad is shown; returns whether it did.
fn type_pin_if_asked(kiosk: &mut Kiosk) -> bool {
    if matches!(kiosk.screen(), Screen::PinEntry { .. }) {
        kiosk.step_ok(r#"{"pin": "1234"}"#);
        true
    } else {
        false
    }
}

#[test]
fn card_removed_at_every_apdu_asks_for_another_tap() {
    removed_at_every_apdu(
        "card",
        IdentityMethod::PinOnCard,
        VerificationMethod::CardViaReader,
    );
}

#[test]
fn android_phone_removed_at_every_apdu_asks_for_another_tap() {
    // The phone shows its certificate only after the PIN: a different APDU sequence.
    removed_at_every_apdu(
        "phone",
        IdentityMethod::PinOnPhone,
        VerificationMethod::SmartphoneViaReader,
    );
}

fn removed_at_every_apdu(profile: &str, identity: IdentityMethod, method: VerificationMethod) {
    let total = clean_path(profile);
    for n in 0..=total {
        let spec = format!("{profile},remove-after={n}");
        let mut kiosk = Kiosk::new(&spec, "valid-3", None);
        let mut pins_typed = 0;

        kiosk.step_ok(r#""tap""#);
        if type_pin_if_asked(&mut kiosk) {
            pins_typed += 1;
        }
        let first = kiosk.card();
        assert!(
            first.verify_count <= pins_typed,
            "{spec}: {} VERIFYs for {pins_typed} typed PIN",
            first.verify_count
        );
        let screen = kiosk.screen();
        if n < total {
            // The card met an empty field at APDU n+1.
            assert_eq!(
                first.apdu_count, n,
                "{spec}: the card answered exactly N APDUs"
            );
            let expected = if n == 0 {
                // Nothing came back from the very first APDU: indistinguishable from a mute
                // card, and the screen asks for another tap too.
                Screen::NotRead
            } else {
                // A PIN that may have reached the card is never kept for a resend. The words
                // name a phone once the phone was told from a card (past Reading).
                let phone_known = profile == "phone"
                    && kiosk
                        .screens()
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
            assert_eq!(screen, expected, "{spec}: screens {:?}", kiosk.screens());
            assert_eq!(
                kiosk.committed_count(),
                0,
                "{spec}: nothing ends on a removal"
            );

            kiosk.step_ok(r#""remove""#);
            kiosk.step_ok(r#""tap""#);
            let before = kiosk.card().verify_count;
            if type_pin_if_asked(&mut kiosk) {
                pins_typed += 1;
            }
            let sent = kiosk.card().verify_count - before;
            assert!(sent <= 1, "{spec}: {sent} VERIFYs for one typed PIN");
        } else {
            assert!(
                matches!(screen, Screen::ConsentChoice { .. }),
                "{spec}: no removal, the flow goes on: {screen:?}"
            );
        }

        let stored = kiosk
            .run(&script(CONSENT))
            .unwrap_or_else(|e| panic!("{spec}: {e}; screens {:?}", kiosk.screens()));
        let record = &stored.record;
        assert_eq!(record.outcome, Outcome::Completed, "{spec}");
        assert_eq!(record.identity, Some(identity), "{spec}");
        assert_eq!(record.verification, Some(method), "{spec}");
        assert!(record.counts_toward_usage_rate, "{spec}");
        assert_eq!(record.wrong_pin_entries, 0, "{spec}");
        assert!(stored.reception_number.is_some(), "{spec}");

        let card = kiosk.card();
        assert!(pins_typed >= 1, "{spec}");
        assert!(
            card.verify_count >= 1 && card.verify_count <= pins_typed,
            "{spec}: {} VERIFYs for {pins_typed} typed PINs",
            card.verify_count
        );
        assert_eq!(card.tries_left, 3, "{spec}: the card is never locked");
        assert_eq!(
            kiosk.committed_count(),
            1,
            "{spec}: one check-in, one record"
        );
    }
}

#[test]
fn a_pin_typed_while_the_card_is_away_is_sent_once_on_the_re_tap() {
    // The card is taken away before the PIN is typed: the PIN is kept (nothing was sent) and
    // goes to the card once, on the next tap.
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#""remove""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: true,
            credential: Credential::Card
        }
    );
    assert_eq!(kiosk.card().verify_count, 0);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.card().verify_count, 1);
    let stored = kiosk.run_ok(&script(CONSENT));
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(kiosk.card().verify_count, 1);
}
