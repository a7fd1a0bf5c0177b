//! The department question (診療科, issue 17 item 2): a card or phone check-in at a clinic whose
//! facility file lists two or more `departments` and fixes no `department` is asked which one,
//! last, after the insurance questions; the chosen code goes on the check-in record (read back
//! from the SQLite file) and the done screen names it. One department: that one, no question;
//! a fixed department: that one; none: no department, as before. A handoff is never asked
//! (staff choose at the desk). Its answers wait out the dead time, "back" undoes the answer
//! before it, and the idle timeout and cancel record it as the step. Virtual time.

use std::time::Duration;

use crate::common::{HAPPY, Kiosk, script_at};
use uketsuke::departments::{Department, DepartmentLabel};
use uketsuke::domain::{Outcome, Step};
use uketsuke::flow::{Input, PatientAction, Screen};
use uketsuke::rules::FacilityConfig;

const VISIT: &str = "2026-11-21T10:00:00+09:00";

fn department(code: &str, name: &str) -> Department {
    Department {
        code: code.to_owned(),
        name: name.to_owned(),
        name_en: None,
    }
}

fn facility(departments: &[(&str, &str)], fixed: Option<&str>) -> Option<FacilityConfig> {
    Some(FacilityConfig {
        departments: departments
            .iter()
            .map(|(code, name)| department(code, name))
            .collect(),
        department: fixed.map(str::to_owned),
        ..FacilityConfig::default()
    })
}

static SEVERAL: [(&str, &str); 3] = [("01", "内科"), ("09", "小児科"), ("27", "漢方内科")];

/// HAPPY's steps, then the department chosen.
fn happy_then(code: &str) -> String {
    format!(
        "{}, {{\"department\": \"{code}\"}}]",
        HAPPY.trim_end_matches(']')
    )
}

fn asked(kiosk: &Kiosk) -> bool {
    kiosk
        .screens()
        .iter()
        .any(|s| matches!(s, Screen::ChooseDepartment { .. }))
}

/// (departments, fixed, choice, asked, stored)
type Case = (
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    Option<&'static str>,
    bool,
    Option<&'static str>,
);

#[test]
fn asked_with_several_departments_and_skipped_with_one_a_fixed_one_or_none() {
    // (departments, fixed, choice, asked, stored)
    let table: [Case; 6] = [
        (&[], None, None, false, None),
        (&SEVERAL[..1], None, None, false, Some("01")),
        (&SEVERAL, Some("09"), None, false, Some("09")),
        (&[], Some("05"), None, false, Some("05")),
        (&SEVERAL, None, Some("27"), true, Some("27")),
        (&SEVERAL[..2], None, Some("01"), true, Some("01")),
    ];
    for (departments, fixed, choice, is_asked, stored) in table {
        let case = format!("{departments:?} fixed {fixed:?}");
        let mut kiosk = Kiosk::new("card", "valid-3", facility(departments, fixed));
        let steps = choice.map_or_else(|| HAPPY.to_owned(), happy_then);
        // Read back from the database: the department survives the store's round trip.
        let stored_check_in = kiosk.run_ok(&script_at(VISIT, &steps));
        assert_eq!(asked(&kiosk), is_asked, "{case}: {:?}", kiosk.screens());
        assert_eq!(stored_check_in.record.outcome, Outcome::Completed, "{case}");
        assert_eq!(
            stored_check_in.record.department.as_deref(),
            stored,
            "{case}"
        );
    }
}

#[test]
fn the_screen_lists_each_department_in_both_languages_in_the_facilitys_order() {
    let mut kiosk = at_the_question();
    let Screen::ChooseDepartment { departments } = kiosk.screen() else {
        panic!("not the department question: {:?}", kiosk.screen());
    };
    let label = |code: &str, ja: &str, en: &str| DepartmentLabel {
        code: code.into(),
        ja: ja.into(),
        en: en.into(),
    };
    assert_eq!(
        departments,
        vec![
            label("01", "内科", "Internal medicine"),
            label("09", "小児科", "Pediatrics"),
            // Not in config/departments.json and no name_en: the Japanese on both screens.
            label("27", "漢方内科", "漢方内科"),
        ]
    );
    // A code not on the screen changes nothing.
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::ChooseDepartment("99".into()));
    assert!(matches!(kiosk.screen(), Screen::ChooseDepartment { .. }));
    // The chosen one is named on the done screen.
    tap(&mut kiosk, PatientAction::ChooseDepartment("09".into()));
    kiosk.driver.wait_for_machines();
    assert!(matches!(kiosk.screen(), Screen::Done { .. }));
    assert_eq!(
        kiosk.driver.flow.view().department,
        Some(label("09", "小児科", "Pediatrics"))
    );
}

