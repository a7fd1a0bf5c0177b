//! Issue 13 report 3, through a real pcscd: an Android phone whose HCE app is not JPKI
//! (`3B 80 80 01 01`; SELECT answered `00 00` as Google's HCE sample does, or `6F 00`) reaches
//! the portal-screen path ("a phone this kiosk cannot read"): never a "tap again" loop, never a
//! PIN pad, no VERIFY.

use crate::pcsc;

use pcsc::{PcscKiosk, insert, reader, rig, simulated, view};
use uketsuke::domain::{HandoffReason, Outcome, Presented, VerificationMethod};
use uketsuke::flow::Screen;

#[test]
fn an_hce_app_answering_00_00_or_6f_00_reaches_the_portal_screen_path() {
    let Some(_rig) = rig() else { return };
    let mut watcher = reader();
    // (profile, APDUs it may receive)
    for (profile, apdus) in [("hce-app", 1), ("hce-app-6f00", 3)] {
        let phone = simulated(profile);
        let on_reader = insert(&phone);
        let mut kiosk = PcscKiosk::new("valid-3");
        let stored = kiosk.finish(r#"["tap"]"#);
        let record = &stored.record;
        assert_eq!(
            record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::ConfirmPortalScreen
            },
            "{profile}"
        );
        assert_eq!(
            record.presented,
            Some(Presented::UnreadableDevice),
            "{profile}"
        );
        assert_eq!(
            record.expected_route,
            Some(VerificationMethod::PortalScreenCheckedByStaff),
            "{profile}"
        );
        assert_eq!(record.verification, None, "{profile}");
        assert!(!record.counts_toward_usage_rate, "{profile}");
        let screens = &kiosk.driver.screens;
        assert!(
            !screens.iter().any(|s| matches!(
                s,
                Screen::TapAgain { .. }
                    | Screen::NotRead
                    | Screen::PinEntry { .. }
                    | Screen::CardOrPhone
            )),
            "{profile}: {screens:?}"
        );
        let seen = view(&phone);
        assert_eq!(seen.apdu_count, apdus, "{profile}: APDUs received");
        assert_eq!(seen.verify_count, 0, "{profile}");
        on_reader.remove();
        assert!(
            watcher.wait_for_removal(pcsc::EVENT_WAIT),
            "{profile}: pcscd never reported it gone"
        );
    }
}
