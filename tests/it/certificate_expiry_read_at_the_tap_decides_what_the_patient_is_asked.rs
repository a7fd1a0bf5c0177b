//! The user-authentication certificate's expiry, read at the tap (issue 16 item 1): a card's
//! before any PIN, a phone's after it. Expiring within 3 months: the check-in goes on and the
//! done screen gives the date. Expired within the card's grace period: it goes on without the
//! consent questions (no medical information can be shared then), staff get a note, the done
//! screen says by when to renew. Expired beyond the grace period: no PIN pad, no VERIFY, handed
//! to staff as "certificate expired", not counted. A phone gets no grace period. The visit is
//! 2026-11-21 (JST); dates are the certificate's last valid day.

use crate::common;

use common::{CONSENT, check_in, script};
use uketsuke::date;
use uketsuke::domain::{
    ChecklistItem, HandoffReason, IdentityMethod, Outcome, Presented, VerificationMethod,
};
use uketsuke::flow::{CertificateNote, Screen};

fn saw_pin_pad(screens: &[Screen]) -> bool {
    screens.iter().any(|s| matches!(s, Screen::PinEntry { .. }))
}

fn saw_consent(screens: &[Screen]) -> bool {
    screens
        .iter()
        .any(|s| matches!(s, Screen::ConsentChoice { .. } | Screen::ConsentItem { .. }))
}

#[test]
fn a_card_expiring_in_40_days_checks_in_and_the_done_screen_gives_the_date() {
    let steps = format!(
        r#"["tap", {{"pin": "1234"}}, {}]"#,
        &CONSENT[1..CONSENT.len() - 1]
    );
    let run = check_in(
        "card,not-after=2026-12-31",
        "valid-3",
        None,
        &script(&steps),
    );
    let record = &run.stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(record.counts_toward_usage_rate);
    assert_eq!(
        record.checklist,
        vec![ChecklistItem::CertificateExpiresSoon]
    );
    assert_eq!(
        record.consent.medical_and_drug_info,
        Some(true),
        "asked as usual"
    );
    assert!(
        matches!(
            run.screens.last(),
            Some(Screen::Done {
                certificate: Some(CertificateNote::ExpiresOn {
                    not_after
                }),
                ..
            }) if *not_after == date!(2026 - 12 - 31)
        ),
        "{:?}",
        run.screens.last()
    );
    assert_eq!(run.card().verify_count, 1);
}

#[test]
fn a_card_expired_40_days_ago_checks_in_in_its_grace_period_without_the_consent_questions() {
    // No consent screen: the high-cost limit and prescription questions follow the PIN.
    let steps =
        r#"["tap", {"pin": "1234"}, {"high_cost_limit": true}, {"prescription": "electronic"}]"#;
    let run = check_in("card,not-after=2026-10-12", "valid-3", None, &script(steps));
    let record = &run.stored.record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.identity, Some(IdentityMethod::PinOnCard));
    assert_eq!(record.verification, Some(VerificationMethod::CardViaReader));
    assert!(
        record.counts_toward_usage_rate,
        "the card still confirmed eligibility"
    );
    assert_eq!(
        record.checklist,
        vec![ChecklistItem::CertificateExpiredInGrace],
        "the note staff see"
    );
    assert!(!saw_consent(&run.screens), "{:?}", run.screens);
    assert_eq!(record.consent.mode, None, "not asked, not refused");
    assert_eq!(record.consent.medical_and_drug_info, None);
    assert_eq!(record.consent.high_cost_limit_info, Some(true));
    // MHLW's reading (the rules' default): 3 months from the end of October.
    assert_eq!(
        run.screens.last(),
        Some(&Screen::Done {
            burden_ratio: None,
            reception_number: run.stored.reception_number,
            certificate: Some(CertificateNote::ExpiredRenewBy {
                not_after: date!(2026 - 10 - 12),
                renew_by: date!(2027 - 01 - 31),
            }),
        })
    );
    assert_eq!(run.card().verify_count, 1);
}

#[test]
fn a_card_expired_200_days_ago_is_handed_to_staff_without_a_pin() {
    let run = check_in(
        "card,not-after=2026-05-05",
        "valid-3",
        None,
        &script(r#"["tap"]"#),
    );
    let record = &run.stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CertificateExpired
        }
    );
    assert_eq!(record.presented, Some(Presented::MyNumberCard));
    assert_eq!(record.identity, None);
    assert_eq!(record.verification, None);
    assert!(!record.counts_toward_usage_rate);
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::RenewCertificateAtMunicipalOffice)
    );
    assert!(!saw_pin_pad(&run.screens), "{:?}", run.screens);
    let card = run.card();
    assert_eq!(card.verify_count, 0, "no VERIFY reached the card");
    assert_eq!(card.tries_left, 3);
}

#[test]
fn a_phone_gets_no_grace_period() {
    // A phone's certificate is read after its PIN: expired 40 days ago, it is handed over
    // before the gateway is asked; the same date on a card would still check in.
    let run = check_in(
        "phone,not-after=2026-10-12",
        "valid-3",
        None,
        &script(r#"["tap", {"pin": "1234"}]"#),
    );
    let record = &run.stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CertificateExpired
        }
    );
    assert_eq!(record.presented, Some(Presented::AndroidPhone));
    assert!(!record.counts_toward_usage_rate);
    assert!(record.eligibility.is_none(), "the gateway was not asked");
    assert!(!saw_consent(&run.screens));

    // Expiring in 40 days, the phone checks in and is told the date.
    let steps = format!(
        r#"["tap", {{"pin": "1234"}}, {}]"#,
        &CONSENT[1..CONSENT.len() - 1]
    );
    let run = check_in(
        "phone,not-after=2026-12-31",
        "valid-3",
        None,
        &script(&steps),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.checklist,
        vec![ChecklistItem::CertificateExpiresSoon]
    );
}
