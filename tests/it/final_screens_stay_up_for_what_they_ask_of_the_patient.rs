//! Each final screen stays up as long as what it asks of the patient takes (issue 14 Build
//! item 3; review 2026-11 rows 2, 12, 24, 25, cross-screen 5): a handoff the patient must act
//! on (the portal screen: open Mynaportal, log in, find 資格情報; a paper document; the visual
//! check) and save-failed for `action_screen_seconds` (default 90), the done screen and the
//! other handoffs for `final_screen_seconds` (default 60), cancelled and timed out for
//! `ended_screen_seconds` (default 20; nothing the patient must read lasts 5 s). On virtual
//! time: the screen is still up one second before its setting and gone at it. With the old
//! timers (30 s for every final screen, 5 s for cancelled and timed out) every row fails.

use crate::common;

use common::{HAPPY, Kiosk, VISIT, parse_time};
use uketsuke::domain::{DeclaredDocument, HandoffReason, Presented};
use uketsuke::flow::{CheckInFlow, Command, Input, PatientAction, Screen, StoreReply};
use uketsuke::rules::{FacilityConfig, Rules};

/// A row: what leads there (script steps, one by one), which screen, which setting.
struct Row {
    name: &'static str,
    steps: &'static [&'static str],
    /// Seconds of virtual time to let pass after the steps (the idle timeout).
    then_wait: fn(&FacilityConfig) -> u64,
    is_screen: fn(&Screen) -> bool,
    setting: fn(&FacilityConfig) -> u32,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "portal-screen handoff",
            steps: &[r#"{"tap": "iphone"}"#],
            then_wait: |_| 0,
            is_screen: |s| {
                matches!(
                    s,
                    Screen::Handoff {
                        reason: HandoffReason::ConfirmPortalScreen,
                        ..
                    }
                )
            },
            setting: |f| f.action_screen_seconds,
        },
        Row {
            name: "paper-document handoff",
            steps: &[
                r#""paper_documents""#,
                r#"{"declare": "eligibility_certificate"}"#,
            ],
            then_wait: |_| 0,
            is_screen: |s| {
                matches!(
                    s,
                    Screen::Handoff {
                        reason: HandoffReason::PaperDocument,
                        ..
                    }
                )
            },
            setting: |f| f.action_screen_seconds,
        },
        Row {
            name: "visual-check handoff (the patient asked)",
            steps: &[r#""tap""#, r#""ask_staff_to_check""#],
            then_wait: |_| 0,
            is_screen: |s| {
                matches!(
                    s,
                    Screen::Handoff {
                        reason: HandoffReason::PatientAskedStaffToCheck,
                        ..
                    }
                )
            },
            setting: |f| f.action_screen_seconds,
        },
        Row {
            name: "done",
            steps: &[],
            then_wait: |_| 0,
            is_screen: |s| matches!(s, Screen::Done { .. }),
            setting: |f| f.final_screen_seconds,
        },
        Row {
            name: "called-staff handoff",
            steps: &[r#""tap""#, r#""call_staff""#],
            then_wait: |_| 0,
            is_screen: |s| {
                matches!(
                    s,
                    Screen::Handoff {
                        reason: HandoffReason::PatientCalledStaff,
                        ..
                    }
                )
            },
            setting: |f| f.final_screen_seconds,
        },
        Row {
            name: "cancelled",
            steps: &[r#""paper_documents""#, r#""cancel""#],
            then_wait: |_| 0,
            is_screen: |s| *s == Screen::Cancelled,
            setting: |f| f.ended_screen_seconds,
        },
        Row {
            name: "timed out",
            steps: &[r#""paper_documents""#],
            then_wait: |f| u64::from(f.idle_timeout_seconds),
            is_screen: |s| *s == Screen::TimedOut,
            setting: |f| f.ended_screen_seconds,
        },
    ]
}

#[test]
fn final_screens_stay_up_for_what_they_ask_of_the_patient() {
    let facility = FacilityConfig::default();
    assert!(
        facility.action_screen_seconds >= 90,
        "the portal path needs 90 s"
    );
    assert!(
        facility.ended_screen_seconds >= 15,
        "nothing to read lasts 5 s"
    );
    for row in rows() {
        let mut kiosk = Kiosk::new("card", "valid-3", Some(facility.clone()));
        if row.name == "done" {
            kiosk.run_until_recorded(HAPPY);
        } else {
            for step in row.steps {
                kiosk.step_ok(step);
            }
            kiosk.wait((row.then_wait)(&facility));
            kiosk.driver.wait_for_machines();
        }
        let name = row.name;
        assert!(
            (row.is_screen)(&kiosk.screen()),
            "{name}: shows {:?}",
            kiosk.screen()
        );
        let setting = u64::from((row.setting)(&facility));
        let shown_at = kiosk.driver.now;
        let until = kiosk
            .driver
            .flow
            .next_deadline()
            .expect("a final screen ends");
        println!(
            "{name}: up for {} s (setting {setting} s)",
            (until - shown_at).num_seconds()
        );

        kiosk.wait(setting - 1);
        assert!(
            (row.is_screen)(&kiosk.screen()),
            "{name}: gone before {setting} s: {:?}",
            kiosk.screen()
        );
        kiosk.wait(1);
        assert_eq!(
            kiosk.screen(),
            Screen::Welcome,
            "{name}: gone at {setting} s"
        );
    }
}

/// Save-failed tells the patient to go to the desk with what the clerk matches them by; it
/// stays for `action_screen_seconds` and names this kiosk, the time and what was presented.
#[test]
fn save_failed_stays_up_for_the_action_setting_and_names_the_kiosk_and_time() {
    let facility = FacilityConfig {
        kiosk_name: "1F entrance".to_owned(),
        ..FacilityConfig::default()
    };
    let seconds = chrono::TimeDelta::seconds(i64::from(facility.action_screen_seconds));
    let mut flow = CheckInFlow::new(Rules::embedded(), facility);
    let t0 = parse_time(VISIT);
    flow.handle(t0, Input::Patient(PatientAction::OpenDocumentMenu));
    flow.handle(
        t0,
        Input::Patient(PatientAction::DeclareDocument(
            DeclaredDocument::EligibilityCertificate,
        )),
    );
    let ticket = std::iter::from_fn(|| flow.poll())
        .find_map(|c| match c {
            Command::Persist(ticket, _) => Some(ticket),
            _ => None,
        })
        .expect("the flow asks to persist the handoff");
    flow.handle(
        t0,
        Input::Store(ticket, StoreReply::Failed("disk full".into())),
    );
    let expected = Screen::SaveFailed {
        kiosk: "1F entrance".to_owned(),
        at: t0,
        presented: Some(Presented::EligibilityCertificate),
    };
    assert_eq!(flow.view().screen, expected);
    flow.handle(t0 + seconds - chrono::TimeDelta::seconds(1), Input::Tick);
    assert_eq!(flow.view().screen, expected, "still up one second before");
    flow.handle(t0 + seconds, Input::Tick);
    assert_eq!(flow.view().screen, Screen::Welcome, "gone at the setting");
}
