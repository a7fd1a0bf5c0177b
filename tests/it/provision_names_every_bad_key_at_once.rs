//! `uketsuke provision` checks the whole provisioning file before it writes anything: every bad
//! key is named (`FILE: key "K": ...`), all of them in one run, and the data folder is left as
//! it was.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

/// A file that provisions cleanly (facility code 0110113719: Hokkaido, medical, check digit 9).
fn good() -> Value {
    json!({
        "facility": {"name": "さくら内科クリニック", "code": "0110113719"},
        "kiosk_name": "1F entrance",
        "technician": {"login": "tech", "name": "技術担当"}
    })
}

/// `base` with `patch`'s keys set (one level of objects deep, as the file has).
fn patched(mut base: Value, patch: &Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        match (base.get_mut(k), v) {
            (Some(Value::Object(inner)), Value::Object(p)) => {
                for (ik, iv) in p {
                    inner.insert(ik.clone(), iv.clone());
                }
            }
            _ => {
                base[k] = v.clone();
            }
        }
    }
    base
}

fn provision(data_dir: &Path, file: &Value) -> Output {
    let path = data_dir.with_extension("provision.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .arg("provision")
        .arg(&path)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    // A file refused before the password is asked for ends the program without reading its
    // input: a closed pipe then is the expected answer, not a failure.
    match child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write the password: {e}"),
        _ => {}
    }
    child.wait_with_output().unwrap()
}

fn untouched(data_dir: &Path) -> bool {
    !data_dir.exists() || std::fs::read_dir(data_dir).unwrap().next().is_none()
}

#[test]
fn each_bad_key_is_named_and_nothing_is_written() {
    let table: &[(Value, &str)] = &[
        // The check digit (Luhn over all ten digits) is wrong.
        (json!({"facility": {"code": "0110113718"}}), "facility.code"),
        // Prefecture 48 does not exist.
        (json!({"facility": {"code": "4810113719"}}), "facility.code"),
        // Score table 2 is none of 1 medical, 3 dental, 4 pharmacy.
        (json!({"facility": {"code": "0120113719"}}), "facility.code"),
        (json!({"facility": {"code": "011011371"}}), "facility.code"),
        // A number loses the leading zero.
        (json!({"facility": {"code": 110113719}}), "facility.code"),
        (json!({"facility": {"name": "  "}}), "facility.name"),
        (json!({"facility": "さくら"}), "facility"),
        (json!({"kiosk_name": 7}), "kiosk_name"),
        (json!({"console": {"bind": "everywhere"}}), "console.bind"),
        (
            json!({"console": {"tls_certificate": "/nonexistent/console.crt", "tls_key": "/nonexistent/console.key"}}),
            "console.tls_certificate",
        ),
        (
            json!({"console": {"tls_certificate": "relative/console.crt"}}),
            "console.tls_certificate",
        ),
        (json!({"reader_name": ["ACS"]}), "reader_name"),
        (json!({"gateway": "orca"}), "gateway"),
        (json!({"languages": ["ja", "fr"]}), "languages"),
        (json!({"languages": []}), "languages"),
        (json!({"languages": ["ja", "ja"]}), "languages"),
        (json!({"idle_timeout_seconds": 0}), "idle_timeout_seconds"),
        (
            json!({"gateway_timeout_seconds": "15"}),
            "gateway_timeout_seconds",
        ),
        (
            json!({"reader_timeout_seconds": 3600}),
            "reader_timeout_seconds",
        ),
        (json!({"final_screen_seconds": -1}), "final_screen_seconds"),
        (json!({"time_zone": "Asia/Tokio"}), "time_zone"),
        (json!({"time_zone": "../../etc/passwd"}), "time_zone"),
        (json!({"ntp": "ntp.nict.jp"}), "ntp"),
        (json!({"ntp": ["ntp nict jp"]}), "ntp"),
        (json!({"ntp": []}), "ntp"),
        (
            json!({"technician": {"login": "Tech Lead", "name": "技術"}}),
            "technician.login",
        ),
        (
            json!({"technician": {"login": "tech", "name": null}}),
            "technician.name",
        ),
        (json!({"colour": "blue"}), "colour"),
    ];
    let root = tempfile::tempdir().unwrap();
    for (i, (patch, key)) in table.iter().enumerate() {
        let data = root.path().join(format!("data-{i}"));
        let out = provision(&data, &patched(good(), patch));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{patch} was accepted");
        assert!(
            err.contains(&format!("provision.json: key \"{key}\": ")),
            "{patch} should name {key}:\n{err}"
        );
        assert!(err.contains("nothing was changed"), "{err}");
        assert!(untouched(&data), "{patch}: the data folder was written");
    }
    // And the good file itself provisions.
    let data = root.path().join("good");
    let out = provision(&data, &good());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn all_bad_keys_are_named_in_one_run() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = patched(
        good(),
        &json!({
            "facility": {"code": "0110113718"},
            "console": {"bind": "8080"},
            "languages": ["fr"],
            "time_zone": "Mars/Olympus_Mons",
            "idle_timeout_seconds": 0,
        }),
    );
    let out = provision(&data, &file);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for key in [
        "facility.code",
        "console.bind",
        "languages",
        "time_zone",
        "idle_timeout_seconds",
    ] {
        assert!(err.contains(&format!("key \"{key}\"")), "{key}:\n{err}");
    }
    assert!(err.contains("5 problem(s)"), "{err}");
    assert!(untouched(&data));
}

#[test]
fn a_first_provisioning_needs_the_facility_and_a_technician() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = provision(&data, &json!({"kiosk_name": "1F"}));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for key in ["facility.name", "facility.code", "technician"] {
        assert!(err.contains(&format!("key \"{key}\"")), "{key}:\n{err}");
    }
    assert!(untouched(&data));
}
