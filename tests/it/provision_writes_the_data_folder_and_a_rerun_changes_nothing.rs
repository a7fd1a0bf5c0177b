//! `uketsuke provision` writes the data folder the kiosk reads (facility.json for
//! `run --facility`, timesyncd.conf, the localtime link, the technician's account, a
//! `provisioned` audit entry without secrets); each file is replaced atomically (a new file
//! renamed over the old, never rewritten in place); run again with the same file it changes
//! nothing at all and says "unchanged".

use std::os::unix::fs::MetadataExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use uketsuke::rules::FacilityConfig;
use uketsuke::staff::Role;
use uketsuke::store::Store;

const PASSWORD: &str = "kiosk technician 2026";

const FILE: &str = r#"{
  "facility": {"name": "さくら内科クリニック", "code": "0110113719"},
  "kiosk_name": "1F entrance",
  "console": {"bind": "0.0.0.0:8080"},
  "reader_name": "ACS",
  "gateway": "sim",
  "languages": ["ja", "en"],
  "idle_timeout_seconds": 120,
  "time_zone": "Asia/Tokyo",
  "ntp": ["ntp.nict.jp", "192.0.2.10"],
  "technician": {"login": "tech", "name": "技術担当"}
}"#;

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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn provisioned_entries(data: &Path) -> Vec<uketsuke::store::AuditEntry> {
    let store = Store::open(&data.join("uketsuke.db")).unwrap();
    let entries = store.audit_log(1000).unwrap();
    entries
        .into_iter()
        .filter(|e| e.action == "provisioned")
        .collect()
}

#[test]
fn the_data_folder_is_written_and_a_rerun_says_unchanged() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = root.path().join("provision.json");
    std::fs::write(&file, FILE).unwrap();

    let out = provision(&data, &file, &format!("{PASSWORD}\n"));
    let said = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(said.contains("facility.json: written"), "{said}");
    assert!(said.contains("technician account tech"), "{said}");
    assert!(
        said.contains(&format!(
            "patient key: {}",
            data.join("uketsuke.db.patient-key").display()
        )),
        "{said}"
    );
    let key_mode = std::fs::metadata(data.join("uketsuke.db.patient-key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600, "the patient key is owner-only");

    // facility.json is what `run --facility` reads.
    let facility_text = std::fs::read_to_string(data.join("facility.json")).unwrap();
    let facility = FacilityConfig::from_json(&facility_text, "facility.json").unwrap();
    assert_eq!(facility.facility.code, "0110113719");
    assert_eq!(facility.facility.name, "さくら内科クリニック");
    assert_eq!(facility.kiosk_name, "1F entrance");
    assert_eq!(facility.console.bind, "0.0.0.0:8080");
    assert_eq!(facility.reader_name, "ACS");
    assert_eq!(facility.idle_timeout_seconds, 120);
    assert_eq!(facility.languages, ["ja", "en"]);
    let run = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["check-in", "--headless", "--reader", "sim:card", "--db"])
        .arg(root.path().join("check.db"))
        .arg("--facility")
        .arg(data.join("facility.json"))
        .arg("--patient")
        .arg({
            let script = root.path().join("happy.json");
            std::fs::write(&script, r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "electronic"}]}"#).unwrap();
            script
        })
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));

    // The clock's files, for the image's links.
    assert_eq!(
        std::fs::read_to_string(data.join("timesyncd.conf")).unwrap(),
        "# Written by uketsuke provision (key \"ntp\").\n[Time]\nNTP=ntp.nict.jp 192.0.2.10\n"
    );
    assert_eq!(
        std::fs::read_link(data.join("localtime")).unwrap(),
        Path::new("/usr/share/zoneinfo/Asia/Tokyo")
    );

    // The technician can sign in with the password from stdin; nothing holds the password.
    {
        let store = Store::open(&data.join("uketsuke.db")).unwrap();
        let tech = store.staff_by_login("tech").unwrap().expect("the account");
        assert_eq!(tech.role, Role::Technician);
        assert_eq!(tech.display_name, "技術担当");
        assert!(uketsuke::password::verify(PASSWORD, &tech.password_hash));
    }
    let entries = provisioned_entries(&data);
    assert_eq!(entries.len(), 1, "{entries:?}");
    for key in [
        "facility.code",
        "kiosk_name",
        "ntp",
        "time_zone",
        "technician",
    ] {
        assert!(entries[0].detail.contains(key), "{:?}", entries[0]);
    }
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "a temporary file was left: {name}");
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes()),
                "{name} holds the password"
            );
        }
    }

    // The same file again: nothing changes, not even a byte or an inode.
    let before = std::fs::read(data.join("facility.json")).unwrap();
    let inode = std::fs::metadata(data.join("facility.json")).unwrap().ino();
    let out = provision(&data, &file, &format!("{PASSWORD}\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("unchanged"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read(data.join("facility.json")).unwrap(), before);
    assert_eq!(
        std::fs::metadata(data.join("facility.json")).unwrap().ino(),
        inode
    );
    let store = Store::open(&data.join("uketsuke.db")).unwrap();
    assert_eq!(store.staff_accounts().unwrap().len(), 1);
    drop(store);
    assert_eq!(provisioned_entries(&data).len(), 1);
}

#[test]
fn facility_json_is_replaced_by_a_rename_never_rewritten_in_place() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = root.path().join("provision.json");
    std::fs::write(&file, FILE).unwrap();
    let out = provision(&data, &file, &format!("{PASSWORD}\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A second name for the file as it is now: a rewrite in place would change what it shows
    // (and a reader mid-way would see half a file); a rename leaves it whole.
    let old = std::fs::read(data.join("facility.json")).unwrap();
    let witness = root.path().join("witness.json");
    std::fs::hard_link(data.join("facility.json"), &witness).unwrap();
    std::fs::write(&file, FILE.replace("1F entrance", "2F pediatrics")).unwrap();
    let out = provision(&data, &file, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&witness).unwrap(), old, "rewritten in place");
    let new = std::fs::read_to_string(data.join("facility.json")).unwrap();
    assert!(new.contains("2F pediatrics"), "{new}");
    assert_ne!(
        std::fs::metadata(&witness).unwrap().ino(),
        std::fs::metadata(data.join("facility.json")).unwrap().ino()
    );
}
