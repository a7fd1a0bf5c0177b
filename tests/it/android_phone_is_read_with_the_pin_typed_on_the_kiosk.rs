//! An Android phone carrying the smartphone certificate is read like a card: the patient types
//! the phone's PIN on the kiosk, and the check-in counts as a smartphone read by the reader.

use crate::common;

use common::{CONSENT, HAPPY, Kiosk, check_in, script, script_at};
use uketsuke::domain::{IdentityMethod, Outcome, Presented, VerificationMethod};
use uketsuke::flow::{Credential, Screen};

#[test]
fn android_phone_is_read_with_the_pin_typed_on_the_kiosk() {
    let run = check_in("phone", "valid-3", None, &script(HAPPY));
    let record = &run.stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.presented, Some(Presented::AndroidPhone));
    assert_eq!(record.identity, Some(IdentityMethod::PinOnPhone));
    assert_eq!(
        record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
    assert!(record.counts_toward_usage_rate);
    assert!(run.stored.reception_number.is_some());
    assert!(run.screens.contains(&Screen::PinEntry {
        credential: Credential::Phone,
        tries_left: 3,
        last_attempt_wrong: false,
    }));
    let phone = run.card();
    assert_eq!(phone.verify_count, 1);
    assert_eq!(phone.tries_left, 3);
}

#[test]
fn tap_remove_type_the_pin_tap_again_sends_the_pin_exactly_once() {
    let mut kiosk = Kiosk::new("phone", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#""remove""#);
    assert!(
        matches!(kiosk.screen(), Screen::PinEntry { .. }),
        "the PIN pad stays while the phone is away: {:?}",
        kiosk.screen()
    );
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: true,
            credential: Credential::Phone
        }
    );
    assert_eq!(
        kiosk.card().verify_count,
        0,
        "nothing sent to an empty field"
    );

    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.card().verify_count,
        1,
        "the kept PIN is sent on the re-tap"
    );
    assert!(
        matches!(kiosk.screen(), Screen::ConsentChoice { .. }),
        "{:?}",
        kiosk.screen()
    );

    let stored = kiosk.run_ok(&script(CONSENT));
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(stored.record.identity, Some(IdentityMethod::PinOnPhone));
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
    assert!(stored.record.counts_toward_usage_rate);
    let phone = kiosk.card();
    assert_eq!(
        phone.verify_count, 1,
        "exactly one VERIFY for one typed PIN"
    );
    assert_eq!(phone.tries_left, 3);
}

#[test]
fn a_phone_read_before_december_2025_did_not_count_yet() {
    // The rules date the counting of smartphones from 2025-12-01.
    let run = check_in(
        "phone",
        "valid-3",
        None,
        &script_at("2025-11-28T10:00:00+09:00", HAPPY),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
    assert!(!run.stored.record.counts_toward_usage_rate);

    let run = check_in(
        "phone",
        "valid-3",
        None,
        &script_at("2025-12-01T09:00:00+09:00", HAPPY),
    );
    assert!(run.stored.record.counts_toward_usage_rate);
}
