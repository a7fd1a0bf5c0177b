//! Issue 16's "Must show", as a technician types it: `uketsuke check-in --headless` with a card
//! whose certificate expired 40 days ago completes with the renewal note (the card is in its
//! grace period); 200 days ago it is handed to staff as "certificate expired", with no PIN
//! (no identity, no wrong PIN, nothing counted). `cert-expired-days=N` counts back from today
//! in Japan, and a script without `visit_time` runs today.

use crate::common;

use common::{uketsuke, write_file};

fn run(dir: &std::path::Path, reader: &str, steps: &str) -> serde_json::Value {
    let db = dir.join("kiosk.db");
    let patient = write_file(dir, "patient.json", &format!(r#"{{"steps": {steps}}}"#));
    let cli = uketsuke(
        &[
            "check-in",
            "--headless",
            "--reader",
            reader,
            "--gateway",
            "sim",
            "--db",
            db.to_str().expect("UTF-8 path"),
            "--patient",
            &patient,
        ],
        &[],
    );
    assert_eq!(cli.code, Some(0), "{reader}: stderr {}", cli.stderr);
    serde_json::from_str(&cli.stdout).unwrap_or_else(|e| panic!("{e}: {}", cli.stdout))
}

#[test]
fn forty_days_completes_with_the_renewal_note_and_two_hundred_goes_to_staff() {
    let dir = tempfile::tempdir().expect("a temporary folder");

    let grace = run(
        dir.path(),
        "sim:card,cert-expired-days=40",
        r#"["tap", {"pin": "1234"}, {"high_cost_limit": true}, {"prescription": "electronic"}]"#,
    );
    assert_eq!(grace["outcome"]["kind"], "completed", "{grace}");
    assert_eq!(grace["verification"], "card_via_reader", "{grace}");
    assert_eq!(grace["counts_toward_usage_rate"], true, "{grace}");
    assert_eq!(
        grace["checklist"],
        serde_json::json!(["certificate_expired_in_grace"]),
        "{grace}"
    );

    let expired = run(dir.path(), "sim:card,cert-expired-days=200", r#"["tap"]"#);
    assert_eq!(expired["outcome"]["kind"], "handed_to_staff", "{expired}");
    assert_eq!(
        expired["outcome"]["reason"], "certificate_expired",
        "{expired}"
    );
    assert_eq!(
        expired["identity"],
        serde_json::Value::Null,
        "no PIN: {expired}"
    );
    assert_eq!(expired["wrong_pin_entries"], 0, "{expired}");
    assert_eq!(expired["counts_toward_usage_rate"], false, "{expired}");
}
