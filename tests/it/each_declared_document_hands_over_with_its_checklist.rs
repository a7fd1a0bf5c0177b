//! A patient without a card declares a paper document (or nothing) on the screen: the kiosk
//! hands over to staff with the document's checklist, reads dated rules at the visit date
//! (provisional handling for expired cards until 2026-03-31), and none of it counts toward the
//! My Number usage rate.

use crate::common;

use common::{Kiosk, check_in, script_at};
use uketsuke::domain::{
    ChecklistItem as C, DeclaredDocument as D, HandoffReason, Outcome, Presented,
    VerificationMethod as M,
};
use uketsuke::flow::Screen;

const VISIT: &str = common::VISIT;

fn declare(doc: D) -> String {
    let name = serde_json::to_string(&doc).expect("a document serialises");
    format!(r#"[{{"declare": {name}}}]"#)
}

#[test]
fn each_declared_document_hands_over_with_its_checklist() {
    let table: Vec<(D, &str, Option<M>, Vec<C>)> = vec![
        (
            // After the blanket 75+ 資格確認書 ended (rules: 2026-07-31), the checklist no longer
            // says every 75+ patient has one: it depends on the insurer.
            D::EligibilityCertificate,
            VISIT,
            Some(M::EligibilityCertificate),
            vec![
                C::CheckCertificateValidity,
                C::QueryOnlineByNumbers,
                C::ElderlyCertificateDependsOnInsurer,
                C::NotCountedTowardUsageRate,
            ],
        ),
        (
            // The first day after it.
            D::EligibilityCertificate,
            "2026-08-01T09:00:00+09:00",
            Some(M::EligibilityCertificate),
            vec![
                C::CheckCertificateValidity,
                C::QueryOnlineByNumbers,
                C::ElderlyCertificateDependsOnInsurer,
                C::NotCountedTowardUsageRate,
            ],
        ),
        (
            // While everyone 75+ holds a 資格確認書 (until 2026-07-31), staff are reminded.
            D::EligibilityCertificate,
            "2026-07-31T10:00:00+09:00",
            Some(M::EligibilityCertificate),
            vec![
                C::CheckCertificateValidity,
                C::QueryOnlineByNumbers,
                C::ElderlyCertificateProvisional,
                C::NotCountedTowardUsageRate,
            ],
        ),
        (
            D::EligibilityNoticeWithCard,
            VISIT,
            Some(M::NoticeWithCardCheckedByStaff),
            vec![
                C::CompareCardPhoto,
                C::RecordInsuranceNumbers,
                C::NotCountedTowardUsageRate,
            ],
        ),
        (
            D::ExpiredInsuranceCard,
            "2026-03-20T10:00:00+09:00",
            Some(M::ExpiredCardProvisional),
            vec![
                C::ProvisionalHandlingApplies,
                C::QueryOnlineByNumbers,
                C::ChargeNormalShare,
                C::AskForCardNextTime,
            ],
        ),
        (
            // The last day of provisional handling still has it.
            D::ExpiredInsuranceCard,
            "2026-03-31T18:00:00+09:00",
            Some(M::ExpiredCardProvisional),
            vec![
                C::ProvisionalHandlingApplies,
                C::QueryOnlineByNumbers,
                C::ChargeNormalShare,
                C::AskForCardNextTime,
            ],
        ),
        (
            D::ExpiredInsuranceCard,
            "2026-04-01T09:00:00+09:00",
            None,
            vec![
                C::ProvisionalHandlingEnded,
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
                C::AskForCardNextTime,
            ],
        ),
        (
            D::ExpiredInsuranceCard,
            VISIT,
            None,
            vec![
                C::ProvisionalHandlingEnded,
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
                C::AskForCardNextTime,
            ],
        ),
        (
            D::Nothing,
            VISIT,
            None,
            vec![
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
                C::AskForCardNextTime,
            ],
        ),
    ];
    for (doc, visit, verification, checklist) in table {
        let what = format!("{doc:?} on {visit}");
        let run = check_in("card", "valid-3", None, &script_at(visit, &declare(doc)));
        let stored = &run.stored;
        let record = &stored.record;
        assert_eq!(
            record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::PaperDocument
            },
            "{what}"
        );
        assert_eq!(record.presented, Some(doc.presented()), "{what}");
        // The declared document is the route staff are expected to take, not yet a method.
        assert_eq!(record.expected_route, verification, "{what}");
        assert_eq!(record.verification, None, "{what}: waiting for staff");
        assert!(!record.counts_toward_usage_rate, "{what}: never counts");
        assert_eq!(record.checklist, checklist, "{what}");
        assert_eq!(record.identity, None, "{what}");
        assert!(record.eligibility.is_none(), "{what}");
        assert_eq!(
            record.visit_date,
            common::parse_time(visit).date_naive(),
            "{what}"
        );
        assert!(stored.reception_number.is_some(), "{what}");
        assert_eq!(
            run.screens.last(),
            Some(&Screen::Handoff {
                reason: HandoffReason::PaperDocument,
                reception_number: stored.reception_number,
                presented: Some(doc.presented()),
                declared: Some(doc),
            }),
            "{what}"
        );
        assert_eq!(run.card().apdu_count, 0, "{what}: the reader was not used");
    }
}

#[test]
fn the_document_menu_opened_after_a_wrong_card_records_the_document() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    let stored = kiosk.run_ok(&common::script(
        r#"[{"tap": "transit"}, "paper_documents", {"declare": "eligibility_certificate"}]"#,
    ));
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::PaperDocument
        }
    );
    assert_eq!(
        stored.record.presented,
        Some(Presented::EligibilityCertificate)
    );
    assert_eq!(
        stored.record.expected_route,
        Some(M::EligibilityCertificate)
    );
    assert_eq!(stored.record.verification, None);
    assert!(!stored.record.counts_toward_usage_rate);
}

#[test]
fn a_card_found_at_the_document_menu_is_read_after_all() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""paper_documents""#);
    assert_eq!(kiosk.screen(), Screen::DocumentMenu);
    kiosk.step_ok(r#""tap""#);
    assert!(matches!(kiosk.screen(), Screen::PinEntry { .. }));
    let stored = kiosk.run_ok(&common::script(
        r#"[{"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "paper"}]"#,
    ));
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(stored.record.verification, Some(M::CardViaReader));
    assert!(stored.record.counts_toward_usage_rate);
}
