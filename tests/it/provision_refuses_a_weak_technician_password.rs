//! The first technician's password comes on standard input (never the command line) and must
//! pass the staff password rules; a weak one is refused before anything is written.

use std::process::{Command, Stdio};

#[test]
fn a_weak_password_from_stdin_is_refused_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let file = root.path().join("provision.json");
    std::fs::write(
        &file,
        r#"{"facility": {"name": "さくら内科", "code": "0110113719"},
            "technician": {"login": "tech", "name": "技術担当"}}"#,
    )
    .unwrap();
    for weak in ["short\n", "", " padded password \n"] {
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
            .write_all(weak.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{weak:?} was accepted");
        assert!(err.contains("password from standard input"), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
        assert!(!data.exists(), "{weak:?}: the data folder was written");
    }
}
