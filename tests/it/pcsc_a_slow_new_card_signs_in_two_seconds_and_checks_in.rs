//! Through a real pcscd: a newer My Number card that takes 2 s for its signature (FWI 13 in its
//! ATR allows up to 2.47 s an APDU) checks in, within the adapter's per-APDU bound and the
//! flow's per-operation deadline; not "tap again". The same twelve APDUs and one VERIFY.

use crate::pcsc;

use std::time::Duration;

use pcsc::{AFTER_PIN, PcscKiosk, insert_with, rig, simulated, view};
use uketsuke::domain::Outcome;
use uketsuke::reader::pcsc::APDU_BOUND;
use uketsuke::rules::FacilityConfig;
use uketsuke::vpcd::{WhenDropped, WireFaults};

/// PERFORM SECURITY OPERATION (COMPUTE DIGITAL SIGNATURE).
const INS_PSO: u8 = 0x2A;
const SIGNATURE_TIME: Duration = Duration::from_secs(2);

#[test]
fn a_card_taking_two_seconds_to_sign_checks_in() {
    // The bounds leave room for the slowest frame a card may declare (FWI 14: 4.95 s).
    let fwt = |fwi: u32| Duration::from_secs_f64(256.0 * 16.0 / 13.56e6 * f64::from(1u32 << fwi));
    assert!(
        fwt(13) > SIGNATURE_TIME && fwt(14) < APDU_BOUND,
        "{:?}",
        fwt(14)
    );
    let flow_deadline =
        Duration::from_secs(u64::from(FacilityConfig::default().reader_timeout_seconds));
    assert!(flow_deadline > APDU_BOUND + Duration::from_secs(1));

    let Some(_rig) = rig() else { return };
    let card = simulated("card");
    let faults = WireFaults {
        slow_ins: Some((INS_PSO, SIGNATURE_TIME)),
        ..WireFaults::default()
    };
    let on_reader = insert_with(&card, faults, WhenDropped::StayOff);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    let seen = view(&card);
    assert_eq!(seen.apdu_count, 12);
    assert_eq!(seen.verify_count, 1);
    assert_eq!(seen.tries_left, 3);
    let timings = on_reader.timings();
    let slowest = timings
        .iter()
        .map(|t| t.answered - t.received)
        .max()
        .expect("the card saw APDUs");
    eprintln!("the slowest APDU took {slowest:?} at the card (the signature)");
    assert!(slowest >= SIGNATURE_TIME);
}
