//! A card whose PIN is already blocked is handed to staff with the municipal-office reset in the
//! checklist, and the kiosk sends it no VERIFY at all.

use crate::common;

use common::{Kiosk, check_in, script};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome, Presented};
use uketsuke::flow::Screen;

#[test]
fn blocked_card_hands_over_with_municipal_office_guidance() {
    let run = check_in("card,tries=0", "valid-3", None, &script(r#"["tap"]"#));
    let record = &run.stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CardBlocked
        }
    );
    assert!(
        run.has(ChecklistItem::PinResetAtMunicipalOffice),
        "{:?}",
        record.checklist
    );
    assert!(run.has(ChecklistItem::CompareCardPhoto));
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.identity, None);
    assert_eq!(record.verification, None);
    assert!(!record.counts_toward_usage_rate);
    assert!(record.eligibility.is_none(), "no query without a PIN");

    let number = run.stored.reception_number.expect("staff call a number");
    assert_eq!(
        run.screens.last(),
        Some(&Screen::Handoff {
            reason: HandoffReason::CardBlocked,
            reception_number: Some(number),
            presented: Some(Presented::MyNumberCard),
            declared: None,
        })
    );
    assert!(
        !run.screens
            .iter()
            .any(|s| matches!(s, Screen::PinEntry { .. }))
    );

    let card = run.card();
    assert_eq!(card.verify_count, 0, "zero VERIFYs with a PIN");
    assert_eq!(card.tries_left, 0);
}

#[test]
fn a_pin_cannot_be_typed_for_a_blocked_card() {
    let mut kiosk = Kiosk::new("card,tries=0", "valid-3", None);
    let error = kiosk
        .run(&script(r#"["tap", {"pin": "1234"}]"#))
        .expect_err("no PIN pad for a blocked card");
    assert!(error.0.contains("pin"), "{error}");
    assert_eq!(kiosk.card().verify_count, 0);
}
