//! Provisioning again with a changed file changes only what that file says: keys it omits keep
//! their values in facility.json (a technician's hand-set keys included), the clock's files stay
//! as they were, the existing technician needs no password, and the audit entry names only the
//! keys that changed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use uketsuke::store::Store;

fn provision(data: &Path, file: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .arg("provision")
        .arg(file)
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
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn only_the_files_keys_change() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = root.path().join("provision.json");
    std::fs::write(
        &file,
        r#"{"facility": {"name": "さくら内科クリニック", "code": "0110113719"},
            "kiosk_name": "1F entrance", "languages": ["ja", "en"],
            "time_zone": "Asia/Tokyo", "ntp": ["ntp.nict.jp"],
            "technician": {"login": "tech", "name": "技術担当"}}"#,
    )
    .unwrap();
    let out = provision(&data, &file, "a long enough password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A technician tunes facility.json by hand.
    let facility = data.join("facility.json");
    let mut tuned: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facility).unwrap()).unwrap();
    tuned["reads_smartphones"] = false.into();
    tuned["console"] = serde_json::json!({"secure_cookies": false});
    std::fs::write(&facility, tuned.to_string()).unwrap();
    let timesyncd = std::fs::read(data.join("timesyncd.conf")).unwrap();

    // The next file changes the kiosk's name and the console's address, and says nothing else.
    std::fs::write(
        &file,
        r#"{"kiosk_name": "2F pediatrics", "console": {"bind": "0.0.0.0:8080"}}"#,
    )
    .unwrap();
    let out = provision(&data, &file, "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("updated (console.bind, kiosk_name)"),
        "{said}"
    );

    let now: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facility).unwrap()).unwrap();
    assert_eq!(now["kiosk_name"], "2F pediatrics");
    assert_eq!(now["console"]["bind"], "0.0.0.0:8080");
    assert_eq!(now["console"]["secure_cookies"], false, "{now}");
    assert_eq!(now["reads_smartphones"], false, "{now}");
    assert_eq!(now["facility"]["code"], "0110113719");
    assert_eq!(now["languages"], serde_json::json!(["ja", "en"]));
    assert_eq!(
        std::fs::read(data.join("timesyncd.conf")).unwrap(),
        timesyncd
    );
    assert_eq!(
        std::fs::read_link(data.join("localtime")).unwrap(),
        Path::new("/usr/share/zoneinfo/Asia/Tokyo")
    );

    let store = Store::open(&data.join("uketsuke.db")).unwrap();
    assert_eq!(store.staff_accounts().unwrap().len(), 1);
    let entries: Vec<_> = store
        .audit_log(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "provisioned")
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let latest = &entries[0].detail;
    assert!(
        latest.contains("kiosk_name") && latest.contains("console.bind"),
        "{latest}"
    );
    for untouched in [
        "facility.code",
        "languages",
        "ntp",
        "time_zone",
        "technician",
    ] {
        assert!(!latest.contains(untouched), "{untouched} in {latest}");
    }
}
