//! `uketsuke check-in --headless` refuses a bad script or option with a non-zero exit and a
//! message on stderr that names the problem (the file, the step, the screen, the option), and
//! prints nothing on stdout; a good run prints the stored record as JSON.

use crate::common;

use common::{Cli, uketsuke, write_file};
use tempfile::TempDir;

const TAP: &str = r#"{"visit_time": "2026-11-21T10:00:00+09:00", "steps": ["tap"]}"#;

struct Setup {
    dir: TempDir,
    db: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir
        .path()
        .join("kiosk.db")
        .to_str()
        .expect("UTF-8 path")
        .to_owned();
    Setup { dir, db }
}

impl Setup {
    fn script(&self, name: &str, text: &str) -> String {
        write_file(self.dir.path(), name, text)
    }

    fn check_in(&self, patient: &str, extra: &[&str]) -> Cli {
        let mut args = vec![
            "check-in",
            "--headless",
            "--db",
            &self.db,
            "--patient",
            patient,
        ];
        args.extend_from_slice(extra);
        uketsuke(&args, &[])
    }
}

/// The run failed, printed nothing on stdout, and stderr holds every one of `needles`.
fn assert_refused(what: &str, cli: &Cli, needles: &[&str]) {
    assert!(
        cli.failed(),
        "{what}: exit {:?}; stdout {}",
        cli.code,
        cli.stdout
    );
    assert!(
        cli.code.is_some(),
        "{what}: ended by a signal, not an error"
    );
    assert_eq!(
        cli.stdout, "",
        "{what}: nothing printed as if it had worked"
    );
    for needle in needles {
        assert!(
            cli.stderr.contains(needle),
            "{what}: stderr does not name {needle:?}:\n{}",
            cli.stderr
        );
    }
    assert!(
        !cli.stderr.contains("panicked"),
        "{what}: a panic is not a message:\n{}",
        cli.stderr
    );
}

