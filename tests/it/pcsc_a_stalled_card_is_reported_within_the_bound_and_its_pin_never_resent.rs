//! Through a real pcscd: a card that stalls past the adapter's per-APDU bound (vpcd waits for
//! its answer without a limit, so libpcsclite's transmit blocks) is reported as a fault once
//! the bound has passed, not waited on; the VERIFY whose answer never came is not sent again,
//! and the patient's next tap (a new PIN typed) checks in. One stall is one fault: the reader
//! stays in service.

use crate::pcsc;

use std::time::{Duration, Instant};

use pcsc::{AFTER_PIN, PcscKiosk, insert, insert_with, rig, simulated, view};
use uketsuke::domain::Outcome;
use uketsuke::flow::{Credential, Screen};
use uketsuke::reader::pcsc::APDU_BOUND;
use uketsuke::vpcd::{WhenDropped, WireFaults};

/// The 10th APDU of a tap is the VERIFY with the PIN (identify 3, the certificate 4, read before
/// the PIN for its expiry, tries left 2).
const VERIFY_WITH_PIN: usize = 9;

#[test]
fn a_verify_stalled_past_the_bound_is_reported_and_never_resent() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let stall = APDU_BOUND + Duration::from_secs(3);
    let faults = WireFaults {
        stall_at: Some((VERIFY_WITH_PIN, stall)),
        ..WireFaults::default()
    };
    let on_reader = insert_with(&card, faults, WhenDropped::StayOff);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert!(matches!(kiosk.screen(), Screen::PinEntry { .. }));
    let start = Instant::now();
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let waited = start.elapsed();
    eprintln!(
        "a stalled VERIFY was reported after {waited:?} (bound {APDU_BOUND:?}, stall {stall:?})"
    );
    assert!(waited >= APDU_BOUND, "waited {waited:?}");
    assert!(
        waited < stall,
        "reported before the card answered: {waited:?}"
    );
    // The card did get the PIN; the kiosk cannot know, so it forgets it and asks for a tap.
    assert_eq!(
        kiosk.screen(),
        Screen::TapAgain {
            pin_kept: false,
            credential: Credential::Card
        }
    );
    assert_eq!(view(&card).verify_count, 1);

    // The patient lifts the card and taps again; the card answers at once now.
    on_reader.remove();
    kiosk.step_ok(r#""remove""#);
    let _again = insert(&card);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(kiosk.finish(AFTER_PIN).record.outcome, Outcome::Completed);
    let seen = view(&card);
    assert_eq!(
        seen.verify_count, 2,
        "one VERIFY per PIN typed, none resent"
    );
    assert_eq!(seen.tries_left, 3);
}
