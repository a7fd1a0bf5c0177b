//! On the device the technician provisions as root, but the kiosk runs as its own user, which
//! owns the data folder (`StateDirectory=uketsuke`). Every file provisioning writes, the
//! database included, must end up the folder owner's: a root-owned `uketsuke.db` would leave the
//! kiosk unable to record a single check-in.

use std::os::unix::fs::MetadataExt as _;
use std::process::{Command, Stdio};

/// nobody/nogroup on Debian: a user that is not the one running the test.
const KIOSK_UID: u32 = 65534;
const KIOSK_GID: u32 = 65534;

#[test]
fn provisioning_as_root_gives_every_file_it_wrote_to_the_data_folders_owner() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let own = std::os::unix::fs::chown(&data, Some(KIOSK_UID), Some(KIOSK_GID));
    if let Err(e) = own {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs as root, so this test must too: {e}"
        );
        eprintln!("skipped outside CI: not root ({e})");
        return;
    }
    let file = root.path().join("provision.json");
    std::fs::write(
        &file,
        r#"{"facility": {"name": "さくら内科", "code": "0110113719"},
            "console": {"bind": "0.0.0.0:0"},
            "technician": {"login": "tech", "name": "技術担当"}}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .arg("provision")
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
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
        .write_all(b"a long technician password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("SHA-256"),
        "the certificate's fingerprint: {said}"
    );
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (KIOSK_UID, KIOSK_GID),
            "{name} is not the kiosk's"
        );
        seen.push(name);
    }
    seen.sort();
    for expected in [
        "console-certificate.pem",
        "console-key.pem",
        "facility.json",
        "localtime",
        "timesyncd.conf",
        "uketsuke.db",
        // The patient-key secret beside the database (owner-only, the kiosk's).
        "uketsuke.db.patient-key",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} missing: {seen:?}"
        );
    }
}
