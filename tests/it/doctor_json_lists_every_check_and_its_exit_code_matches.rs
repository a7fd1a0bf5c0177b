//! `uketsuke doctor --json` prints one object, `{"ok": bool, "checks": [{"id", "state",
//! "detail"}]}`, with every check once, and exits 0 exactly when `ok` is true. On a freshly
//! provisioned data folder the configuration and database checks pass; the console check
//! follows whether a real console answers at the configured address.

use std::path::Path;
use std::process::{Command, Stdio};

use uketsuke::console::Console;
use uketsuke::rules::{ConsoleSettings, Rules};
use uketsuke::store::Store;

const IDS: [&str; 13] = [
    "config",
    "database",
    "disk",
    "clock",
    "time-zone",
    "reader",
    "fonts",
    "console",
    "service",
    "orca",
    "central",
    "terminal",
    "voice",
];

fn provision(data: &Path, file: &str) {
    let path = data.with_extension("json");
    std::fs::write(&path, file).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .arg("provision")
        .arg(&path)
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn doctor(args: &[&str], data: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json"])
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), report)
}

fn state<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["state"].as_str())
        .unwrap_or_else(|| panic!("no {id} check in {report}"))
}

#[test]
fn every_check_once_and_the_exit_code_follows_ok() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    provision(
        &data,
        r#"{"facility": {"name": "さくら内科", "code": "0110113719"},
            "technician": {"login": "tech", "name": "技術担当"}}"#,
    );
    let (code, report) = doctor(&[], &data);
    let checks = report["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, IDS, "{report}");
    for c in checks {
        assert!(
            ["ok", "warn", "fail", "skip"].contains(&c["state"].as_str().unwrap()),
            "{c}"
        );
        assert!(!c["detail"].as_str().unwrap().is_empty(), "{c}");
    }
    let any_fail = checks.iter().any(|c| c["state"] == "fail");
    assert_eq!(report["ok"], !any_fail);
    assert_eq!(code, Some(if any_fail { 1 } else { 0 }), "{report}");
    assert_eq!(state(&report, "config"), "ok", "{report}");
    assert_eq!(state(&report, "database"), "ok", "{report}");

    // The same data folder before provisioning: not set up yet.
    let (code, report) = doctor(&["--only", "config,database"], &root.path().join("empty"));
    assert_eq!(code, Some(1));
    assert_eq!(state(&report, "config"), "fail");
    let detail = report["checks"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("uketsuke provision"), "{detail}");
}

#[test]
fn a_bad_facility_file_names_every_bad_key() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("facility.json"),
        r#"{"idle_timeout_seconds": 0, "facility": {"code": "0110113718"}, "languages": ["fr"]}"#,
    )
    .unwrap();
    let (code, report) = doctor(&["--only", "config"], &data);
    assert_eq!(code, Some(1));
    let detail = report["checks"][0]["detail"].as_str().unwrap();
    for key in ["idle_timeout_seconds", "facility.code", "languages"] {
        assert!(detail.contains(key), "{key}: {detail}");
    }
}

#[test]
fn the_console_check_follows_a_real_console() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let store = Store::open(&data.join("uketsuke.db")).unwrap();
    let settings = ConsoleSettings {
        bind: "127.0.0.1:0".to_owned(),
        secure_cookies: false,
        ..ConsoleSettings::default()
    };
    let console = Console::start(store.clone(), Rules::embedded(), &settings).unwrap();
    let addr = console.addr();
    std::fs::write(
        data.join("facility.json"),
        format!(r#"{{"console": {{"bind": "{addr}"}}}}"#),
    )
    .unwrap();
    let (code, report) = doctor(&["--only", "console"], &data);
    assert_eq!(state(&report, "console"), "ok", "{report}");
    assert_eq!(code, Some(0));
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("answers (HTTP/1.1"),
        "{report}"
    );
    drop(console);
    let (code, report) = doctor(&["--only", "console"], &data);
    assert_eq!(state(&report, "console"), "fail", "{report}");
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&addr.to_string()),
        "{report}"
    );
    assert_eq!(code, Some(1));
}