#[test]
fn a_script_naming_a_department_not_on_the_screen_is_told_which_are() {
    let mut kiosk = Kiosk::new("card", "valid-3", facility(&SEVERAL, None));
    let err = kiosk
        .run(&script_at(VISIT, &happy_then("99")))
        .expect_err("99 is not listed");
    assert!(
        err.0.contains("\"99\"") && err.0.contains("01, 09, 27"),
        "{err}"
    );
}

#[test]
fn never_asked_on_a_handoff() {
    for (reader, steps) in [
        ("iphone", r#"["tap"]"#),
        (
            "card",
            r#"["paper_documents", {"declare": "eligibility_certificate"}]"#,
        ),
    ] {
        let mut kiosk = Kiosk::new(reader, "valid-3", facility(&SEVERAL, None));
        let record = kiosk.run_ok(&script_at(VISIT, steps)).record;
        assert!(
            matches!(record.outcome, Outcome::HandedToStaff { .. }),
            "{reader}: {:?}",
            record.outcome
        );
        assert!(!asked(&kiosk), "{reader}");
        assert_eq!(
            record.department, None,
            "{reader}: staff choose at the desk"
        );
    }
}

/// A kiosk at the department question, every earlier answer given.
fn at_the_question() -> Kiosk {
    let mut kiosk = Kiosk::new("card", "valid-3", facility(&SEVERAL, None));
    let script = uketsuke::headless::PatientScript::parse(&script_at(VISIT, HAPPY)).unwrap();
    kiosk.driver.now = script.visit_time.unwrap();
    for step in &script.steps {
        kiosk.driver.step(step).unwrap();
    }
    assert!(
        matches!(kiosk.screen(), Screen::ChooseDepartment { .. }),
        "{:?}",
        kiosk.screen()
    );
    kiosk
}

fn tap(kiosk: &mut Kiosk, action: PatientAction) {
    kiosk.input(Input::Patient(action));
}

#[test]
fn a_double_tap_cannot_choose_and_back_asks_the_question_before_again() {
    let mut kiosk = at_the_question();
    assert!(kiosk.driver.flow.view().can_go_back);
    // The second tap of the prescription answer lands on a department: ignored.
    tap(&mut kiosk, PatientAction::ChooseDepartment("01".into()));
    assert!(
        matches!(kiosk.screen(), Screen::ChooseDepartment { .. }),
        "0 ms: ignored"
    );
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::Back);
    assert_eq!(
        kiosk.screen(),
        Screen::Prescription,
        "back undoes the answer"
    );
    kiosk.driver.wait(Duration::from_millis(600));
    tap(
        &mut kiosk,
        PatientAction::ChoosePrescription(uketsuke::domain::PrescriptionForm::Paper),
    );
    assert!(matches!(kiosk.screen(), Screen::ChooseDepartment { .. }));
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::ChooseDepartment("27".into()));
    kiosk.driver.wait_for_machines();
    let record = kiosk.last_stored().record;
    assert_eq!(record.outcome, Outcome::Completed);
    assert_eq!(record.department.as_deref(), Some("27"));
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
            at: Step::ChooseDepartment
        }
    );
    assert_eq!(record.department, None, "not chosen");

    let mut kiosk = at_the_question();
    tap(&mut kiosk, PatientAction::Cancel);
    kiosk.driver.wait(Duration::from_millis(600));
    tap(&mut kiosk, PatientAction::ConfirmEnd);
    kiosk.driver.wait_for_machines();
    assert_eq!(
        kiosk.last_stored().record.outcome,
        Outcome::Cancelled {
            at: Step::ChooseDepartment
        }
    );
}
