//! Issue 17's "Must show" and its fake-terminal cases, end to end: `uketsuke check-in
//! --headless --reader sim:card --gateway oqs:DIR` sends the card to the certified reader, the
//! fake terminal (a process) writes the face file the case names, and the JSON the kiosk prints
//! says how the check-in ended. Each kiosk waits with the facility's settings; a file is
//! written only once the kiosk's wait has begun (its marker), so nothing here sleeps.

use crate::certified_reader_rig::{Terminal, finish, handoff};

const READER: &str = r#"{"face_result_timeout_seconds": 20}"#;

/// One patient: the card tapped, the face file written by `case` (with `extra` options); the
/// check-in as printed, and the kiosk's whole stdout.
fn one(case: &str, extra: &[&str], steps: &str) -> (serde_json::Value, String) {
    let terminal = Terminal::new();
    let facility = terminal.facility("facility.json", "kiosk-1", READER);
    let mut kiosk = terminal.kiosk(&facility, steps, 1, case);
    terminal.await_wait("kiosk_1", 1, &mut kiosk);
    terminal.face(case, extra);
    let (mut records, stdout) = finish(kiosk);
    assert_eq!(records.len(), 1, "{stdout}");
    (records.remove(0), stdout)
}

fn completed(case: &str, steps: &str) -> serde_json::Value {
    let (record, _) = one(case, &[], steps);
    assert_eq!(record["outcome"]["kind"], "completed", "{case}: {record}");
    assert_eq!(
        record["verification"], "card_via_reader",
        "{case}: {record}"
    );
    assert_eq!(record["counts_toward_usage_rate"], true, "{case}: {record}");
    assert_eq!(
        record["identity"],
        serde_json::Value::Null,
        "{case}: no PIN here"
    );
    record
}

#[test]
fn a_valid_file_in_either_encoding_and_any_order_completes_with_its_ratio() {
    // OQS-A: born 1981, under 70: 3割 derived from age; consents answered on the reader.
    for case in ["valid-sjis", "valid-utf8-bom", "shuffled"] {
        let record = completed(case, r#"["tap"]"#);
        let eligibility = &record["eligibility"];
        assert_eq!(eligibility["burden_ratio"], 30, "{case}: {record}");
        assert_eq!(
            eligibility["burden_ratio_source"], "derived_from_age",
            "{case}"
        );
        assert!(
            eligibility["insurer_number"]
                .as_str()
                .is_some_and(|n| n.ends_with("139998")),
            "{case}: {record}"
        );
        assert_eq!(
            record["consent"]["medical_and_drug_info"],
            serde_json::Value::Bool(true),
            "{case}: the reader's answer, not asked again: {record}"
        );
    }
}

/// Their files carry no consent answers: the kiosk asks its one question.
#[test]
fn the_elderly_ratios_come_from_their_own_fields() {
    let old = completed("elderly-75", r#"["tap", {"consent": "all"}]"#);
    assert_eq!(old["eligibility"]["burden_ratio"], 10, "{old}");
    assert_eq!(old["eligibility"]["burden_ratio_source"], "result");
    let seventy = completed("elderly-70", r#"["tap", {"consent": "all"}]"#);
    assert_eq!(seventy["eligibility"]["burden_ratio"], 20, "{seventy}");
}

#[test]
fn a_file_without_consent_answers_has_the_kiosk_ask_them() {
    let record = completed("minimal", r#"["tap", {"consent": "all"}]"#);
    assert_eq!(record["consent"]["mode"], "all", "{record}");
    assert_eq!(record["consent"]["medical_and_drug_info"], true, "{record}");
}

#[test]
fn a_level_3_kanji_name_completes_and_is_never_printed() {
    let (record, stdout) = one("kanji-level3", &[], r#"["tap"]"#);
    assert_eq!(record["outcome"]["kind"], "completed", "{record}");
    assert!(
        !stdout.contains('德') && !stdout.contains("見本"),
        "{stdout}"
    );
}

#[test]
fn a_slowly_written_file_is_read_to_its_end() {
    let (record, _) = one("valid-sjis", &["--slow-ms", "600"], r#"["tap"]"#);
    assert_eq!(record["outcome"]["kind"], "completed", "{record}");
    assert_eq!(record["eligibility"]["burden_ratio"], 30, "{record}");
}

#[test]
fn an_invalid_result_takes_the_existing_invalid_path() {
    let (record, _) = one("invalid", &[], r#"["tap"]"#);
    let (reason, _) = handoff(&record);
    assert_eq!(reason, "eligibility_invalid", "{record}");
}

#[test]
fn files_the_kiosk_must_not_decide_go_to_the_desk_with_their_cause() {
    let cases: [(&str, &[&str], &[&str]); 7] = [
        ("two-results", &[], &["face_result_not_usable"]),
        (
            "duplicated-field",
            &[],
            &["face_result_not_usable", "face_result_unreadable"],
        ),
        ("xxe", &[], &["face_result_unreadable"]),
        ("garbage", &[], &["face_result_unreadable"]),
        ("error", &[], &["face_result_error"]),
        // Another facility's file.
        (
            "valid-sjis",
            &["--facility", "1310000007"],
            &["face_result_other_facility"],
        ),
        // Yesterday's file arriving now.
        (
            "valid-sjis",
            &["--stamp", "YESTERDAY"],
            &["face_result_stale"],
        ),
    ];
    let yesterday = (uketsuke::dates::now().with_timezone(&uketsuke::rules::JST)
        - chrono::TimeDelta::days(1))
    .format("%Y%m%d%H%M%S")
    .to_string();
    for (case, extra, causes) in cases {
        let extra: Vec<&str> = extra
            .iter()
            .map(|e| {
                if *e == "YESTERDAY" {
                    yesterday.as_str()
                } else {
                    e
                }
            })
            .collect();
        // The rig passes the facility's own code; a later --facility wins.
        let (record, stdout) = one(case, &extra, r#"["tap"]"#);
        let (reason, checklist) = handoff(&record);
        assert_eq!(
            reason, "confirm_result_at_desk",
            "{case} {extra:?}: {record}"
        );
        assert!(
            causes.contains(&checklist[0].as_str()),
            "{case} {extra:?}: {checklist:?}"
        );
        assert_eq!(checklist[1], "check_result_on_terminal", "{case}");
        assert_eq!(
            record["expected_route"], "card_via_reader",
            "{case}: {record}"
        );
        assert_eq!(record["counts_toward_usage_rate"], false, "{case}: not yet");
        assert!(!stdout.contains("見本"), "{case}: no name printed");
    }
}

#[test]
fn a_file_taken_away_mid_read_hands_over() {
    let (record, _) = one("valid-sjis", &["--vanish-after-ms", "40"], r#"["tap"]"#);
    let (reason, checklist) = handoff(&record);
    assert_eq!(reason, "confirm_result_at_desk", "{record}");
    // Gone before the second read, or before the kiosk even saw it.
    assert!(
        ["face_result_unreadable", "face_result_none_in_time"].contains(&checklist[0].as_str()),
        "{checklist:?}"
    );
}

#[test]
fn no_file_in_time_hands_over() {
    let terminal = Terminal::new();
    let facility = terminal.facility(
        "facility.json",
        "kiosk-1",
        r#"{"face_result_timeout_seconds": 1}"#,
    );
    let kiosk = terminal.kiosk(&facility, r#"["tap"]"#, 1, "none");
    let (records, _) = finish(kiosk);
    let (reason, checklist) = handoff(&records[0]);
    assert_eq!(reason, "confirm_result_at_desk");
    assert_eq!(checklist[0], "face_result_none_in_time");
}
