//! Through a real pcscd: when nothing a thing answers tells a card from a phone (Type A, a
//! random UID and ATS historical bytes: an ePassport, or a phone), the kiosk asks "card or
//! phone?" rather than guess; "a card" names it as not the My Number card (nothing recorded as
//! a portal-screen check), "a phone" leads to the portal-screen path.

use crate::pcsc;

use pcsc::{PcscKiosk, insert, reader, rig, simulated, view};
use uketsuke::domain::{HandoffReason, Outcome, Presented, Step, Tapped, VerificationMethod};
use uketsuke::flow::Screen;

#[test]
fn the_patient_is_asked_and_a_card_is_named_and_a_phone_goes_to_the_portal_screen() {
    let Some(_rig) = rig() else { return };
    let mut watcher = reader();

    let unsure = simulated("passport");
    let on_reader = insert(&unsure);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.screen(), Screen::CardOrPhone);
    kiosk.step_ok(r#""this_is_a_card""#);
    assert_eq!(
        kiosk.screen(),
        Screen::WrongCard {
            kind: Tapped::OtherCard
        }
    );
    let stored = kiosk.finish(r#"[{"wait_seconds": 91}]"#);
    assert_eq!(
        stored.record.outcome,
        Outcome::TimedOut {
            at: Step::WrongCard
        }
    );
    assert_eq!(stored.record.presented, Some(Presented::OtherCard));
    assert_eq!(stored.record.verification, None);
    let seen = view(&unsure);
    assert_eq!(
        seen.apdu_count, 3,
        "SELECT JPKI AP, payment directory, GET DATA"
    );
    assert_eq!(seen.verify_count, 0);
    on_reader.remove();
    assert!(
        watcher.wait_for_removal(pcsc::EVENT_WAIT),
        "pcscd never reported it gone"
    );

    let unsure = simulated("passport");
    let _on_reader = insert(&unsure);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.screen(), Screen::CardOrPhone);
    let stored = kiosk.finish(r#"["this_is_my_phone"]"#);
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        }
    );
    assert_eq!(stored.record.presented, Some(Presented::UnreadableDevice));
    assert_eq!(
        stored.record.expected_route,
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert_eq!(stored.record.verification, None);
    assert_eq!(view(&unsure).apdu_count, 3);
    assert_eq!(view(&unsure).verify_count, 0);
}
