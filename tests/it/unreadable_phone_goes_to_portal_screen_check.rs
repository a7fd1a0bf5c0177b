//! The defining case: a phone the kiosk cannot read (an iPhone, an unknown device, or any phone
//! where the facility does not read phones) is not turned away. Staff confirm Mynaportal's
//! eligibility screen, and the check-in is recorded as not counting toward the usage rate.

use crate::common;

use common::{check_in, script};
use uketsuke::domain::{
    ChecklistItem, HandoffReason, Outcome, Presented, StoredCheckIn, VerificationMethod,
};
use uketsuke::flow::Screen;
use uketsuke::rules::FacilityConfig;

fn assert_portal_screen_handoff(what: &str, stored: &StoredCheckIn, presented: Presented) {
    let record = &stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        },
        "{what}"
    );
    // The route staff are expected to take; not a method until they have seen the screen.
    assert_eq!(
        record.expected_route,
        Some(VerificationMethod::PortalScreenCheckedByStaff),
        "{what}"
    );
    assert_eq!(record.verification, None, "{what}: waiting for staff");
    assert!(!record.counts_toward_usage_rate, "{what}");
    assert_eq!(record.presented, Some(presented), "{what}");
    assert_eq!(record.identity, None, "{what}");
    assert!(record.eligibility.is_none(), "{what}: no query was made");
    for item in [
        ChecklistItem::CheckPortalEligibilityScreen,
        ChecklistItem::NotCountedTowardUsageRate,
    ] {
        assert!(
            record.checklist.contains(&item),
            "{what}: {item:?} missing from {:?}",
            record.checklist
        );
    }
    assert!(stored.reception_number.is_some(), "{what}");
}

#[test]
fn iphone_and_unknown_device_go_to_the_portal_screen_check() {
    for profile in ["iphone", "unknown-device", "hce-app", "hce-app-6f00"] {
        let run = check_in(profile, "valid-3", None, &script(r#"["tap"]"#));
        assert_portal_screen_handoff(profile, &run.stored, Presented::UnreadableDevice);
        assert_eq!(
            run.screens.last(),
            Some(&Screen::Handoff {
                reason: HandoffReason::ConfirmPortalScreen,
                reception_number: run.stored.reception_number,
                presented: Some(Presented::UnreadableDevice),
                declared: None,
            }),
            "{profile}"
        );
        assert!(
            !run.screens
                .iter()
                .any(|s| matches!(s, Screen::PinEntry { .. })),
            "{profile}: no PIN asked for a phone that cannot be read"
        );
        assert_eq!(run.card().verify_count, 0, "{profile}");
    }
}

#[test]
fn a_readable_phone_goes_there_too_where_the_facility_reads_no_phones() {
    let facility = FacilityConfig {
        reads_smartphones: false,
        ..FacilityConfig::default()
    };
    let run = check_in("phone", "valid-3", Some(facility), &script(r#"["tap"]"#));
    assert_portal_screen_handoff("phone, phones off", &run.stored, Presented::AndroidPhone);
    let phone = run.card();
    assert_eq!(phone.verify_count, 0, "no PIN sent to the phone");
    assert_eq!(phone.tries_left, 3);
}

#[test]
fn the_same_phone_is_read_where_the_facility_reads_phones() {
    // The control for the case above: only the facility setting differs.
    let run = check_in(
        "phone",
        "valid-3",
        Some(FacilityConfig::default()),
        &script(common::HAPPY),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
}
