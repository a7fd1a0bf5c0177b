//! `uketsuke doctor` asks the ORCA the facility file names for its departments
//! (system01lstv2): ok with the departments listed; a wrong password fails naming `orca.url`
//! and `orca.user` (never the password); no `orca` key: skipped.

use std::process::Command;

use crate::orca::{FakeOrca, PASSWORD, USER, facility};

fn doctor_orca(
    dir: &std::path::Path,
    facility: &std::path::Path,
) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json", "--only", "orca", "--data-dir"])
        .arg(dir)
        .arg("--facility")
        .arg(facility)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code(), report["checks"][0].clone())
}

#[test]
fn doctor_says_whether_orca_answers_and_names_the_url_and_user_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &[]);

    let good = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let (code, check) = doctor_orca(dir.path(), &good);
    assert_eq!(code, Some(0), "{check}");
    assert_eq!(check["id"], "orca");
    assert_eq!(check["state"], "ok", "{check}");
    assert!(
        check["detail"].as_str().unwrap().contains("01 内科"),
        "{check}"
    );

    let bad = facility(
        dir.path(),
        &orca.url(),
        "wrong-password",
        serde_json::json!({}),
    );
    let (code, check) = doctor_orca(dir.path(), &bad);
    assert_eq!(code, Some(1), "{check}");
    assert_eq!(check["state"], "fail");
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains(&orca.url()) && detail.contains(USER) && detail.contains("401"),
        "{detail}"
    );
    assert!(!detail.contains("wrong-password"), "{detail}");

    let unknown_department = facility(
        dir.path(),
        &orca.url(),
        PASSWORD,
        serde_json::json!({"departments": {"01": "10001", "33": "10002"}}),
    );
    let (_, check) = doctor_orca(dir.path(), &unknown_department);
    assert_eq!(check["state"], "fail");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("orca.departments"),
        "{check}"
    );

    let none = dir.path().join("plain.json");
    std::fs::write(&none, "{}").unwrap();
    let (_, check) = doctor_orca(dir.path(), &none);
    assert_eq!(check["state"], "skip", "{check}");
}
