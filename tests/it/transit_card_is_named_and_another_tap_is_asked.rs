//! A transit IC card (Suica, PASMO) tapped by mistake is named on the screen and another tap is
//! asked for; the kiosk recognises it by its ATR alone and sends it no APDU at all.

use crate::common;

use common::{CONSENT, Kiosk, script};
use uketsuke::domain::{IdentityMethod, Outcome, Presented, Step, Tapped, VerificationMethod};
use uketsuke::flow::Screen;

#[test]
fn transit_card_is_named_and_another_tap_is_asked() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#"{"tap": "transit"}"#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::TransitCard
        }
    );
    assert_eq!(kiosk.committed_count(), 0, "a wrong card ends nothing");

    kiosk.step_ok(r#"{"tap": "card"}"#);
    assert!(
        matches!(kiosk.screen(), Screen::PinEntry { .. }),
        "{:?}",
        kiosk.screen()
    );
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.run_ok(&script(CONSENT));
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);

    let transit = kiosk.thing("transit");
    assert_eq!(transit.apdu_count, 0, "FeliCa is told by its ATR: no APDU");
    let card = kiosk.thing("card");
    assert_eq!(card.verify_count, 1);
    assert_eq!(card.tries_left, 3);
}

#[test]
fn a_transit_card_left_alone_times_out_as_a_wrong_card() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    let stored = kiosk.run_ok(&script(r#"[{"tap": "transit"}, {"wait_seconds": 91}]"#));
    assert_eq!(
        stored.record.outcome,
        Outcome::TimedOut {
            at: Step::WrongCard
        }
    );
    assert_eq!(stored.record.presented, Some(Presented::TransitCard));
    assert!(!stored.record.counts_toward_usage_rate);
    assert_eq!(kiosk.thing("transit").apdu_count, 0);
}
