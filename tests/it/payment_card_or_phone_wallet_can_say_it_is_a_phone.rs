//! A contactless payment card is named as such; since a phone's wallet answers like a payment
//! card, the patient can say "this is my phone", which leads to the portal-screen check.

use crate::common;

use common::{CONSENT, Kiosk, script};
use uketsuke::domain::{
    ChecklistItem, HandoffReason, Outcome, Presented, Tapped, VerificationMethod,
};
use uketsuke::flow::Screen;

#[test]
fn payment_card_or_phone_wallet_can_say_it_is_a_phone() {
    let mut kiosk = Kiosk::new("payment", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::PaymentCard
        }
    );
    kiosk.step_ok(r#""this_is_my_phone""#);
    assert_eq!(kiosk.committed_count(), 1);
    let stored = kiosk.last_stored();
    let record = &stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        }
    );
    assert_eq!(record.presented, Some(Presented::UnreadableDevice));
    assert_eq!(
        record.expected_route,
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert_eq!(record.verification, None, "waiting for staff");
    assert!(!record.counts_toward_usage_rate);
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::CheckPortalEligibilityScreen)
    );
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::NotCountedTowardUsageRate)
    );
    assert!(stored.reception_number.is_some());
    assert_eq!(kiosk.card().verify_count, 0);
}

#[test]
fn a_payment_card_followed_by_the_my_number_card_completes() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#"{"tap": "payment"}"#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::PaymentCard
        }
    );
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.run_ok(&script(CONSENT));
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(stored.record.presented, Some(Presented::MyNumberCard));
    assert_eq!(kiosk.thing("payment").verify_count, 0);
}

#[test]
fn only_a_payment_card_can_be_called_a_phone() {
    // A transit card cannot be a phone's wallet: the button does nothing there.
    let mut kiosk = Kiosk::new("transit", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#""this_is_my_phone""#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::TransitCard
        }
    );
    assert_eq!(kiosk.committed_count(), 0);
}
