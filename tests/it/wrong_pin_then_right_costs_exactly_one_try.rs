//! A wrong PIN costs the card exactly one try, the PIN pad says so, and the right PIN then
//! completes the check-in and restores the card's counter.

use crate::common;

use common::{CONSENT, Kiosk, script};
use uketsuke::domain::{IdentityMethod, Outcome, VerificationMethod};
use uketsuke::flow::{Credential, Screen};

#[test]
fn wrong_pin_then_right_costs_exactly_one_try() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.card().verify_count,
        0,
        "reading the counter spends no try"
    );
    assert_eq!(kiosk.card().tries_left, 3);

    kiosk.step_ok(r#"{"pin": "0000"}"#);
    let card = kiosk.card();
    assert_eq!(card.verify_count, 1);
    assert_eq!(
        card.tries_left, 2,
        "one wrong PIN costs one try on the card"
    );
    assert_eq!(
        kiosk.screen(),
        Screen::PinEntry {
            credential: Credential::Card,
            tries_left: 2,
            last_attempt_wrong: true,
        }
    );
    assert_eq!(kiosk.committed_count(), 0, "nothing recorded yet");

    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let card = kiosk.card();
    assert_eq!(card.verify_count, 2);
    assert_eq!(card.tries_left, 3, "the right PIN restores the counter");

    let stored = kiosk.run_ok(&script(CONSENT));
    let record = &stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.wrong_pin_entries, 1);
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);
    assert!(stored.reception_number.is_some());

    // No VERIFY after the right one: the signature used the verified session.
    assert_eq!(kiosk.card().verify_count, 2);
    assert_eq!(kiosk.card().tries_left, 3);
    assert_eq!(kiosk.committed_count(), 1);
}

#[test]
fn the_pin_pad_after_a_right_pin_on_a_new_visit_shows_three_tries_and_no_warning() {
    // The wrong attempt belongs to the first patient's session only.
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.run_ok(&script(
        r#"["tap", {"pin": "0000"}, {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": false}, {"prescription": "paper"}]"#,
    ));
    kiosk.step_ok(r#""ok""#);
    assert_eq!(kiosk.screen(), Screen::Welcome);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        Screen::PinEntry {
            credential: Credential::Card,
            tries_left: 3,
            last_attempt_wrong: false,
        }
    );
}
