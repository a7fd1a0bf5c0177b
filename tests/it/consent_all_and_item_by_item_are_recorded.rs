//! The consent answers are recorded as given: "all" on one screen, or item by item; and a
//! facility that shows only some items and does not ask the prescription form records only
//! what it asked.

use crate::common;

use common::{check_in, script};
use uketsuke::domain::{ConsentAnswers, ConsentItem, ConsentMode, Outcome, PrescriptionForm};
use uketsuke::flow::Screen;
use uketsuke::rules::FacilityConfig;

#[test]
fn consent_to_all_is_recorded_for_every_item() {
    let run = check_in(
        "card",
        "valid-3",
        None,
        &script(
            r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": false}, {"prescription": "paper"}]"#,
        ),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.consent,
        ConsentAnswers {
            mode: Some(ConsentMode::All),
            medical_and_drug_info: Some(true),
            surgery_info: Some(true),
            health_check_info: Some(true),
            high_cost_limit_info: Some(false),
            prescription_form: Some(PrescriptionForm::Paper),
            medical_aid_certificate: None,
        }
    );
    assert!(
        !run.screens
            .iter()
            .any(|s| matches!(s, Screen::ConsentItem { .. })),
        "no item screens after \"all\""
    );
    assert!(run.screens.contains(&Screen::ConsentChoice {
        items: ConsentItem::ALL.to_vec()
    }));
}

#[test]
fn do_not_consent_is_recorded_as_refused_for_every_item() {
    let run = check_in(
        "card",
        "valid-3",
        None,
        &script(
            r#"["tap", {"pin": "1234"}, {"consent": "none"}, {"high_cost_limit": false}, {"prescription": "paper"}]"#,
        ),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.consent,
        ConsentAnswers {
            mode: Some(ConsentMode::Refused),
            medical_and_drug_info: Some(false),
            surgery_info: Some(false),
            health_check_info: Some(false),
            high_cost_limit_info: Some(false),
            prescription_form: Some(PrescriptionForm::Paper),
            medical_aid_certificate: None,
        }
    );
    assert!(
        !run.screens
            .iter()
            .any(|s| matches!(s, Screen::ConsentItem { .. })),
        "no item screens after \"do not agree\""
    );
}

#[test]
fn consent_item_by_item_is_recorded_item_by_item() {
    let run = check_in(
        "card",
        "valid-3",
        None,
        &script(
            r#"["tap", {"pin": "1234"},
                {"consent": {"medical_and_drug_info": true, "surgery_info": false, "health_check_info": true}},
                {"high_cost_limit": true}, {"prescription": "electronic"}]"#,
        ),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.consent,
        ConsentAnswers {
            mode: Some(ConsentMode::ItemByItem),
            medical_and_drug_info: Some(true),
            surgery_info: Some(false),
            health_check_info: Some(true),
            high_cost_limit_info: Some(true),
            prescription_form: Some(PrescriptionForm::Electronic),
            medical_aid_certificate: None,
        }
    );
    let items: Vec<(ConsentItem, usize, usize)> = run
        .screens
        .iter()
        .filter_map(|s| match s {
            Screen::ConsentItem { item, position, of } => Some((*item, *position, *of)),
            _ => None,
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (ConsentItem::MedicalAndDrugInfo, 1, 3),
            (ConsentItem::SurgeryInfo, 2, 3),
            (ConsentItem::HealthCheckInfo, 3, 3),
        ]
    );
}

fn some_items_no_prescription() -> FacilityConfig {
    FacilityConfig {
        consent_items: vec![
            ConsentItem::MedicalAndDrugInfo,
            ConsentItem::HealthCheckInfo,
        ],
        asks_prescription_form: false,
        ..FacilityConfig::default()
    }
}

#[test]
fn a_facility_with_some_items_and_no_prescription_question_records_only_those() {
    // "All" consents to the items shown, not to the one the facility does not offer.
    let run = check_in(
        "card",
        "valid-3",
        Some(some_items_no_prescription()),
        &script(r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}]"#),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.consent,
        ConsentAnswers {
            mode: Some(ConsentMode::All),
            medical_and_drug_info: Some(true),
            surgery_info: None,
            health_check_info: Some(true),
            high_cost_limit_info: Some(true),
            prescription_form: None,
            medical_aid_certificate: None,
        }
    );
    assert!(run.screens.contains(&Screen::ConsentChoice {
        items: vec![
            ConsentItem::MedicalAndDrugInfo,
            ConsentItem::HealthCheckInfo
        ]
    }));
    assert!(!run.screens.contains(&Screen::Prescription));

    // Item by item: two item screens, "1 of 2" and "2 of 2"; surgery is never asked.
    let run = check_in(
        "card",
        "valid-3",
        Some(some_items_no_prescription()),
        &script(
            r#"["tap", {"pin": "1234"},
                {"consent": {"medical_and_drug_info": false, "health_check_info": true}},
                {"high_cost_limit": false}]"#,
        ),
    );
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(
        run.stored.record.consent,
        ConsentAnswers {
            mode: Some(ConsentMode::ItemByItem),
            medical_and_drug_info: Some(false),
            surgery_info: None,
            health_check_info: Some(true),
            high_cost_limit_info: Some(false),
            prescription_form: None,
            medical_aid_certificate: None,
        }
    );
    let positions: Vec<(ConsentItem, usize, usize)> = run
        .screens
        .iter()
        .filter_map(|s| match s {
            Screen::ConsentItem { item, position, of } => Some((*item, *position, *of)),
            _ => None,
        })
        .collect();
    assert_eq!(
        positions,
        vec![
            (ConsentItem::MedicalAndDrugInfo, 1, 2),
            (ConsentItem::HealthCheckInfo, 2, 2),
        ]
    );
    assert!(!run.screens.contains(&Screen::Prescription));
}

#[test]
fn a_prescription_answer_where_the_question_is_not_asked_is_refused() {
    let mut kiosk = common::Kiosk::new("card", "valid-3", Some(some_items_no_prescription()));
    let error = kiosk
        .run(&script(
            r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "paper"}]"#,
        ))
        .expect_err("the check-in is over before a prescription question");
    assert!(error.0.contains("step 5 (prescription)"), "{error}");
    assert_eq!(kiosk.committed_count(), 1);
    assert_eq!(kiosk.last_stored().record.consent.prescription_form, None);
}
