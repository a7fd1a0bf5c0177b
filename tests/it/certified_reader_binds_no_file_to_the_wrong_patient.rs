//! Binding (issue 17, Tests "Binding"): a face file names no reader and no patient, so the kiosk
//! binds one only when nobody else could own it. Two patients in quick succession each get their
//! own file; a file arriving late, after a wait timed out, is bound to nobody (the next patient,
//! waiting within the quiet period, goes to the desk); a file arriving while two kiosks wait on
//! one terminal folder is bound to neither. Kiosks and the fake terminal are real processes; the
//! tests wait on the kiosks' waiting markers, never on the clock.

use crate::certified_reader_rig::{Terminal, finish, handoff};

#[test]
fn two_patients_in_quick_succession_each_get_their_own_file() {
    let terminal = Terminal::new();
    let facility = terminal.facility(
        "facility.json",
        "kiosk-1",
        r#"{"face_result_timeout_seconds": 20}"#,
    );
    // A 70-74 and a 75+ patient: 2割 and 1割 from their files (which carry no consent
    // answers: the kiosk asks its one question).
    let mut kiosk = terminal.kiosk(&facility, r#"["tap", {"consent": "all"}]"#, 2, "kiosk");
    terminal.await_wait("kiosk_1", 1, &mut kiosk);
    terminal.face("elderly-70", &[]);
    terminal.await_wait("kiosk_1", 2, &mut kiosk);
    terminal.face("elderly-75", &[]);
    let (records, stdout) = finish(kiosk);
    assert_eq!(records.len(), 2, "{stdout}");
    assert_eq!(records[0]["outcome"]["kind"], "completed", "{stdout}");
    assert_eq!(
        records[0]["eligibility"]["burden_ratio"], 20,
        "the first file"
    );
    assert_eq!(records[1]["outcome"]["kind"], "completed", "{stdout}");
    assert_eq!(
        records[1]["eligibility"]["burden_ratio"], 10,
        "the second file"
    );
}

#[test]
fn a_late_file_after_a_timeout_is_bound_to_nobody() {
    let terminal = Terminal::new();
    let facility = terminal.facility(
        "facility.json",
        "kiosk-1",
        r#"{"face_result_timeout_seconds": 2, "late_file_quiet_seconds": 60}"#,
    );
    let mut kiosk = terminal.kiosk(&facility, r#"["tap"]"#, 2, "kiosk");
    // The first patient's wait times out with no file; the second patient's wait begins within
    // the quiet period, and then the first patient's file arrives, late.
    terminal.await_wait("kiosk_1", 2, &mut kiosk);
    terminal.face("valid-sjis", &[]);
    let (records, stdout) = finish(kiosk);
    assert_eq!(records.len(), 2, "{stdout}");
    let (first, first_causes) = handoff(&records[0]);
    assert_eq!(first, "confirm_result_at_desk");
    assert_eq!(first_causes[0], "face_result_none_in_time");
    let (second, second_causes) = handoff(&records[1]);
    assert_eq!(
        second, "confirm_result_at_desk",
        "never the late file: {stdout}"
    );
    assert_eq!(second_causes[0], "face_result_other_session_may_own");
    assert_eq!(
        records[1]["eligibility"],
        serde_json::Value::Null,
        "nothing of the late file kept"
    );
}

#[test]
fn a_file_during_another_kiosks_wait_is_bound_to_neither() {
    let terminal = Terminal::new();
    let reader = r#"{"face_result_timeout_seconds": 20}"#;
    let first = terminal.facility("first.json", "entrance", reader);
    let second = terminal.facility("second.json", "upstairs", reader);
    let mut a = terminal.kiosk(&first, r#"["tap"]"#, 1, "entrance");
    terminal.await_wait("entrance", 1, &mut a);
    let mut b = terminal.kiosk(&second, r#"["tap"]"#, 1, "upstairs");
    terminal.await_wait("upstairs", 1, &mut b);
    terminal.face("valid-sjis", &[]);
    for kiosk in [a, b] {
        let (records, stdout) = finish(kiosk);
        let (reason, causes) = handoff(&records[0]);
        assert_eq!(reason, "confirm_result_at_desk", "{stdout}");
        assert_eq!(causes[0], "face_result_other_session_may_own", "{stdout}");
    }
}
