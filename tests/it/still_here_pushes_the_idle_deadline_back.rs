//! The countdown's "I am still here" (and any touch the UI reports as it, such as PIN keys)
//! pushes the idle deadline back at a screen waiting for the patient, and does nothing anywhere
//! else: it never starts a check-in by itself.

use uketsuke::datetime;
use uketsuke::domain::Outcome;
use uketsuke::flow::{CheckInFlow, Command, Input, PatientAction, Screen};
use uketsuke::rules::{FacilityConfig, Rules};

#[test]
fn still_here_pushes_the_idle_deadline_back_only_where_the_patient_is_asked() {
    let t0 = datetime!(2026-11-21 09:30:00 +09:00);
    let secs = chrono::TimeDelta::seconds;
    let mut flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());

    flow.handle(t0, Input::Patient(PatientAction::StillHere));
    assert_eq!(flow.view().screen, Screen::Welcome);
    assert!(
        !flow.in_session(),
        "a touch on the idle screen starts nothing"
    );
    assert_eq!(flow.view().idle_deadline, None);

    flow.handle(t0, Input::Patient(PatientAction::OpenDocumentMenu));
    assert_eq!(flow.view().screen, Screen::DocumentMenu);
    assert_eq!(flow.view().idle_deadline, Some(t0 + secs(90)));

    flow.handle(t0 + secs(80), Input::Patient(PatientAction::StillHere));
    assert_eq!(flow.view().idle_deadline, Some(t0 + secs(170)));
    flow.handle(t0 + secs(100), Input::Tick);
    assert_eq!(
        flow.view().screen,
        Screen::DocumentMenu,
        "not cleared at 90 s"
    );
    flow.handle(t0 + secs(170), Input::Tick);
    // Cleared: the timed-out check-in goes to the store before the screen says so.
    assert_eq!(flow.view().screen, Screen::Saving);
    match flow.poll() {
        Some(Command::Persist(_, record)) => {
            assert!(matches!(record.outcome, Outcome::TimedOut { .. }))
        }
        other => panic!("expected the check-in to be recorded, got {other:?}"),
    }
}
