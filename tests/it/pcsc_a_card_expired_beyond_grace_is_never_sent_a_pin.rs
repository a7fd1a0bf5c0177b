//! Through a real pcscd: a virtual card whose certificate expired 200 days before the visit is
//! read before any PIN (the certificate needs none), handed to staff as "certificate expired"
//! and never sent a VERIFY; a card expired 40 days ago checks in with its certificate read once.

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, simulated, view};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome};
use uketsuke::flow::Screen;

#[test]
fn a_card_expired_200_days_ago_gets_no_verify_through_pcscd() {
    let Some(_rig) = rig() else { return };
    // The rig's visit is 2026-11-21: 200 days earlier.
    let card = simulated("card,not-after=2026-05-05");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    let stored = kiosk.finish(r#"["tap"]"#);
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CertificateExpired
        }
    );
    assert!(!stored.record.counts_toward_usage_rate);
    let seen = view(&card);
    assert_eq!(seen.verify_count, 0, "no VERIFY with a PIN");
    assert_eq!(seen.tries_left, 3);
    assert_eq!(
        seen.apdu_count, 7,
        "identify 3 + the certificate 4 (no tries probe, no VERIFY)"
    );
    assert!(
        !kiosk
            .driver
            .screens
            .iter()
            .any(|s| matches!(s, Screen::PinEntry { .. }))
    );
}

#[test]
fn a_card_in_its_grace_period_checks_in_with_the_certificate_read_once() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card,not-after=2026-10-12");
    let _on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    // No consent screen in the grace period: AFTER_PIN without its first answer.
    let rest = AFTER_PIN.replacen(r#"{"consent": "all"}, "#, "", 1);
    let stored = kiosk.finish(&rest);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(
        stored.record.checklist,
        vec![ChecklistItem::CertificateExpiredInGrace]
    );
    let seen = view(&card);
    assert_eq!(seen.verify_count, 1);
    assert_eq!(
        seen.apdu_count, 12,
        "as a valid card: the certificate read before the PIN is reused for the proof"
    );
}
