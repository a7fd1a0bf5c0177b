//! The medical-aid certificate question (「医療費助成の各種受給者証を利用しますか」): from the
//! date in `config/rules.json` (`medical_aid_certificate_question.from`, 2026-04-01), card and
//! phone check-ins at a facility connected to PMH (facility file `medical_aid_on_card`) are asked
//! after the consent questions whether the card stands for their 受給者証 today. The answer is
//! stored with the check-in (yes / no / not asked). It is never asked the day before, at a
//! facility not connected, or on the portal-screen and paper routes (no card was read). Its
//! answers wait out the dead time, "back" undoes the answer before it, and the idle timeout and
//! cancel record the step as on the consent screens. Virtual time.

use std::time::Duration;

use crate::common::{HAPPY, Kiosk, script_at};
use uketsuke::domain::{Outcome, PrescriptionForm, Step};
use uketsuke::flow::{Input, PatientAction, Screen};
use uketsuke::rules::FacilityConfig;

fn connected() -> Option<FacilityConfig> {
    Some(FacilityConfig {
        medical_aid_on_card: true,
        ..FacilityConfig::default()
    })
}

/// HAPPY's steps, then the medical-aid answer.
fn happy_then(answer: bool) -> String {
    format!(
        "{}, {{\"medical_aid\": {answer}}}]",
        HAPPY.trim_end_matches(']')
    )
}

#[test]
fn asked_on_each_side_of_its_date_only_where_the_facility_is_connected() {
    // (reader, facility connected, visit, asked, answer stored)
    let table: [(&str, bool, &str, bool, Option<bool>); 6] = [
        ("card", true, "2026-03-31T17:00:00+09:00", false, None),
        ("card", true, "2026-04-01T09:00:00+09:00", true, Some(true)),
        ("card", true, "2026-11-21T10:00:00+09:00", true, Some(false)),
        ("phone", true, "2026-04-01T09:00:00+09:00", true, Some(true)),
        ("card", false, "2026-04-01T09:00:00+09:00", false, None),
        ("card", false, "2026-03-31T17:00:00+09:00", false, None),
    ];
    for (reader, is_connected, visit, asked, stored) in table {
        let facility = if is_connected { connected() } else { None };
        let mut kiosk = Kiosk::new(reader, "valid-3", facility);
        let steps = match stored {
            Some(answer) if asked => happy_then(answer),
            _ => HAPPY.to_owned(),
        };
        let record = kiosk.run_ok(&script_at(visit, &steps)).record;
        let case = format!("{reader}, connected {is_connected}, {visit}");
        assert_eq!(
            kiosk.screens().contains(&Screen::MedicalAidCertificate),
            asked,
            "{case}: {:?}",
            kiosk.screens()
        );
        assert_eq!(record.outcome, Outcome::Completed, "{case}");
        assert_eq!(record.consent.medical_aid_certificate, stored, "{case}");
        // The question changes nothing else: the check-in counts as a card or phone use.
        assert!(record.counts_toward_usage_rate, "{case}");
    }
}

#[test]
fn never_asked_when_no_card_was_read() {
    let visit = "2026-11-21T10:00:00+09:00";
    for (reader, steps) in [
        ("iphone", r#"["tap"]"#),
        (
            "card",
            r#"["paper_documents", {"declare": "eligibility_certificate"}]"#,
        ),
    ] {
        let mut kiosk = Kiosk::new(reader, "valid-3", connected());
        let record = kiosk.run_ok(&script_at(visit, steps)).record;
        assert!(
            matches!(record.outcome, Outcome::HandedToStaff { .. }),
            "{reader}: {:?}",
            record.outcome
        );
        assert!(!kiosk.screens().contains(&Screen::MedicalAidCertificate));
        assert_eq!(record.consent.medical_aid_certificate, None, "{reader}");
    }
}

/// A connected kiosk on 2026-04-01 at the medical-aid question (all earlier answers given).
fn at_the_question() -> Kiosk {
    let mut kiosk = Kiosk::new("card", "valid-3", connected());
    let steps = r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "paper"}]"#;
    let script = script_at("2026-04-01T09:00:00+09:00", steps);
    let script = uketsuke::headless::PatientScript::parse(&script).unwrap();
    kiosk.driver.now = script.visit_time.unwrap();
    for step in &script.steps {
        kiosk.driver.step(step).unwrap();
    }
    assert_eq!(kiosk.screen(), Screen::MedicalAidCertificate);
    kiosk
}

fn tap(kiosk: &mut Kiosk, action: PatientAction) {
    kiosk.input(Input::Patient(action));
}

#[test]
fn a_double_tap_cannot_answer_it_and_back_asks_the_prescription_again() {
    let mut kiosk = at_the_question();
    assert!(kiosk.driver.flow.view().can_go_back);
    // The second tap of "paper" lands on the question: ignored within the dead time.
    tap(&mut kiosk, PatientAction::AnswerMedicalAid(true));
    assert_eq!(
        kiosk.screen(),
        Screen::MedicalAidCertificate,
        "0 ms: ignored"
    );
    kiosk.driver.wait(Duration::from_millis(599));
    tap(&mut kiosk, PatientAction::Back);
    assert_eq!(
        kiosk.screen(),
        Screen::MedicalAidCertificate,
        "599 ms: ignored"
    );
    kiosk.driver.wait(Duration::from_millis(1));
    tap(&mut kiosk, PatientAction::Back);
    assert_eq!(kiosk.screen(), Screen::Prescription, "600 ms: back taken");
    kiosk.driver.wait(Duration::from_millis(600));
    tap(
        &mut kiosk,
        PatientAction::ChoosePrescription(PrescriptionForm::Electronic),
    );
    assert_eq!(kiosk.screen(), Screen::MedicalAidCertificate, "asked again");
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::AnswerMedicalAid(false));
    kiosk.driver.wait_for_machines();
    let record = kiosk.last_stored().record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.consent.medical_aid_certificate, Some(false));
    assert_eq!(
        record.consent.prescription_form,
        Some(PrescriptionForm::Electronic)
    );
}

#[test]
fn the_idle_timeout_and_cancel_record_the_question_as_the_step() {
    let mut kiosk = at_the_question();
    kiosk.wait(u64::from(FacilityConfig::default().idle_timeout_seconds));
    kiosk.driver.wait_for_machines();
    let record = kiosk.last_stored().record;
    assert_eq!(
        record.outcome,
        Outcome::TimedOut {
            at: Step::MedicalAidCertificate
        }
    );
    assert_eq!(record.consent.medical_aid_certificate, None, "not answered");

    let mut kiosk = at_the_question();
    tap(&mut kiosk, PatientAction::Cancel);
    assert!(matches!(kiosk.screen(), Screen::ConfirmEnd { .. }));
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::ConfirmEnd);
    kiosk.driver.wait_for_machines();
    assert_eq!(
        kiosk.last_stored().record.outcome,
        Outcome::Cancelled {
            at: Step::MedicalAidCertificate
        }
    );
}