#[test]
fn bad_json_names_the_file() {
    let s = setup();
    let path = s.script("bad.json", r#"{"steps": ["tap""#);
    let cli = s.check_in(&path, &[]);
    assert_refused("bad JSON", &cli, &[&path, "not valid JSON"]);
}

#[test]
fn an_unknown_step_names_its_number_and_lists_the_valid_actions() {
    let s = setup();
    let path = s.script(
        "unknown.json",
        r#"{"steps": ["tap", {"pin": "1234"}, "dance"]}"#,
    );
    let cli = s.check_in(&path, &[]);
    assert_refused(
        "unknown step",
        &cli,
        &[
            &path,
            "step 3",
            "\"dance\"",
            "\"tap\"",
            "\"call_staff\"",
            "\"paper_documents\"",
            "{\"pin\": \"1234\"}",
            "{\"wait_seconds\": N}",
        ],
    );
}

#[test]
fn a_malformed_pin_in_a_script_is_an_error_not_a_wrong_pin() {
    let s = setup();
    let path = s.script("pin.json", r#"{"steps": ["tap", {"pin": "12a4"}]}"#);
    let cli = s.check_in(&path, &[]);
    assert_refused("PIN typo", &cli, &["step 2", "4 digits", "12a4"]);
}

#[test]
fn a_pin_step_without_a_pin_pad_names_the_screen() {
    let s = setup();
    let path = s.script(
        "pin-first.json",
        r#"{"visit_time": "2026-11-21T10:00:00+09:00", "steps": [{"pin": "1234"}]}"#,
    );
    let cli = s.check_in(&path, &[]);
    assert_refused(
        "PIN at welcome",
        &cli,
        &["step 1 (pin)", "welcome", "PIN pad"],
    );

    // After an unreadable phone the kiosk shows the handoff, not a PIN pad.
    let path = s.script(
        "pin-after-phone.json",
        r#"{"visit_time": "2026-11-21T10:00:00+09:00", "steps": ["tap", {"pin": "1234"}]}"#,
    );
    let cli = s.check_in(&path, &["--reader", "sim:iphone"]);
    assert_refused(
        "PIN after the phone",
        &cli,
        &["step 2 (pin)", "handoff", "PIN pad"],
    );
}

#[test]
fn a_script_that_stops_while_the_kiosk_waits_says_where() {
    let s = setup();
    let path = s.script("short.json", TAP);
    let cli = s.check_in(&path, &[]);
    assert_refused("ends at the PIN pad", &cli, &["pin_entry", "wait_seconds"]);
}

#[test]
fn an_unknown_reader_profile_names_it_and_lists_the_profiles() {
    let s = setup();
    let path = s.script("tap.json", TAP);
    let cli = s.check_in(&path, &["--reader", "sim:walkman"]);
    assert_refused(
        "unknown profile",
        &cli,
        &["--reader", "walkman", "card", "iphone", "resident-card"],
    );
    let cli = s.check_in(&path, &["--reader", "sim:card,tries=7"]);
    assert_refused("tries out of range", &cli, &["tries=7", "0 to 3"]);
    let cli = s.check_in(&path, &["--reader", "pcsc:"]);
    assert_refused(
        "a PC/SC reader without a name after the colon",
        &cli,
        &["--reader pcsc:", "pcsc:NAME", "sim:PROFILE"],
    );
}

#[test]
fn an_unknown_persona_names_it_and_lists_the_personas() {
    let s = setup();
    let path = s.script("tap.json", TAP);
    let cli = s.check_in(&path, &["--gateway", "sim:grumpy"]);
    assert_refused(
        "unknown persona",
        &cli,
        &[
            "--gateway",
            "grumpy",
            "valid-3",
            "several-matches",
            "timeout",
        ],
    );
}

#[test]
fn an_unreadable_patient_path_is_named() {
    let s = setup();
    let missing = s
        .dir
        .path()
        .join("no-such-folder")
        .join("patient.json")
        .to_str()
        .expect("UTF-8 path")
        .to_owned();
    let cli = s.check_in(&missing, &[]);
    assert_refused(
        "missing script",
        &cli,
        &[&missing, "cannot read patient script"],
    );
}

#[test]
fn repeat_zero_is_refused() {
    let s = setup();
    let path = s.script("tap.json", TAP);
    let cli = s.check_in(&path, &["--repeat", "0", "--reader", "sim:iphone"]);
    assert_refused("--repeat 0", &cli, &["--repeat", "at least 1"]);
}

#[test]
fn a_good_phone_unreadable_run_prints_the_portal_screen_handoff() {
    let s = setup();
    let path = s.script("tap.json", TAP);
    let cli = s.check_in(&path, &["--reader", "sim:iphone", "--gateway", "sim"]);
    assert_eq!(cli.code, Some(0), "stderr: {}", cli.stderr);
    assert!(
        cli.stdout.contains("confirm_portal_screen"),
        "{}",
        cli.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli.stdout).expect("stdout is one JSON record");
    assert_eq!(json["outcome"]["kind"], "handed_to_staff");
    assert_eq!(json["outcome"]["reason"], "confirm_portal_screen");
    // The route staff are expected to take; the method is theirs to record (issue 16 item 4).
    assert_eq!(json["expected_route"], "portal_screen_checked_by_staff");
    assert_eq!(json["verification"], serde_json::Value::Null);
    assert_eq!(json["counts_toward_usage_rate"], false);
    assert_eq!(json["presented"], "unreadable_device");
    assert_eq!(json["visit_date"], "2026-11-21");
    assert!(json["reception_number"].is_u64(), "{json}");
    let checklist = json["checklist"].as_array().expect("a checklist");
    assert!(checklist.contains(&"check_portal_eligibility_screen".into()));
    assert!(checklist.contains(&"not_counted_toward_usage_rate".into()));

    // --repeat prints one JSON line per committed check-in, each its own record.
    let cli = s.check_in(&path, &["--reader", "sim:iphone", "--repeat", "3"]);
    assert_eq!(cli.code, Some(0), "stderr: {}", cli.stderr);
    let ids: Vec<i64> = cli
        .stdout
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            assert_eq!(record["outcome"]["reason"], "confirm_portal_screen");
            record["id"].as_i64().expect("an id")
        })
        .collect();
    assert_eq!(ids, vec![2, 3, 4], "the same database keeps counting");
}
